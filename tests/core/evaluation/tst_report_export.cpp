// Report files: CSV quoting and rows worst first, JSON with the notes, a self-contained HTML
// page with the corpus metrics and their definitions, format by extension, atomic writes with
// errors naming the file.

#include "evaluation/report_export.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

using namespace fmw::eval;

namespace {

TaskReport captionReport()
{
    return evaluateTask("<CAPTION>",
        {{"a.png", "<CAPTION>", "No acute cardiopulmonary abnormality.",
             {"No acute cardiopulmonary abnormality."}},
            {"b.png", "<CAPTION>", "Small, \"left\" effusion.",
                {"Cardiomegaly with pulmonary edema.", "Edema."}},
            {"c.png", "<CAPTION>", "Mild cardiomegaly.", {"Cardiomegaly."}}});
}

// Minimal RFC 4180 reader: fields of each record (quoted fields may hold commas, quotes, CRLF).
std::vector<std::vector<std::string>> parseCsv(const std::string &text)
{
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false, inQuotes = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inQuotes) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                inQuotes = false;
            } else {
                field += c;
            }
        } else if (c == '"' && field.empty() && !quoted) {
            inQuotes = quoted = true;
        } else if (c == ',') {
            rows.back().push_back(field);
            field.clear();
            quoted = false;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            rows.back().push_back(field);
            field.clear();
            quoted = false;
            rows.emplace_back();
            ++i;
        } else {
            field += c;
        }
    }
    if (rows.back().empty())
        rows.pop_back();
    return rows;
}

std::string readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll().toStdString() : std::string();
}

} // namespace

class TestReportExport : public QObject {
    Q_OBJECT
private slots:
    void csvFieldQuoting_data();
    void csvFieldQuoting();
    void csvHasOneRowPerSampleWorstFirst();
    void jsonCarriesReportAndNotes();
    void htmlIsSelfContainedWithDefinitions();
    void detectionColumns();
    void formatByExtension();
    void writesAtomicallyAndNamesTheFile();
};

void TestReportExport::csvFieldQuoting_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain") << "abc"
                           << "abc";
    QTest::newRow("comma") << "a,b"
                           << "\"a,b\"";
    QTest::newRow("quote doubled") << "say \"hi\""
                                   << "\"say \"\"hi\"\"\"";
    QTest::newRow("newline") << "a\nb"
                             << "\"a\nb\"";
    QTest::newRow("leading space") << " a"
                                   << "\" a\"";
    QTest::newRow("empty") << ""
                           << "";
}

void TestReportExport::csvFieldQuoting()
{
    QFETCH(QString, field);
    QFETCH(QString, expected);
    QCOMPARE(QString::fromStdString(csvField(field.toStdString())), expected);
}

void TestReportExport::csvHasOneRowPerSampleWorstFirst()
{
    const TaskReport report = captionReport();
    const auto rows = parseCsv(reportCsv(report));
    QCOMPARE(rows.size(), size_t(4));
    QCOMPARE(rows[0],
        (std::vector<std::string> {"rank", "image", "prefix", "reference", "generated", "exact", "BLEU-4",
            "ROUGE-L", "CIDEr-D", "Finding F1"}));
    for (size_t r = 1; r < rows.size(); ++r) {
        QCOMPARE(rows[r].size(), rows[0].size());
        QCOMPARE(rows[r][0], std::to_string(r));
        QCOMPARE(rows[r][1], report.samples[size_t(report.worstFirst[r - 1])].image);
    }
    // The sample with a comma and quotes, and two references, survives the round trip.
    bool found = false;
    for (const auto &row : rows) {
        if (row[1] == "b.png") {
            found = true;
            QCOMPARE(row[4], std::string("Small, \"left\" effusion."));
            QCOMPARE(row[3], std::string("Cardiomegaly with pulmonary edema.\nEdema."));
        }
    }
    QVERIFY(found);
    QCOMPARE(rows.back()[1], std::string("a.png")); // exact match: best, last
    QCOMPARE(rows.back()[5], std::string("1"));
}

void TestReportExport::jsonCarriesReportAndNotes()
{
    const auto j = nlohmann::json::parse(reportJson(captionReport()));
    QCOMPARE(j["task"].get<std::string>(), std::string("<CAPTION>"));
    QCOMPARE(j["samples_worst_first"].size(), size_t(3));
    QVERIFY(j["notes"].is_array() && !j["notes"].empty());
    QVERIFY(j.contains("bleu") && j.contains("cider_d"));
}

void TestReportExport::htmlIsSelfContainedWithDefinitions()
{
    const std::string html = reportHtml(captionReport(), "Val <CAPTION>");
    QVERIFY(html.rfind("<!DOCTYPE html>", 0) == 0);
    QVERIFY(html.find("<title>Val &lt;CAPTION&gt;</title>") != std::string::npos);
    QVERIFY(html.find("src=") == std::string::npos && html.find("<link") == std::string::npos);
    for (const CorpusMetric &m : corpusMetrics(captionReport())) {
        QVERIFY2(html.find(m.name) != std::string::npos, m.name.c_str());
        QVERIFY(!m.definition.empty());
    }
    QVERIFY(html.find("class=\"added\"") != std::string::npos);
    QVERIFY(html.find("&quot;left&quot;") != std::string::npos);
    QVERIFY(html.find("</html>") != std::string::npos);
}

void TestReportExport::detectionColumns()
{
    const TaskReport report = evaluateTask("<OD>",
        {{"a.png", "<OD>", "cardiomegaly<loc_100><loc_100><loc_500><loc_500>",
             {"cardiomegaly<loc_100><loc_100><loc_500><loc_500>"}},
            {"b.png", "<OD>", "", {"edema<loc_1><loc_1><loc_9><loc_9>"}}});
    QCOMPARE(
        sampleMetricNames(report), (std::vector<std::string> {"Box F1", "Precision", "Recall", "Mean IoU"}));
    QCOMPARE(sampleMetrics(report, 0), (std::vector<double> {1.0, 1.0, 1.0, 1.0}));
    QCOMPARE(sampleMetrics(report, 1)[0], 0.0);
    const auto rows = parseCsv(reportCsv(report));
    QCOMPARE(rows.size(), size_t(3));
    QCOMPARE(rows[1][1], std::string("b.png"));
    QCOMPARE(corpusMetrics(report)[1].name, std::string("Box precision"));
}

void TestReportExport::formatByExtension()
{
    QCOMPARE(*reportFormatForPath("/x/r.CSV"), ReportFormat::Csv);
    QCOMPARE(*reportFormatForPath("r.json"), ReportFormat::Json);
    QCOMPARE(*reportFormatForPath("r.htm"), ReportFormat::Html);
    const auto bad = reportFormatForPath("r.txt");
    QVERIFY(!bad);
    QCOMPARE(bad.error().path, std::string("r.txt"));
}

void TestReportExport::writesAtomicallyAndNamesTheFile()
{
    QTemporaryDir dir;
    const TaskReport report = captionReport();
    const QString csv = dir.filePath("r.csv");
    QVERIFY(writeReport(csv.toStdString(), ReportFormat::Csv, report).ok());
    QCOMPARE(readAll(csv), reportCsv(report));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList {"r.csv"}); // no temporary left over
    const QString html = dir.filePath("r.html");
    QVERIFY(writeReport(html.toStdString(), ReportFormat::Html, report, "T").ok());
    QCOMPARE(readAll(html), reportHtml(report, "T"));

    const std::string missing = dir.filePath("no/such/dir/r.json").toStdString();
    const auto failed = writeReport(missing, ReportFormat::Json, report);
    QVERIFY(!failed);
    QCOMPARE(failed.error().path, missing);
}

QTEST_APPLESS_MAIN(TestReportExport)
#include "tst_report_export.moc"
