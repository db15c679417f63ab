// Tests of the demo dataset folder: layout, records, splits, DICOM files and byte-identical
// regeneration.

#include "annotation/loc_codec.h"
#include "demo/demo_dataset.h"
#include "demo/dicom_writer.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>

using namespace fmw::demo;

namespace {

DemoOptions smallOptions(quint32 seed = 3)
{
    DemoOptions o;
    o.count = 14;
    o.seed = seed;
    o.size = 96;
    o.dicomFraction = 0.3;  // 4 DICOMs: every photometric/depth combination
    return o;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

// Relative path -> bytes of every file under `dir`.
QMap<QString, QByteArray> snapshot(const QString &dir)
{
    QMap<QString, QByteArray> files;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        files.insert(QDir(dir).relativeFilePath(path), readAll(path));
    }
    return files;
}

struct Record {
    QString image, prefix, suffix;
};

// Parses a JSONL file, failing the test on any line that is not exactly
// {"image", "prefix", "suffix"} in that order with string values.
QList<Record> readRecords(const QString &path)
{
    QList<Record> records;
    const QList<QByteArray> lines = readAll(path).split('\n');
    if (!lines.isEmpty() && !lines.last().isEmpty())
        qFatal("%s lacks a final newline", qPrintable(path));
    for (int i = 0; i + 1 < lines.size(); ++i) {
        const auto json = nlohmann::ordered_json::parse(lines[i].toStdString(), nullptr, false);
        if (!json.is_object() || json.size() != 3)
            qFatal("%s:%d: not a 3-key object", qPrintable(path), i + 1);
        const char *keys[] = {"image", "prefix", "suffix"};
        int k = 0;
        for (const auto &item : json.items()) {
            if (item.key() != keys[k++] || !item.value().is_string())
                qFatal("%s:%d: keys out of order or not strings", qPrintable(path), i + 1);
        }
        records.append({QString::fromStdString(json["image"].get<std::string>()),
                        QString::fromStdString(json["prefix"].get<std::string>()),
                        QString::fromStdString(json["suffix"].get<std::string>())});
    }
    return records;
}

QString dicomString(DcmDataset *d, const DcmTagKey &tag)
{
    OFString value;
    d->findAndGetOFStringArray(tag, value);
    return QString::fromLatin1(value.c_str());
}

} // namespace

class TestDemoDataset : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void layoutAndRecords();
    void imagesMatchSamples();
    void dicomFiles_data();
    void dicomFiles();
    void regenerationIsByteIdentical();
    void differentSeedsDiffer();
    void splitPlan_data();
    void splitPlan();
    void refusesNonEmptyFolder();
    void rejectsBadOptions();

private:
    QTemporaryDir m_tmp;
    QString m_dir;
    std::vector<DemoImagePlan> m_plan;
};

void TestDemoDataset::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_dir = m_tmp.filePath(QStringLiteral("demo"));
    const auto written = writeDemoDataset(m_dir, smallOptions());
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().toString().c_str());
    QCOMPARE(written->images, 14);
    QCOMPARE(written->dicom, 4);
    QCOMPARE(written->train + written->val + written->test, 14);
    m_plan = planDemoDataset(smallOptions());
}

void TestDemoDataset::layoutAndRecords()
{
    const QStringList expected = {"README.txt", "images", "test.jsonl", "test_detailed_caption.jsonl",
                                  "train.jsonl", "train_detailed_caption.jsonl", "val.jsonl",
                                  "val_detailed_caption.jsonl"};
    QCOMPARE(QDir(m_dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot, QDir::Name), expected);
    QVERIFY(readAll(QDir(m_dir).filePath("README.txt")).contains("SYNTHETIC"));

    const QStringList images = QDir(m_dir + "/images").entryList(QDir::Files, QDir::Name);
    QCOMPARE(images.size(), 14);
    QSet<QString> captioned, detailed;
    for (const char *split : {"train", "val", "test"}) {
        QSet<QString> inSplit;
        for (const Record &r : readRecords(QDir(m_dir).filePath(QString::fromLatin1(split) + ".jsonl"))) {
            QVERIFY(images.contains(r.image));
            QVERIFY(r.prefix == "<CAPTION>" || r.prefix == "<OD>");
            QVERIFY(!r.suffix.isEmpty());
            if (r.prefix == "<CAPTION>") {
                QVERIFY(!captioned.contains(r.image));
                captioned.insert(r.image);
            } else {
                const auto od = fmw::loc::parseOd(r.suffix.toStdString());
                QVERIFY2(od.ok(), od.ok() ? "" : od.error().message.c_str());
                QVERIFY(!od->empty());
            }
            inSplit.insert(r.image);
        }
        for (const Record &r :
             readRecords(QDir(m_dir).filePath(QString::fromLatin1(split) + "_detailed_caption.jsonl"))) {
            QCOMPARE(r.prefix, QStringLiteral("<DETAILED_CAPTION>"));
            QVERIFY(inSplit.contains(r.image));  // same split as its caption
            QVERIFY(!detailed.contains(r.image));
            detailed.insert(r.image);
        }
    }
    QCOMPARE(captioned.size(), 14);
    QCOMPARE(detailed.size(), 14);
    // Built beside the target and renamed into place: no work folder is left behind.
    QCOMPARE(QDir(m_tmp.path()).entryList({"*partial*"}, QDir::AllEntries), QStringList());
}

void TestDemoDataset::imagesMatchSamples()
{
    // Every file holds exactly the sample's pixels, and its records hold the sample's texts.
    const DemoOptions o = smallOptions();
    QMap<QString, QStringList> suffixes;  // image -> suffixes in file order
    for (const char *name : {"train.jsonl", "val.jsonl", "test.jsonl", "train_detailed_caption.jsonl",
                             "val_detailed_caption.jsonl", "test_detailed_caption.jsonl"})
        for (const Record &r : readRecords(QDir(m_dir).filePath(QString::fromLatin1(name))))
            suffixes[r.image] << r.prefix + r.suffix;
    for (int i = 0; i < o.count; ++i) {
        const DemoSample s = makeDemoSample(o.seed, i, o.size);
        const DemoImagePlan &p = m_plan[size_t(i)];
        QStringList expected = {"<CAPTION>" + s.caption};
        if (!s.od.isEmpty())
            expected << "<OD>" + s.od;
        expected << "<DETAILED_CAPTION>" + s.detailedCaption;
        QCOMPARE(suffixes.value(p.name), expected);
        if (p.dicom)
            continue;
        const cv::Mat png = cv::imread(QDir(m_dir).filePath("images/" + p.name).toStdString(),
                                       cv::IMREAD_UNCHANGED);
        QCOMPARE(png.type(), CV_8UC1);
        QCOMPARE(cv::norm(png, toGray8(s.image), cv::NORM_INF), 0.0);
    }
}

void TestDemoDataset::dicomFiles_data()
{
    QTest::addColumn<int>("index");
    for (const DemoImagePlan &p : planDemoDataset(smallOptions()))
        if (p.dicom)
            QTest::newRow(qPrintable(p.name + (p.monochrome1 ? " MONOCHROME1 " : " MONOCHROME2 ")
                                     + QString::number(p.bitsStored)))
                << QStringView(p.name).mid(5, 4).toInt() - 1;
}

void TestDemoDataset::dicomFiles()
{
    QFETCH(int, index);
    const DemoOptions o = smallOptions();
    const DemoImagePlan &p = m_plan[size_t(index)];
    QVERIFY(p.dicom);
    DcmFileFormat file;
    const QString path = QDir(m_dir).filePath("images/" + p.name);
    QVERIFY(file.loadFile(OFFilename(QFile::encodeName(path).constData())).good());
    DcmDataset *d = file.getDataset();
    QCOMPARE(dicomString(d, DCM_PhotometricInterpretation),
             p.monochrome1 ? QStringLiteral("MONOCHROME1") : QStringLiteral("MONOCHROME2"));
    QCOMPARE(dicomString(d, DCM_Modality), QStringLiteral("DX"));
    QCOMPARE(dicomString(d, DCM_ViewPosition), QStringLiteral("PA"));
    QCOMPARE(dicomString(d, DCM_PatientName), QStringLiteral("DEMO^SYNTHETIC"));
    QVERIFY(dicomString(d, DCM_PatientID).startsWith(QLatin1String("DEMO-")));
    QCOMPARE(dicomString(d, DCM_SOPInstanceUID), demoUid(o.seed, index, 3));
    QCOMPARE(dicomString(d, DCM_StudyInstanceUID), demoUid(o.seed, index, 1));
    QVERIFY(!dicomString(d, DCM_WindowCenter).isEmpty());
    Uint16 rows = 0, cols = 0, allocated = 0, stored = 0, highBit = 0;
    QVERIFY(d->findAndGetUint16(DCM_Rows, rows).good());
    QVERIFY(d->findAndGetUint16(DCM_Columns, cols).good());
    QVERIFY(d->findAndGetUint16(DCM_BitsAllocated, allocated).good());
    QVERIFY(d->findAndGetUint16(DCM_BitsStored, stored).good());
    QVERIFY(d->findAndGetUint16(DCM_HighBit, highBit).good());
    QCOMPARE(int(rows), o.size);
    QCOMPARE(int(cols), o.size);
    QCOMPARE(int(allocated), 16);
    QCOMPARE(int(stored), p.bitsStored);
    QCOMPARE(int(highBit), p.bitsStored - 1);

    // Undo the stored-value mapping (and MONOCHROME1's inversion): the sample's brightness.
    const Uint16 *pixels = nullptr;
    unsigned long count = 0;
    QVERIFY(d->findAndGetUint16Array(DCM_PixelData, pixels, &count).good());
    QCOMPARE(count, static_cast<unsigned long>(o.size) * o.size);
    const DemoDicomScale scale = demoDicomScale(p.bitsStored);
    const int max = (1 << p.bitsStored) - 1;
    const DemoSample s = makeDemoSample(o.seed, index, o.size);
    double worst = 0;
    for (int y = 0; y < o.size; ++y) {
        for (int x = 0; x < o.size; ++x) {
            int v = pixels[y * o.size + x];
            QVERIFY(v <= max);
            if (p.monochrome1)
                v = max - v;
            const double brightness = double(v - scale.low) / (scale.high - scale.low);
            worst = std::max(worst, std::fabs(brightness - s.image.at<float>(y, x)));
        }
    }
    QVERIFY2(worst < 1.0 / 2000, qPrintable(QString::number(worst)));

    // The window in the file spans the brightness range in modality units.
    const double center = dicomString(d, DCM_WindowCenter).toDouble();
    const double width = dicomString(d, DCM_WindowWidth).toDouble();
    QCOMPARE(width, scale.slope * (scale.high - scale.low));
    const double midStored = (scale.low + scale.high) / 2.0;
    QCOMPARE(center, scale.slope * (p.monochrome1 ? max - midStored : midStored) + scale.intercept);
}

void TestDemoDataset::regenerationIsByteIdentical()
{
    const QString again = m_tmp.filePath(QStringLiteral("again"));
    QVERIFY(writeDemoDataset(again, smallOptions()).ok());
    const auto first = snapshot(m_dir);
    const auto second = snapshot(again);
    QCOMPARE(first.keys(), second.keys());
    for (auto it = first.begin(); it != first.end(); ++it)
        QVERIFY2(it.value() == second.value(it.key()), qPrintable(it.key() + " differs"));
}

void TestDemoDataset::differentSeedsDiffer()
{
    const QString other = m_tmp.filePath(QStringLiteral("other-seed"));
    QVERIFY(writeDemoDataset(other, smallOptions(4)).ok());
    const auto first = snapshot(m_dir);
    const auto second = snapshot(other);
    int differing = 0;
    for (auto it = first.begin(); it != first.end(); ++it)
        if (second.contains(it.key()) && second.value(it.key()) != it.value())
            ++differing;
    QVERIFY(readAll(m_dir + "/train_detailed_caption.jsonl") != readAll(other + "/train_detailed_caption.jsonl"));
    QVERIFY2(differing >= 12, qPrintable(QString::number(differing)));  // the images at least
}

void TestDemoDataset::splitPlan_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("train");
    QTest::addColumn<int>("val");
    QTest::addColumn<int>("test");
    QTest::newRow("1 image") << 1 << 1 << 0 << 0;
    QTest::newRow("3 images") << 3 << 1 << 1 << 1;
    QTest::newRow("10 images") << 10 << 8 << 1 << 1;
    QTest::newRow("48 images") << 48 << 38 << 5 << 5;
    QTest::newRow("1000 images") << 1000 << 800 << 100 << 100;
}

void TestDemoDataset::splitPlan()
{
    QFETCH(int, count);
    QFETCH(int, train);
    QFETCH(int, val);
    QFETCH(int, test);
    DemoOptions o;
    o.count = count;
    o.seed = 5;
    const auto plan = planDemoDataset(o);
    int counts[3] = {};
    QSet<QString> names;
    int dicom = 0;
    for (const DemoImagePlan &p : plan) {
        ++counts[int(p.split)];
        names.insert(p.name);
        dicom += p.dicom;
    }
    QCOMPARE(counts[0], train);
    QCOMPARE(counts[1], val);
    QCOMPARE(counts[2], test);
    QCOMPARE(names.size(), count);
    QCOMPARE(dicom, int(std::lround(0.1 * count)));
    // Deterministic, and a different seed shuffles differently.
    const auto again = planDemoDataset(o);
    for (size_t i = 0; i < plan.size(); ++i)
        QCOMPARE(int(again[i].split), int(plan[i].split));
    if (count >= 48) {
        o.seed = 6;
        const auto other = planDemoDataset(o);
        int moved = 0;
        for (size_t i = 0; i < plan.size(); ++i)
            moved += other[i].split != plan[i].split;
        QVERIFY(moved > 0);
    }
}

void TestDemoDataset::refusesNonEmptyFolder()
{
    const QString dir = m_tmp.filePath(QStringLiteral("occupied"));
    QVERIFY(QDir().mkpath(dir));
    QFile keep(dir + "/notes.txt");
    QVERIFY(keep.open(QIODevice::WriteOnly));
    keep.write("mine");
    keep.close();
    const auto written = writeDemoDataset(dir, smallOptions());
    QVERIFY(!written.ok());
    QVERIFY(QString::fromStdString(written.error().message).contains("not empty"));
    QCOMPARE(QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot), QStringList{"notes.txt"});
    QCOMPARE(readAll(dir + "/notes.txt"), QByteArray("mine"));
}

void TestDemoDataset::rejectsBadOptions()
{
    DemoOptions o = smallOptions();
    o.count = 0;
    QVERIFY(!writeDemoDataset(m_tmp.filePath("bad1"), o).ok());
    o = smallOptions();
    o.size = 8;
    QVERIFY(!writeDemoDataset(m_tmp.filePath("bad2"), o).ok());
    o = smallOptions();
    o.dicomFraction = 1.5;
    QVERIFY(!writeDemoDataset(m_tmp.filePath("bad3"), o).ok());
    QVERIFY(!QFileInfo::exists(m_tmp.filePath("bad1")));
}

QTEST_GUILESS_MAIN(TestDemoDataset)
#include "tst_demo_dataset.moc"
