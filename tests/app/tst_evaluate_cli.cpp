// florence-cli evaluate end to end: predictions paired with references per task, the JSON
// report's numbers and order, the HTML page (word diff, boxes, images), and bad input named
// by file and line without losing the rest of the report.

#include "common/cli_run.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

namespace {

fmwtest::CliRun cli(const QStringList &args)
{
    return fmwtest::runCli(QStringList {QStringLiteral("evaluate")} + args);
}

void write(const QString &path, const QByteArray &content)
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
    f.write(content);
}

nlohmann::json readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return nlohmann::json::parse(f.readAll().toStdString());
}

const nlohmann::json &task(const nlohmann::json &report, const std::string &name)
{
    for (const auto &t : report.at("tasks"))
        if (t.at("task") == name)
            return t;
    qFatal("no task %s in the report", name.c_str());
}

const QByteArray kReferences
    = R"({"image":"a.png","prefix":"<CAPTION>","suffix":"No acute cardiopulmonary abnormality."}
{"image":"b.png","prefix":"<CAPTION>","suffix":"Large left pleural effusion. Cardiomegaly."}
{"image":"c.png","prefix":"<CAPTION>","suffix":"Cardiomegaly."}
{"image":"b.png","prefix":"<OD>","suffix":"pleural effusion<loc_600><loc_550><loc_850><loc_800>cardiomegaly<loc_374><loc_394><loc_820><loc_648>"}
{"image":"d.png","prefix":"<CAPTION>","suffix":"Right pneumothorax."}
)";

// a: exact; b: a finding missed; c: reworded; d: not predicted. <OD>: one of two boxes found.
const QByteArray kPredictions
    = R"({"image":"a.png","prefix":"<CAPTION>","prediction":"No acute cardiopulmonary abnormality."}
{"image":"b.png","prefix":"<CAPTION>","prediction":"Cardiomegaly."}
{"image":"c.png","prefix":"<CAPTION>","prediction":"Cardiomegaly is present."}
{"image":"b.png","prefix":"<OD>","prediction":"cardiomegaly<loc_374><loc_394><loc_820><loc_648>"}
)";

// A temporary folder with references (val.jsonl) and predictions (p.jsonl).
struct Inputs {
    QTemporaryDir dir;
    QString refs = dir.filePath(QStringLiteral("val.jsonl"));
    QString preds = dir.filePath(QStringLiteral("p.jsonl"));
    QString out = dir.filePath(QStringLiteral("report.json"));

    explicit Inputs(const QByteArray &references = kReferences, const QByteArray &predictions = kPredictions)
    {
        write(refs, references);
        write(preds, predictions);
    }
    QStringList args() const
    {
        return {QStringLiteral("--predictions"), preds, QStringLiteral("--references"), refs,
            QStringLiteral("--out"), out};
    }
};

} // namespace

class TestEvaluateCli : public QObject {
    Q_OBJECT
private slots:
    void reportPerTask();
    void htmlShowsDiffsBoxesAndImages();
    void taskFilter();
    void badLinesAreNamedAndTheRestIsScored();
    void usageErrors();
};

void TestEvaluateCli::reportPerTask()
{
    const Inputs in;
    const fmwtest::CliRun r = cli(in.args());
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.out.contains("<CAPTION>: 3 samples, 1 exact (1 references without a prediction)"),
        r.out.constData());
    QVERIFY2(r.out.contains("<OD>: 1 samples, 0 exact"), r.out.constData());

    const nlohmann::json report = readJson(in.out);
    const auto &caption = task(report, "<CAPTION>");
    QCOMPARE(caption.at("samples").get<int>(), 3);
    QCOMPARE(caption.at("missing_predictions").get<int>(), 1);
    QCOMPARE(caption.at("exact_match").at("count").get<int>(), 1);
    QVERIFY(qFuzzyCompare(caption.at("exact_match").at("rate").get<double>(), 1.0 / 3.0));
    const double bleu4 = caption.at("bleu").at("bleu4").get<double>();
    QVERIFY(bleu4 > 0 && bleu4 < 1);
    // b misses the effusion: one false negative; worst first.
    QCOMPARE(caption.at("findings").at("per_observation").at("Pleural Effusion").at("fn").get<int>(), 1);
    const auto &samples = caption.at("samples_worst_first");
    QCOMPARE(samples[0].at("image").get<std::string>(), std::string("b.png"));
    QCOMPARE(samples[1].at("image").get<std::string>(), std::string("c.png"));
    QCOMPARE(samples[2].at("image").get<std::string>(), std::string("a.png"));
    QVERIFY(samples[2].at("rouge_l").get<double>() > 0.999);

    const auto &od = task(report, "<OD>");
    const auto &overall = od.at("detection").at("overall");
    QCOMPARE(overall.at("tp").get<int>(), 1);
    QCOMPARE(overall.at("fn").get<int>(), 1);
    QCOMPARE(overall.at("fp").get<int>(), 0);
    QCOMPARE(overall.at("precision").get<double>(), 1.0);
    QCOMPARE(overall.at("recall").get<double>(), 0.5);

    bool saysJava = false;
    for (const auto &note : report.at("notes"))
        saysJava = saysJava || note.get<std::string>().find("METEOR") != std::string::npos;
    QVERIFY(saysJava);
    QVERIFY(report.at("problems").empty());
}

void TestEvaluateCli::htmlShowsDiffsBoxesAndImages()
{
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("data/images")));
    const QString refs = dir.filePath(QStringLiteral("data/val.jsonl")),
                  preds = dir.filePath(QStringLiteral("p.jsonl")),
                  html = dir.filePath(QStringLiteral("out/report.html"));
    // out/ does not exist yet: it is made.
    write(refs, kReferences);
    write(preds, kPredictions);
    const fmwtest::CliRun r = cli({QStringLiteral("--predictions"), preds, QStringLiteral("--references"),
        refs, QStringLiteral("--out"), dir.filePath(QStringLiteral("out/report.json")),
        QStringLiteral("--html"), html});
    QVERIFY2(r.code == 0, r.err.constData());
    QFile f(html);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray page = f.readAll();
    // b: the reference's words the prediction lacks are marked; c: the added words are marked.
    QVERIFY(page.contains("<del>Large</del>"));
    QVERIFY(page.contains("<del>effusion.</del>"));
    QVERIFY(page.contains("<ins>present.</ins>"));
    // Images by path relative to the page (default: images/ beside the references).
    QVERIFY2(page.contains("href=\"../data/images/b.png\""), page.constData());
    // <OD>: the reference's two boxes and the predicted one.
    QCOMPARE(page.count("<rect class=ref"), 2);
    QCOMPARE(page.count("<rect class=pred"), 1);
    // Worst first within the task.
    QVERIFY(page.indexOf("b.png") < page.indexOf("a.png"));
}

void TestEvaluateCli::taskFilter()
{
    const Inputs in;
    const fmwtest::CliRun r = cli(in.args() + QStringList {QStringLiteral("--task"), QStringLiteral("<OD>")});
    QVERIFY2(r.code == 0, r.err.constData());
    const nlohmann::json report = readJson(in.out);
    QCOMPARE(report.at("tasks").size(), size_t(1));
    QCOMPARE(report.at("tasks")[0].at("task").get<std::string>(), std::string("<OD>"));
    QVERIFY(!r.out.contains("<CAPTION>"));
}

void TestEvaluateCli::badLinesAreNamedAndTheRestIsScored()
{
    const Inputs in(kReferences + "{\"image\": \"e.png\", \"prefix\": \"<CAPTION>\"\n",
        kPredictions
            + "not json\n{\"image\":\"zzz.png\",\"prefix\":\"<CAPTION>\",\"prediction\":\"x\"}\n"
              "{\"image\":\"a.png\",\"prefix\":\"<CAPTION>\",\"prediction\":\"again\"}\n");
    const fmwtest::CliRun r = cli(in.args());
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("val.jsonl:6:"), r.err.constData());
    QVERIFY2(r.err.contains("p.jsonl:5: not a JSON object"), r.err.constData());
    QVERIFY2(r.err.contains("p.jsonl:6: zzz.png <CAPTION>: no reference"), r.err.constData());
    QVERIFY2(r.err.contains("p.jsonl:7: a.png <CAPTION>: predicted twice"), r.err.constData());
    // The report is still written, with the good lines scored and the problems listed.
    const nlohmann::json report = readJson(in.out);
    QCOMPARE(task(report, "<CAPTION>").at("samples").get<int>(), 3);
    QCOMPARE(report.at("problems").size(), size_t(4));
}

void TestEvaluateCli::usageErrors()
{
    QTemporaryDir dir;
    QCOMPARE(cli({QStringLiteral("--references"), dir.filePath(QStringLiteral("r.jsonl"))}).code, 2);
    const fmwtest::CliRun missing
        = cli({QStringLiteral("--predictions"), dir.filePath(QStringLiteral("none.jsonl")),
            QStringLiteral("--references"), dir.filePath(QStringLiteral("none-either.jsonl")),
            QStringLiteral("--out"), dir.filePath(QStringLiteral("r.json"))});
    QCOMPARE(missing.code, 1);
    QVERIFY2(missing.err.contains("none.jsonl: cannot read"), missing.err.constData());
    QVERIFY2(missing.err.contains("none-either.jsonl: cannot read"), missing.err.constData());
}

QTEST_GUILESS_MAIN(TestEvaluateCli)
#include "tst_evaluate_cli.moc"
