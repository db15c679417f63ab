// florence-cli predict-split end to end on the tiny fixture model (greedy, 8 tokens): one line per distinct
// (image, prefix) of a split's files with the same answer `predict` gives, the --task filter,
// resuming (nothing redone, a partial last line repaired), bad records and images reported
// with file and line (exit 1), usage errors (exit 2).

#include "common/cli_run.h"
#include "common/test_support.h"
#include "common/tiny_model_folder.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace {

using fmwtest::CliRun;
using fmwtest::runCli;
using Json = nlohmann::json;

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

std::vector<Json> jsonLines(const QByteArray &bytes)
{
    std::vector<Json> rows;
    for (const QByteArray &line : bytes.split('\n')) {
        if (!line.isEmpty())
            rows.push_back(Json::parse(line.toStdString()));
    }
    return rows;
}


QByteArray record(const char *image, const char *prefix, const char *suffix)
{
    return QByteArray::fromStdString(Json {{"image", image}, {"prefix", prefix}, {"suffix", suffix}}.dump())
        + '\n';
}

} // namespace

class TestPredictSplitCli : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void predictsEveryDistinctPair();
    void rerunSkipsWhatIsDone();
    void partialLastLineIsRepaired();
    void taskFilterAndCleanSplit();
    void usageAndInputErrors();

private:
    QStringList command(const QString &out, const QStringList &extra = {}) const;

    QTemporaryDir m_tmp;
    QString m_model, m_dataset, m_out;
    QByteArray m_firstOut;
};

QStringList TestPredictSplitCli::command(const QString &out, const QStringList &extra) const
{
    return QStringList {"predict-split", "--model", m_model, "--dataset", m_dataset, "--split", "val",
               "--out", out, "--max-new-tokens", "8", "--num-beams", "1"}
    + extra;
}

void TestPredictSplitCli::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_model = m_tmp.filePath(QStringLiteral("model"));
    m_dataset = m_tmp.filePath(QStringLiteral("dataset"));
    m_out = m_tmp.filePath(QStringLiteral("predictions.jsonl"));
    QVERIFY(QDir().mkpath(m_model));
    QVERIFY(QDir().mkpath(m_dataset + QStringLiteral("/images")));
    fmwtest::writeTinyModelFolder(m_model);
    // the bundled demo dataset's images (this test links no QtGui to draw its own); c is a DICOM
    const QString demo = fmwtest::sourcePath(QStringLiteral("resources/demo-dataset/images/"));
    for (const auto &[from, to] :
        std::vector<std::pair<const char *, const char *>> {{"demo-0001.png", "a.png"},
            {"demo-0002.png", "b.png"}, {"demo-0025.dcm", "c.dcm"}, {"demo-0004.png", "d.png"}})
        QVERIFY(QFile::copy(
            demo + QLatin1String(from), m_dataset + QStringLiteral("/images/") + QLatin1String(to)));
    // val.jsonl: a.png under two prefixes (and once more, a duplicate), a malformed line 3, a
    // missing image on line 5; the detailed captions live in their own file.
    writeFile(m_dataset + QStringLiteral("/val.jsonl"),
        record("a.png", "<CAPTION>", "Cardiomegaly.")
            + record("a.png", "<OD>", "nodule<loc_1><loc_2><loc_3><loc_4>")
            + "{\"image\": \"b.png\", \"prefix\": \n" + record("b.png", "<CAPTION>", "Normal.")
            + record("missing.png", "<CAPTION>", "Normal.") + record("a.png", "<CAPTION>", "Again."));
    writeFile(m_dataset + QStringLiteral("/val_detailed_caption.jsonl"),
        record("c.dcm", "<DETAILED_CAPTION>", "The heart size is normal."));
    writeFile(m_dataset + QStringLiteral("/train.jsonl"), record("d.png", "<CAPTION>", "Normal."));
}

void TestPredictSplitCli::predictsEveryDistinctPair()
{
    const CliRun r = runCli(command(m_out));
    QCOMPARE(r.code, 1); // the malformed line and the missing image
    QVERIFY2(r.err.contains("val.jsonl:3:"), r.err.constData());
    QVERIFY2(r.err.contains("val.jsonl:5: missing.png:"), r.err.constData());
    QVERIFY2(r.err.contains("[1/5] a.png <CAPTION>:") && r.err.contains("ETA"), r.err.constData());
    QVERIFY2(r.err.contains("[5/5] c.dcm <DETAILED_CAPTION>:"), r.err.constData());

    m_firstOut = readFile(m_out);
    QVERIFY(m_firstOut.endsWith('\n'));
    const std::vector<Json> rows = jsonLines(m_firstOut);
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"a.png", "<CAPTION>"}, {"a.png", "<OD>"}, {"b.png", "<CAPTION>"}, {"c.dcm", "<DETAILED_CAPTION>"}};
    QCOMPARE(rows.size(), expected.size());
    for (size_t i = 0; i < rows.size(); ++i) {
        const Json &row = rows[i];
        QCOMPARE(row["image"].get<std::string>(), expected[i].first);
        QCOMPARE(row["prefix"].get<std::string>(), expected[i].second);
        QVERIFY(row["prediction"].is_string() && row["generated_text"].is_string());
        QCOMPARE(QFileInfo(QString::fromStdString(row["model"].get<std::string>())).canonicalFilePath(),
            QFileInfo(m_model).canonicalFilePath());
        QVERIFY(!row.contains("adapter"));
    }

    // The same answers `predict --json` gives: the parsed string for captions, the generated
    // text without <s>, </s>, <pad> for <OD>.
    for (size_t i : {size_t(1), size_t(2)}) {
        const CliRun one = runCli({"predict", "--model", m_model, "--image",
            m_dataset + QStringLiteral("/images/") + QString::fromStdString(expected[i].first), "--task",
            QString::fromStdString(expected[i].second), "--max-new-tokens", "8", "--num-beams", "1",
            "--json"});
        QVERIFY2(one.code == 0, one.err.constData());
        const Json j = Json::parse(one.out.toStdString());
        const std::string generated = j["generated_text"].get<std::string>();
        QCOMPARE(rows[i]["generated_text"].get<std::string>(), generated);
        if (expected[i].second == "<OD>") {
            QVERIFY2(generated.find("</s>") != std::string::npos, generated.c_str());
            QString cleaned = QString::fromStdString(generated);
            cleaned.remove(QStringLiteral("</s>"))
                .remove(QStringLiteral("<s>"))
                .remove(QStringLiteral("<pad>"));
            QCOMPARE(QString::fromStdString(rows[i]["prediction"].get<std::string>()), cleaned);
        } else {
            QCOMPARE(rows[i]["prediction"].get<std::string>(), j["parsed"]["<CAPTION>"].get<std::string>());
        }
    }
}

void TestPredictSplitCli::rerunSkipsWhatIsDone()
{
    QVERIFY(!m_firstOut.isEmpty());
    const CliRun r = runCli(command(m_out));
    QCOMPARE(r.code, 1); // the missing image is retried and reported again
    QVERIFY2(r.err.contains("skipping 4 of 5 prediction(s) already in"), r.err.constData());
    QVERIFY2(r.err.contains("val.jsonl:5: missing.png:"), r.err.constData());
    QVERIFY2(!r.err.contains("[1/"), r.err.constData()); // nothing predicted
    QCOMPARE(readFile(m_out), m_firstOut);
}

void TestPredictSplitCli::partialLastLineIsRepaired()
{
    QVERIFY(!m_firstOut.isEmpty());
    // A run killed mid-write: the last line cut in half, no newline.
    const qsizetype lastStart = m_firstOut.lastIndexOf('\n', m_firstOut.size() - 2) + 1;
    const QByteArray lastLine = m_firstOut.mid(lastStart);
    writeFile(m_out, m_firstOut.left(lastStart) + lastLine.left(lastLine.size() / 2));
    const CliRun r = runCli(command(m_out));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("predictions.jsonl:4: dropped a partial last line"), r.err.constData());
    QVERIFY2(r.err.contains("skipping 3 of 5"), r.err.constData());
    QVERIFY2(r.err.contains("[2/2] c.dcm <DETAILED_CAPTION>:"), r.err.constData());
    QCOMPARE(readFile(m_out), m_firstOut); // greedy decoding is deterministic

    // the repaired file is complete: a further run predicts nothing and leaves it as it is
    const CliRun again = runCli(command(m_out));
    QVERIFY2(again.err.contains("skipping 4 of 5"), again.err.constData());
    QCOMPARE(readFile(m_out), m_firstOut);
}

void TestPredictSplitCli::taskFilterAndCleanSplit()
{
    const QString od = m_tmp.filePath(QStringLiteral("od.jsonl"));
    CliRun r = runCli(command(od, {"--task", "<OD>"}));
    QCOMPARE(r.code, 1); // the malformed line may hold any prefix: still reported
    QVERIFY2(r.err.contains("[1/1] a.png <OD>:"), r.err.constData());
    QVERIFY2(!r.err.contains("missing.png"), r.err.constData());
    const std::vector<Json> rows = jsonLines(readFile(od));
    QCOMPARE(rows.size(), size_t(1));
    QCOMPARE(rows[0]["prefix"].get<std::string>(), std::string("<OD>"));
    QCOMPARE(rows[0]["image"].get<std::string>(), std::string("a.png"));

    // a split without problems exits 0, and reads only its own files
    const QString train = m_tmp.filePath(QStringLiteral("train.jsonl"));
    QStringList args = command(train);
    args[args.indexOf(QStringLiteral("val"))] = QStringLiteral("train");
    r = runCli(args);
    QVERIFY2(r.code == 0, r.err.constData());
    const std::vector<Json> trainRows = jsonLines(readFile(train));
    QCOMPARE(trainRows.size(), size_t(1));
    QCOMPARE(trainRows[0]["image"].get<std::string>(), std::string("d.png"));
}

void TestPredictSplitCli::usageAndInputErrors()
{
    const QString out = m_tmp.filePath(QStringLiteral("never.jsonl"));
    QStringList noDataset = command(out);
    noDataset.removeAt(noDataset.indexOf(QStringLiteral("--dataset")) + 1);
    noDataset.removeAll(QStringLiteral("--dataset"));
    CliRun r = runCli(noDataset);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--dataset is required"), r.err.constData());
    QStringList noOut = command(out);
    noOut.removeAt(noOut.indexOf(QStringLiteral("--out")) + 1);
    noOut.removeAll(QStringLiteral("--out"));
    QCOMPARE(runCli(noOut).code, 2);
    QCOMPARE(runCli(command(out, {"--num-beams", "two"})).code, 2);

    // a split with no files, a dataset that is not there, an --out that is not ours: exit 1
    QStringList args = command(out);
    args[args.indexOf(QStringLiteral("val"))] = QStringLiteral("test");
    r = runCli(args);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("test.jsonl"), r.err.constData());
    args = command(out);
    args[args.indexOf(m_dataset)] = m_tmp.filePath(QStringLiteral("nowhere"));
    QCOMPARE(runCli(args).code, 1);
    writeFile(out, "{\"not\": \"a prediction\"}\n");
    r = runCli(command(out));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("never.jsonl:1: not a prediction line"), r.err.constData());
    QCOMPARE(readFile(out), QByteArray("{\"not\": \"a prediction\"}\n"));
}

QTEST_GUILESS_MAIN(TestPredictSplitCli)
#include "tst_predict_split_cli.moc"
