#include "evaluation/report_export.h"

#include "evaluation/word_diff.h"

#include <QByteArray>
#include <QSaveFile>
#include <QString>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace fmw::eval {

namespace {

std::string number(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4f", value);
    return buffer;
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

bool endsWith(const std::string &s, const std::string &suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

std::vector<std::string> sampleMetricNames(const TaskReport &report)
{
    if (report.detection)
        return {"Box F1", "Precision", "Recall", "Mean IoU"};
    return {"BLEU-4", "ROUGE-L", "CIDEr-D", "Finding F1"};
}

std::vector<double> sampleMetrics(const TaskReport &report, int index)
{
    if (report.detection) {
        const SampleDetection &d = report.detection->samples[size_t(index)];
        return {d.f1, d.counts.precision(), d.counts.recall(), d.counts.meanIou()};
    }
    const TextSampleScores &t = report.text[size_t(index)];
    return {t.bleu[3], t.rougeL, t.cider, t.findings.f1};
}

std::vector<CorpusMetric> corpusMetrics(const TaskReport &report)
{
    const double n = double(report.samples.size());
    std::vector<CorpusMetric> m;
    m.push_back({"Exact match", n > 0 ? report.exactMatches / n : 0.0,
        "Share of samples whose generated text equals a reference byte for byte (outer white space aside)."});
    if (report.detection) {
        const DetectionReport &d = *report.detection;
        m.push_back({"Box precision", d.overall.precision(),
            "TP / (TP + FP) over all images: predicted boxes matched one-to-one to a reference box of the "
            "same label with IoU >= "
                + number(d.iouThreshold) + "."});
        m.push_back({"Box recall", d.overall.recall(), "TP / (TP + FN): reference boxes that were found."});
        m.push_back({"Box F1", d.overall.f1(), "Harmonic mean of box precision and recall."});
        m.push_back({"Mean IoU", d.overall.meanIou(),
            "Mean intersection over union of the matched box pairs (0 when none matched)."});
        if (d.ap) {
            m.push_back({"AP@[.5:.95]", d.ap->ap,
                "COCO-style average precision, mean over IoU thresholds 0.50..0.95 and over labels; every "
                "box has score 1."});
            m.push_back({"AP50", d.ap->ap50, "Average precision at IoU 0.50."});
            m.push_back({"AP75", d.ap->ap75, "Average precision at IoU 0.75."});
        }
        return m;
    }
    m.push_back({"BLEU-1", report.bleu[0],
        "Corpus BLEU with unigrams: clipped n-gram precision times a brevity penalty (pycocoevalcap, "
        "'closest' reference length)."});
    for (int k = 1; k < 4; ++k) {
        m.push_back({"BLEU-" + std::to_string(k + 1), report.bleu[size_t(k)],
            "As BLEU-1, with the geometric mean of the 1.." + std::to_string(k + 1) + "-gram precisions."});
    }
    m.push_back({"ROUGE-L", report.rougeL,
        "Longest-common-subsequence F-measure (beta 1.2) against the best reference, averaged over "
        "samples."});
    m.push_back({"CIDEr-D", report.cider,
        "TF-IDF weighted n-gram (1..4) cosine similarity with a length penalty (sigma 6), x10; document "
        "frequencies from the references."});
    if (report.findings) {
        m.push_back({"Finding F1 (14, micro)", report.findings->all14.microF1,
            "Micro F1 of positive CheXpert-style findings (rule-based labeler) of generated vs reference "
            "reports over 14 observations."});
        m.push_back({"Finding F1 (5, macro)", report.findings->top5.macroF1,
            "Macro F1 over the five common observations (cardiomegaly, edema, consolidation, atelectasis, "
            "pleural effusion)."});
    }
    return m;
}

std::string joinedReferences(const EvaluationSample &sample)
{
    std::string joined;
    for (size_t i = 0; i < sample.references.size(); ++i)
        joined += (i ? "\n" : "") + sample.references[i];
    return joined;
}

std::string csvField(const std::string &text)
{
    const bool quote = text.find_first_of(",\"\r\n") != std::string::npos
        || (!text.empty() && (text.front() == ' ' || text.back() == ' '));
    if (!quote)
        return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + '"';
}

std::string reportCsv(const TaskReport &report)
{
    std::vector<std::string> header = {"rank", "image", "prefix", "reference", "generated", "exact"};
    for (const std::string &name : sampleMetricNames(report))
        header.push_back(name);
    std::string csv;
    for (size_t c = 0; c < header.size(); ++c)
        csv += (c ? "," : "") + csvField(header[c]);
    csv += "\r\n";
    int rank = 0;
    for (int i : report.worstFirst) {
        const EvaluationSample &s = report.samples[size_t(i)];
        csv += std::to_string(++rank) + ',' + csvField(s.image) + ',' + csvField(s.prefix) + ','
            + csvField(joinedReferences(s)) + ',' + csvField(s.prediction) + ','
            + (report.exact[size_t(i)] ? "1" : "0");
        for (double v : sampleMetrics(report, i))
            csv += ',' + number(v);
        csv += "\r\n";
    }
    return csv;
}

std::string reportJson(const TaskReport &report)
{
    nlohmann::json j = toJson(report);
    j["notes"] = metricNotes();
    // An untrained model can produce invalid UTF-8: replaced, never an exception.
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string reportHtml(const TaskReport &report, const std::string &title)
{
    const std::string heading = title.empty() ? "Evaluation: " + report.task : title;
    std::string h = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + htmlEscape(heading)
        + "</title>\n<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
          "td,th{border:1px solid #bbb;padding:4px 6px;vertical-align:top;text-align:left}"
          "th{background:#eee}.num{text-align:right;font-variant-numeric:tabular-nums}"
          ".removed{background:#f8c8c8;text-decoration:line-through}.added{background:#c8f0c8}"
          "</style></head><body>\n<h1>"
        + htmlEscape(heading) + "</h1>\n<p>" + std::to_string(report.samples.size()) + " sample(s), task "
        + htmlEscape(report.task)
        + ".</p>\n<h2>Corpus metrics</h2>\n<table><tr><th>Metric</th><th>Value</th>"
          "<th>Definition</th></tr>\n";
    for (const CorpusMetric &m : corpusMetrics(report))
        h += "<tr><td>" + htmlEscape(m.name) + "</td><td class=\"num\">" + number(m.value) + "</td><td>"
            + htmlEscape(m.definition) + "</td></tr>\n";
    h += "</table>\n<h2>Notes</h2>\n<ul>\n";
    for (const std::string &note : metricNotes())
        h += "<li>" + htmlEscape(note) + "</li>\n";
    h += "</ul>\n<h2>Samples, worst first</h2>\n<table><tr><th>#</th><th>Image</th><th>Reference</th>"
         "<th>Generated</th><th>Exact</th>";
    for (const std::string &name : sampleMetricNames(report))
        h += "<th>" + htmlEscape(name) + "</th>";
    h += "</tr>\n";
    int rank = 0;
    for (int i : report.worstFirst) {
        const EvaluationSample &s = report.samples[size_t(i)];
        const std::string reference = s.references.empty() ? std::string() : s.references.front();
        const std::vector<DiffOp> ops = diffWords(reference, s.prediction);
        h += "<tr><td class=\"num\">" + std::to_string(++rank) + "</td><td>" + htmlEscape(s.image)
            + "</td><td>" + diffHtml(ops, true);
        for (size_t r = 1; r < s.references.size(); ++r)
            h += "<br>" + htmlEscape(s.references[r]);
        h += "</td><td>" + diffHtml(ops, false) + "</td><td>" + (report.exact[size_t(i)] ? "yes" : "no")
            + "</td>";
        for (double v : sampleMetrics(report, i))
            h += "<td class=\"num\">" + number(v) + "</td>";
        h += "</tr>\n";
    }
    h += "</table>\n</body></html>\n";
    return h;
}

Result<ReportFormat> reportFormatForPath(const std::string &path)
{
    const std::string p = lower(path);
    if (endsWith(p, ".csv"))
        return ReportFormat::Csv;
    if (endsWith(p, ".json"))
        return ReportFormat::Json;
    if (endsWith(p, ".html") || endsWith(p, ".htm"))
        return ReportFormat::Html;
    return makeError(ErrorCode::InvalidArgument, "unknown report format; use .csv, .json or .html", path);
}

Status writeReport(
    const std::string &path, ReportFormat format, const TaskReport &report, const std::string &title)
{
    std::string content;
    switch (format) {
    case ReportFormat::Csv:
        content = reportCsv(report);
        break;
    case ReportFormat::Json:
        content = reportJson(report);
        break;
    case ReportFormat::Html:
        content = reportHtml(report, title);
        break;
    }
    QSaveFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::Io, "cannot write the file: " + file.errorString().toStdString(), path);
    const QByteArray bytes = QByteArray::fromStdString(content);
    if (file.write(bytes) != bytes.size() || !file.commit())
        return makeError(ErrorCode::Io, "cannot write the file: " + file.errorString().toStdString(), path);
    return {};
}

} // namespace fmw::eval
