// evaluate: pairs predictions (predict-split's JSONL) with dataset references and writes the
// report (core/evaluation) as JSON, optionally as an HTML page to read the worst cases in.

#include "cli_commands.h"
#include "cli_util.h"

#include "annotation/loc_codec.h"
#include "dataset/jsonl_codec.h"
#include "engine/weights/atomic_file_writer.h"
#include "evaluation/evaluation_report.h"

#include <nlohmann/json.hpp>

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <functional>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace fmw::cli {

namespace {

using Json = nlohmann::json;
using Key = std::pair<std::string, std::string>; // (image, prefix)

struct Inputs {
    std::map<Key, std::vector<std::string>> references; // in file order
    std::vector<eval::EvaluationSample> predictions; // in file order, first per key
    std::vector<std::string> problems; // "file:line: message"
};

// Visits the lines of `path` (see forEachLine); an unreadable file becomes a problem.
void visitLines(const QString &path, std::vector<std::string> *problems,
    const std::function<void(QByteArrayView line, const std::string &where)> &visit)
{
    const Status read = forEachLine(path, [&](QByteArrayView line, int number) -> Status {
        visit(line, path.toStdString() + ":" + std::to_string(number) + ": ");
        return {};
    });
    if (!read)
        problems->push_back(read.error().toString());
}

void readReferences(const QString &path, const QString &task, Inputs *in)
{
    visitLines(path, &in->problems, [&](QByteArrayView line, const std::string &where) {
        const jsonl::ParsedLine parsed = jsonl::parseLine(line);
        if (parsed.status == jsonl::ParsedLine::Status::Blank)
            return;
        if (parsed.status != jsonl::ParsedLine::Status::Record) {
            in->problems.push_back(where + parsed.message.toStdString());
            return;
        }
        if (!task.isEmpty() && parsed.prefix != task)
            return;
        in->references[{parsed.image.toStdString(), parsed.prefix.toStdString()}].push_back(
            parsed.suffix.toStdString());
    });
}

void readPredictions(const QString &path, const QString &task, Inputs *in)
{
    std::set<Key> seen;
    visitLines(path, &in->problems, [&](QByteArrayView line, const std::string &where) {
        if (line.trimmed().isEmpty())
            return;
        const Json j = Json::parse(line.data(), line.data() + line.size(), nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            in->problems.push_back(where + "not a JSON object");
            return;
        }
        const auto text = [&](const char *key) -> const Json * {
            const auto it = j.find(key);
            return it != j.end() && it->is_string() ? &*it : nullptr;
        };
        if (!text("image") || !text("prefix") || !text("prediction")) {
            in->problems.push_back(where + "needs string fields image, prefix and prediction");
            return;
        }
        const Key key {j["image"].get<std::string>(), j["prefix"].get<std::string>()};
        if (!task.isEmpty() && key.second != task.toStdString())
            return;
        if (!seen.insert(key).second) {
            in->problems.push_back(
                where + key.first + " " + key.second + ": predicted twice; the first is used");
            return;
        }
        const auto refs = in->references.find(key);
        if (refs == in->references.end()) {
            in->problems.push_back(
                where + key.first + " " + key.second + ": no reference with this image and prefix");
            return;
        }
        in->predictions.push_back({key.first, key.second, j["prediction"].get<std::string>(), refs->second});
    });
}

QString html(const std::string &s)
{
    return QString::fromStdString(s).toHtmlEscaped();
}

// Word-level diff on white space: words of `reference` the prediction lacks become <del>, words
// the prediction adds become <ins> (longest common subsequence).
std::pair<QString, QString> wordDiff(const std::string &reference, const std::string &prediction)
{
    const QStringList a = QString::fromStdString(reference).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    const QStringList b = QString::fromStdString(prediction).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    const qsizetype n = a.size(), m = b.size();
    std::vector<std::vector<int>> lcs(size_t(n + 1), std::vector<int>(size_t(m + 1), 0));
    for (qsizetype i = n - 1; i >= 0; --i)
        for (qsizetype k = m - 1; k >= 0; --k)
            lcs[i][k] = a[i] == b[k] ? lcs[i + 1][k + 1] + 1 : std::max(lcs[i + 1][k], lcs[i][k + 1]);
    QStringList left, right;
    qsizetype i = 0, k = 0;
    while (i < n || k < m) {
        if (i < n && k < m && a[i] == b[k]) {
            left << a[i].toHtmlEscaped();
            right << b[k].toHtmlEscaped();
            ++i, ++k;
        } else if (k < m && (i == n || lcs[i][k + 1] >= lcs[i + 1][k])) {
            right << QStringLiteral("<ins>%1</ins>").arg(b[k++].toHtmlEscaped());
        } else {
            left << QStringLiteral("<del>%1</del>").arg(a[i++].toHtmlEscaped());
        }
    }
    return {left.join(QLatin1Char(' ')), right.join(QLatin1Char(' '))};
}

// The image with reference (green) and predicted (red, dashed) boxes, in bin coordinates.
QString imageCell(const QString &src, const eval::EvaluationSample &s, bool boxes)
{
    if (src.endsWith(QLatin1String(".dcm"), Qt::CaseInsensitive))
        return QStringLiteral("<div class=dicom>%1<br>(DICOM: not shown)</div>").arg(html(s.image));
    QString svg
        = QStringLiteral("<svg viewBox=\"0 0 1000 1000\"><image href=\"%1\" width=\"1000\" height=\"1000\" "
                         "preserveAspectRatio=\"none\"/>")
              .arg(src.toHtmlEscaped());
    const auto rects = [&](const std::string &od, const char *cls) {
        const loc::OdResult r = loc::postProcessOd(od, {1000, 1000});
        for (size_t i = 0; i < r.bboxes.size(); ++i) {
            const loc::BoxPx &b = r.bboxes[i];
            svg += QStringLiteral(
                "<rect class=%1 x=\"%2\" y=\"%3\" width=\"%4\" height=\"%5\"><title>%6</title></rect>")
                       .arg(QLatin1String(cls))
                       .arg(b[0])
                       .arg(b[1])
                       .arg(b[2] - b[0])
                       .arg(b[3] - b[1])
                       .arg(html(r.labels[i]));
        }
    };
    if (boxes) {
        rects(s.references.front(), "ref");
        rects(s.prediction, "pred");
    }
    return svg + QStringLiteral("</svg><div>%1</div>").arg(html(s.image));
}

QString number(double v)
{
    return QString::number(v, 'f', 4);
}

QString htmlReport(
    const std::vector<eval::TaskReport> &reports, const QString &imageDir, const QString &htmlPath)
{
    const QDir base = QFileInfo(htmlPath).absoluteDir();
    QString h = QStringLiteral(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Evaluation report</title><style>"
        "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:4px 8px;vertical-align:top;text-align:left}svg{width:220px;height:220px;background:#000}"
        "rect{fill:none;stroke-width:6}rect.ref{stroke:#2c2}rect.pred{stroke:#e33;stroke-dasharray:20 10}"
        "ins{background:#fdd;text-decoration:none}del{background:#dfd}.dicom{width:220px}"
        "</style></head><body><h1>Evaluation report</h1>");
    h += QStringLiteral(
        "<p>Words the prediction lacks are <del>marked</del> in the reference, words it adds are "
        "<ins>marked</ins> in the prediction; reference boxes green, predicted boxes red.</p><ul>");
    for (const std::string &note : eval::metricNotes())
        h += QStringLiteral("<li>%1</li>").arg(html(note));
    h += QStringLiteral("</ul>");
    for (const eval::TaskReport &r : reports) {
        h += QStringLiteral("<h2>%1: %2 samples, %3 exact</h2>")
                 .arg(html(r.task))
                 .arg(r.samples.size())
                 .arg(r.exactMatches);
        if (r.detection) {
            const eval::DetectionCounts &c = r.detection->overall;
            h += QStringLiteral("<p>precision %1, recall %2, F1 %3, mean IoU %4 (IoU &ge; %5)")
                     .arg(number(c.precision()), number(c.recall()), number(c.f1()), number(c.meanIou()))
                     .arg(r.detection->iouThreshold);
            if (r.detection->ap)
                h += QStringLiteral("; AP %1, AP50 %2, AP75 %3")
                         .arg(number(r.detection->ap->ap), number(r.detection->ap->ap50),
                             number(r.detection->ap->ap75));
            h += QStringLiteral("</p>");
        } else {
            h += QStringLiteral(
                "<p>BLEU-1 %1, BLEU-2 %2, BLEU-3 %3, BLEU-4 %4, ROUGE-L %5, CIDEr-D %6; findings "
                "micro F1 %7 (14 observations), %8 (5)</p>")
                     .arg(number(r.bleu[0]), number(r.bleu[1]), number(r.bleu[2]), number(r.bleu[3]),
                         number(r.rougeL), number(r.cider), number(r.findings->all14.microF1),
                         number(r.findings->top5.microF1));
        }
        h += QStringLiteral(
            "<table><tr><th>image</th><th>reference</th><th>prediction</th><th>scores</th></tr>");
        for (int i : r.worstFirst) {
            const eval::EvaluationSample &s = r.samples[size_t(i)];
            const QString src
                = base.relativeFilePath(QDir(imageDir).filePath(QString::fromStdString(s.image)));
            const auto [ref, pred] = wordDiff(s.references.front(), s.prediction);
            QString scores;
            if (r.detection) {
                const eval::SampleDetection &d = r.detection->samples[size_t(i)];
                scores = QStringLiteral("TP %1, FP %2, FN %3, F1 %4")
                             .arg(d.counts.tp)
                             .arg(d.counts.fp)
                             .arg(d.counts.fn)
                             .arg(number(d.f1));
            } else {
                const eval::TextSampleScores &t = r.text[size_t(i)];
                scores
                    = QStringLiteral("findings F1 %1<br>ROUGE-L %2<br>BLEU-4 %3<br>CIDEr-D %4")
                          .arg(number(t.findings.f1), number(t.rougeL), number(t.bleu[3]), number(t.cider));
            }
            h += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td></tr>")
                     .arg(imageCell(src, s, bool(r.detection)), ref, pred, scores);
        }
        h += QStringLiteral("</table>");
    }
    return h + QStringLiteral("</body></html>\n");
}

bool writeAtomically(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    if (const Status s = weights::writeFileAtomically(path.toStdString(), bytes.toStdString()); !s) {
        fail(s.error());
        return false;
    }
    return true;
}

} // namespace

int evaluate(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Scores predictions (florence-cli predict-split's JSONL: image, prefix, prediction) against dataset "
        "references (JSONL: image, prefix, suffix) per task: BLEU-1..4, ROUGE-L and CIDEr-D as pycocoevalcap "
        "computes them, CheXpert-style finding agreement, and for <OD> detection precision/recall/F1 and AP. "
        "Writes a JSON report (and an HTML page with the worst cases first)."));
    p.addOption({QStringLiteral("predictions"), QStringLiteral("Predictions JSONL."), QStringLiteral("P")});
    p.addOption({QStringLiteral("references"),
        QStringLiteral("Dataset JSONL with the references; repeat for several files (e.g. val.jsonl and "
                       "val_detailed_caption.jsonl)."),
        QStringLiteral("R")});
    p.addOption(
        {QStringLiteral("task"), QStringLiteral("Only this prefix, e.g. <CAPTION>."), QStringLiteral("T")});
    p.addOption({QStringLiteral("out"), QStringLiteral("Report JSON to write."), QStringLiteral("FILE")});
    p.addOption(
        {QStringLiteral("html"), QStringLiteral("Also write this HTML page."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("image-dir"),
        QStringLiteral(
            "Where the images are, for the HTML page (default: images/ beside the first references file)."),
        QStringLiteral("DIR")});
    int code = ExitOk;
    if (!parseArgs(p, args, 0, &code))
        return code;
    const QStringList referenceFiles = p.values(QStringLiteral("references"));
    if (!p.isSet(QStringLiteral("predictions")) || referenceFiles.isEmpty()
        || !p.isSet(QStringLiteral("out"))) {
        err(QStringLiteral("error: --predictions, --references and --out are required (see --help)"));
        return ExitUsage;
    }
    const QString task = p.value(QStringLiteral("task"));

    Inputs in;
    for (const QString &file : referenceFiles)
        readReferences(file, task, &in);
    readPredictions(p.value(QStringLiteral("predictions")), task, &in);

    // One report per task, tasks in order of first appearance.
    std::vector<std::string> tasks;
    std::map<std::string, std::vector<eval::EvaluationSample>> byTask;
    for (eval::EvaluationSample &s : in.predictions) {
        if (!byTask.count(s.prefix))
            tasks.push_back(s.prefix);
        byTask[s.prefix].push_back(std::move(s));
    }
    std::map<std::string, int> missing; // references nobody predicted, per task
    {
        std::set<Key> predicted;
        for (const auto &[t, samples] : byTask)
            for (const eval::EvaluationSample &s : samples)
                predicted.insert({s.image, s.prefix});
        for (const auto &[key, refs] : in.references)
            if (!predicted.count(key))
                ++missing[key.second];
    }
    std::vector<eval::TaskReport> reports;
    Json tasksJson = Json::array();
    for (const std::string &t : tasks) {
        reports.push_back(eval::evaluateTask(t, std::move(byTask[t])));
        Json j = eval::toJson(reports.back());
        j["missing_predictions"] = missing[t];
        tasksJson.push_back(std::move(j));
    }
    for (const auto &[t, n] : missing)
        if (!byTask.count(t))
            err(QStringLiteral("warning: %1: no predictions for its %2 references")
                    .arg(QString::fromStdString(t))
                    .arg(n));

    for (const std::string &problem : in.problems)
        err(QStringLiteral("error: ") + QString::fromStdString(problem));
    Json report {{"predictions", p.value(QStringLiteral("predictions")).toStdString()},
        {"references", Json::array()}, {"notes", eval::metricNotes()}, {"tasks", tasksJson},
        {"problems", in.problems}};
    for (const QString &file : referenceFiles)
        report["references"].push_back(file.toStdString());
    if (!writeAtomically(p.value(QStringLiteral("out")), QByteArray::fromStdString(report.dump(2) + "\n")))
        return ExitBadInput;
    if (p.isSet(QStringLiteral("html"))) {
        const QString imageDir = p.isSet(QStringLiteral("image-dir"))
            ? p.value(QStringLiteral("image-dir"))
            : QFileInfo(referenceFiles.front()).absoluteDir().filePath(QStringLiteral("images"));
        if (!writeAtomically(p.value(QStringLiteral("html")),
                htmlReport(reports, imageDir, p.value(QStringLiteral("html"))).toUtf8()))
            return ExitBadInput;
    }

    for (const eval::TaskReport &r : reports) {
        const int notPredicted = missing[r.task];
        const QString head
            = QStringLiteral("%1: %2 samples, %3 exact%4")
                  .arg(QString::fromStdString(r.task))
                  .arg(r.samples.size())
                  .arg(r.exactMatches)
                  .arg(notPredicted
                          ? QStringLiteral(" (%1 references without a prediction)").arg(notPredicted)
                          : QString());
        if (r.detection) {
            const eval::DetectionCounts &c = r.detection->overall;
            out(head
                + QStringLiteral("; precision %1 recall %2 F1 %3 mean IoU %4; AP %5 AP50 %6 AP75 %7")
                      .arg(number(c.precision()), number(c.recall()), number(c.f1()), number(c.meanIou()),
                          r.detection->ap ? number(r.detection->ap->ap) : QStringLiteral("-"),
                          r.detection->ap ? number(r.detection->ap->ap50) : QStringLiteral("-"),
                          r.detection->ap ? number(r.detection->ap->ap75) : QStringLiteral("-")));
        } else {
            out(head
                + QStringLiteral(
                    "; BLEU-1..4 %1 %2 %3 %4; ROUGE-L %5; CIDEr-D %6; findings micro F1 %7 (14), %8 (5)")
                      .arg(number(r.bleu[0]), number(r.bleu[1]), number(r.bleu[2]), number(r.bleu[3]),
                          number(r.rougeL), number(r.cider), number(r.findings->all14.microF1),
                          number(r.findings->top5.microF1)));
        }
    }
    out(QStringLiteral("wrote %1").arg(p.value(QStringLiteral("out"))));
    return in.problems.empty() ? ExitOk : ExitBadInput;
}

} // namespace fmw::cli
