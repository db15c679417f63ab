// The <loc_N> codec against upstream's goldens (golden_quantize.jsonl and the <OD> cases of
// golden_postprocess.jsonl, exact float32 equality) plus strict <OD> validation.

#include "annotation/loc_codec.h"
#include "common/test_support.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace fmw;

Q_DECLARE_METATYPE(QJsonObject)

namespace {

QList<QJsonObject> readJsonl(const QString &relative)
{
    QFile file(fmwtest::sharedPath(relative));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(file.fileName()));
    QList<QJsonObject> rows;
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        if (error.error != QJsonParseError::NoError)
            qFatal("bad golden line in %s: %s", qPrintable(relative), qPrintable(error.errorString()));
        rows.append(doc.object());
    }
    return rows;
}

loc::ImageSize sizeOf(const QJsonObject &row)
{
    const QJsonArray s = row.value(QStringLiteral("image_size")).toArray();
    return {s.at(0).toDouble(), s.at(1).toDouble()};
}

std::string std8(const QString &s)
{
    return s.toStdString();
}

} // namespace

class TestLocCodec : public QObject {
    Q_OBJECT
private slots:
    void quantizeGolden_data();
    void quantizeGolden();
    void postProcessOdGolden_data();
    void postProcessOdGolden();
    void scalarEdges_data();
    void scalarEdges();
    void postProcessQuirks_data();
    void postProcessQuirks();
    void parseOdValid_data();
    void parseOdValid();
    void parseOdInvalid_data();
    void parseOdInvalid();
    void formatParseRoundTrip_data();
    void formatParseRoundTrip();
};

void TestLocCodec::quantizeGolden_data()
{
    QTest::addColumn<QJsonObject>("row");
    const QList<QJsonObject> rows
        = readJsonl(QStringLiteral("fixtures/florence2-tokenizer/golden_quantize.jsonl"));
    QCOMPARE(rows.size(), 13);
    for (const QJsonObject &row : rows)
        QTest::newRow(qPrintable(row.value(QStringLiteral("note")).toString())) << row;
}

void TestLocCodec::quantizeGolden()
{
    QFETCH(QJsonObject, row);
    const loc::ImageSize size = sizeOf(row);
    const QJsonArray px = row.value(QStringLiteral("box_px")).toArray();
    const QJsonArray bins = row.value(QStringLiteral("bins")).toArray();
    const QJsonArray deq = row.value(QStringLiteral("dequantized_px")).toArray();

    const loc::BoxPx box {float(px.at(0).toDouble()), float(px.at(1).toDouble()), float(px.at(2).toDouble()),
        float(px.at(3).toDouble())};
    const loc::Bins got = loc::quantizeBox(box, size);
    for (int i = 0; i < 4; ++i)
        QCOMPARE(got[i], bins.at(i).toInt());
    QCOMPARE(QString::fromStdString(loc::locString(got)), row.value(QStringLiteral("loc_string")).toString());

    const loc::BoxPx back = loc::dequantizeBox(got, size);
    for (int i = 0; i < 4; ++i)
        QCOMPARE(double(back[i]), deq.at(i).toDouble()); // exact, float32 widened
}

void TestLocCodec::postProcessOdGolden_data()
{
    QTest::addColumn<QJsonObject>("row");
    int count = 0;
    for (const QJsonObject &row :
        readJsonl(QStringLiteral("fixtures/florence2-tokenizer/golden_postprocess.jsonl"))) {
        if (row.value(QStringLiteral("task")).toString() != QLatin1String("<OD>"))
            continue;
        const QString name = row.value(QStringLiteral("id")).toString() + QLatin1Char(' ')
            + row.value(QStringLiteral("note")).toString();
        QTest::newRow(qPrintable(name)) << row;
        ++count;
    }
    QCOMPARE(count, 29);
}

void TestLocCodec::postProcessOdGolden()
{
    QFETCH(QJsonObject, row);
    const loc::OdResult got
        = loc::postProcessOd(std8(row.value(QStringLiteral("text")).toString()), sizeOf(row));
    const QJsonObject expected = row.value(QStringLiteral("expected")).toObject();
    const QJsonArray labels = expected.value(QStringLiteral("labels")).toArray();
    const QJsonArray bboxes = expected.value(QStringLiteral("bboxes")).toArray();

    QCOMPARE(int(got.labels.size()), labels.size());
    QCOMPARE(int(got.bboxes.size()), bboxes.size());
    for (int i = 0; i < labels.size(); ++i) {
        QCOMPARE(QString::fromStdString(got.labels[size_t(i)]), labels.at(i).toString());
        const QJsonArray box = bboxes.at(i).toArray();
        for (int k = 0; k < 4; ++k)
            QCOMPARE(double(got.bboxes[size_t(i)][size_t(k)]), box.at(k).toDouble());
    }
}

void TestLocCodec::scalarEdges_data()
{
    QTest::addColumn<double>("px");
    QTest::addColumn<double>("size");
    QTest::addColumn<int>("bin");
    QTest::newRow("512 at 1024 is 499 in float32") << 512.0 << 1024.0 << 499;
    QTest::newRow("0.7 at 1 is 699 in float32") << 0.7 << 1.0 << 699;
    QTest::newRow("x = W clamps to 999") << 640.0 << 640.0 << 999;
    QTest::newRow("negative clamps to 0") << -3.0 << 640.0 << 0;
    QTest::newRow("far beyond clamps to 999") << 1e9 << 640.0 << 999;
    QTest::newRow("NaN maps to 0") << std::nan("") << 640.0 << 0;
}

void TestLocCodec::scalarEdges()
{
    QFETCH(double, px);
    QFETCH(double, size);
    QFETCH(int, bin);
    QCOMPARE(loc::quantize(px, size), bin);
}

void TestLocCodec::postProcessQuirks_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("labels");
    QTest::addColumn<QList<int>>("firstBins");

    // A run of text can start right after a '<': upstream's findall then takes "loc_1>" as label.
    QTest::newRow("five bare locs give label loc_1>")
        << "<loc_1><loc_2><loc_3><loc_4><loc_5>" << QStringList {"loc_1>"} << QList<int> {2, 3, 4, 5};
    QTest::newRow("white space between quadruples gives empty label")
        << "a<loc_1><loc_2><loc_3><loc_4> <loc_5><loc_6><loc_7><loc_8>" << QStringList {"a", ""}
        << QList<int> {1, 2, 3, 4};
    QTest::newRow("line break inside label drops the chunk")
        << "left\nnodule<loc_1><loc_2><loc_3><loc_4>" << QStringList {} << QList<int> {};
    QTest::newRow("leading line break is stripped")
        << "\n nodule <loc_1><loc_2><loc_3><loc_4>" << QStringList {"nodule"} << QList<int> {1, 2, 3, 4};
    QTest::newRow("strip happens before the ASCII filter")
        << QString::fromUtf8("\xC3\xA9 nodule<loc_1><loc_2><loc_3><loc_4>") << QStringList {" nodule"}
        << QList<int> {1, 2, 3, 4};
}

void TestLocCodec::postProcessQuirks()
{
    QFETCH(QString, text);
    QFETCH(QStringList, labels);
    QFETCH(QList<int>, firstBins);
    const loc::OdResult got = loc::postProcessOd(text.toStdString(), {1000, 1000});
    QStringList gotLabels;
    for (const std::string &l : got.labels)
        gotLabels << QString::fromStdString(l);
    QCOMPARE(gotLabels, labels);
    if (!firstBins.isEmpty())
        for (int k = 0; k < 4; ++k)
            QCOMPARE(double(got.bboxes[0][size_t(k)]), firstBins[k] + 0.5);
}

void TestLocCodec::parseOdValid_data()
{
    QTest::addColumn<QString>("suffix");
    QTest::addColumn<QStringList>("labels");
    QTest::addColumn<QList<int>>("flatBins");

    QTest::newRow("empty") << "" << QStringList {} << QList<int> {};
    QTest::newRow("one box") << "nodule<loc_1><loc_2><loc_3><loc_4>" << QStringList {"nodule"}
                             << QList<int> {1, 2, 3, 4};
    QTest::newRow("labels with spaces") << "pleural effusion<loc_100><loc_500><loc_400><loc_900>right upper "
                                           "lobe nodule<loc_600><loc_100><loc_700><loc_200>"
                                        << QStringList {"pleural effusion", "right upper lobe nodule"}
                                        << QList<int> {100, 500, 400, 900, 600, 100, 700, 200};
    QTest::newRow("two quadruples after one label")
        << "nodule<loc_1><loc_2><loc_3><loc_4><loc_5><loc_6><loc_7><loc_8>"
        << QStringList {"nodule", "nodule"} << QList<int> {1, 2, 3, 4, 5, 6, 7, 8};
    QTest::newRow("surrounding spaces trimmed") << " nodule <loc_0><loc_0><loc_999><loc_999> "
                                                << QStringList {"nodule"} << QList<int> {0, 0, 999, 999};
    QTest::newRow("degenerate box allowed")
        << "dot<loc_5><loc_5><loc_5><loc_5>" << QStringList {"dot"} << QList<int> {5, 5, 5, 5};
}

void TestLocCodec::parseOdValid()
{
    QFETCH(QString, suffix);
    QFETCH(QStringList, labels);
    QFETCH(QList<int>, flatBins);
    const auto parsed = loc::parseOd(suffix.toStdString());
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message.c_str());
    QCOMPARE(int(parsed->size()), labels.size());
    for (int i = 0; i < labels.size(); ++i) {
        QCOMPARE(QString::fromStdString((*parsed)[size_t(i)].label), labels[i]);
        for (int k = 0; k < 4; ++k)
            QCOMPARE((*parsed)[size_t(i)].bins[size_t(k)], flatBins[i * 4 + k]);
    }
}

void TestLocCodec::parseOdInvalid_data()
{
    QTest::addColumn<QString>("suffix");
    QTest::addColumn<QString>("messagePart");

    QTest::newRow("two locs") << "nodule<loc_1><loc_2>"
                              << "multiple of 4";
    QTest::newRow("six locs") << "nodule<loc_1><loc_2><loc_3><loc_4><loc_5><loc_6>"
                              << "multiple of 4";
    QTest::newRow("loc above 999") << "nodule<loc_1><loc_2><loc_1000><loc_4>"
                                   << "out of range";
    QTest::newRow("x2 < x1") << "nodule<loc_300><loc_2><loc_100><loc_4>"
                             << "x2 < x1";
    QTest::newRow("y2 < y1") << "nodule<loc_1><loc_400><loc_3><loc_200>"
                             << "y2 < y1";
    QTest::newRow("locs without label") << "<loc_1><loc_2><loc_3><loc_4>"
                                        << "no label";
    QTest::newRow("blank label") << "  <loc_1><loc_2><loc_3><loc_4>"
                                 << "no label";
    QTest::newRow("label without box") << "nodule<loc_1><loc_2><loc_3><loc_4>mass"
                                       << "has no box";
    QTest::newRow("plain caption") << "no acute findings"
                                   << "has no box";
    QTest::newRow("unknown tag") << "<od>nodule<loc_1><loc_2><loc_3><loc_4>"
                                 << "not a <loc_N> token";
    QTest::newRow("unclosed loc") << "nodule<loc_1><loc_2"
                                  << "not a <loc_N> token";
    QTest::newRow("non-numeric loc") << "nodule<loc_a><loc_2><loc_3><loc_4>"
                                     << "not a <loc_N> token";
    QTest::newRow("leading zeros") << "nodule<loc_007><loc_2><loc_3><loc_4>"
                                   << "leading zeros";
    QTest::newRow("line break in label") << "left\nnodule<loc_1><loc_2><loc_3><loc_4>"
                                         << "line break";
}

void TestLocCodec::parseOdInvalid()
{
    QFETCH(QString, suffix);
    QFETCH(QString, messagePart);
    const auto parsed = loc::parseOd(suffix.toStdString());
    QVERIFY(!parsed.ok());
    QCOMPARE(parsed.error().code, ErrorCode::Parse);
    const QString message = QString::fromStdString(parsed.error().message);
    QVERIFY2(message.contains(messagePart), qPrintable(message));
    QVERIFY2(message.contains(QLatin1String("at character")), qPrintable(message));
}

void TestLocCodec::formatParseRoundTrip_data()
{
    QTest::addColumn<QString>("suffix");
    QTest::newRow("empty") << "";
    QTest::newRow("one") << "nodule<loc_1><loc_2><loc_3><loc_4>";
    QTest::newRow("several with spaces")
        << "pleural "
           "effusion<loc_100><loc_500><loc_400><loc_900>cardiomegaly<loc_300><loc_400><loc_700><loc_800>"
           "support device<loc_0><loc_0><loc_999><loc_999>";
    QTest::newRow("unicode label") << QString::fromUtf8("opacit\xC3\xA9<loc_1><loc_2><loc_3><loc_4>");
}

void TestLocCodec::formatParseRoundTrip()
{
    QFETCH(QString, suffix);
    const auto parsed = loc::parseOd(suffix.toStdString());
    QVERIFY(parsed.ok());
    QCOMPARE(QString::fromStdString(loc::formatOd(*parsed)), suffix);
    const auto again = loc::parseOd(loc::formatOd(*parsed));
    QVERIFY(again.ok());
    QVERIFY(*again == *parsed);

    // Boxes survive pixel space and back when the image is 1000 px wide (bin centres).
    for (const loc::OdBox &box : *parsed)
        QCOMPARE(loc::quantizeBox(loc::dequantizeBox(box.bins, {1000, 1000}), {1000, 1000}), box.bins);
}

QTEST_GUILESS_MAIN(TestLocCodec)
#include "tst_loc_codec.moc"
