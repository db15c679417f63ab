// Chest window presets: the fixed HU windows for CT, and the histogram-derived windows for
// radiographs (exact percentiles on a ramp, plateaus left out, MONOCHROME1 mirrored,
// rescale applied, colour via luma), checked on hand-built images.

#include "imaging/window_presets.h"

#include <QTest>

#include <opencv2/core.hpp>

using namespace fmw::imaging;

namespace {

// `values` as a 1-row CV_16UC1 image.
DecodedImage row16(const std::vector<int> &values, const QString &photometric = QStringLiteral("MONOCHROME2"))
{
    DecodedImage image;
    image.pixels = cv::Mat(1, int(values.size()), CV_16UC1);
    for (int i = 0; i < int(values.size()); ++i)
        image.pixels.at<quint16>(0, i) = quint16(values[std::size_t(i)]);
    image.meta.isDicom = true;
    image.meta.format = QStringLiteral("DICOM");
    image.meta.modality = QStringLiteral("DX");
    image.meta.photometric = photometric;
    image.meta.bitsAllocated = 16;
    image.meta.bitsStored = 12;
    return image;
}

std::vector<int> ramp(int from, int to)
{
    std::vector<int> v;
    for (int i = from; i <= to; ++i)
        v.push_back(i);
    return v;
}

// A synthetic chest: air background (0), lung (1000..1999), soft tissue (2500..2999),
// bone (3500..3899), collimator plateau (4095); lung is the largest compartment.
std::vector<int> chest()
{
    std::vector<int> v(2000, 0);
    for (int i = 0; i < 5000; ++i)
        v.push_back(1000 + i % 1000);
    for (int i = 0; i < 3000; ++i)
        v.push_back(2500 + i % 500);
    for (int i = 0; i < 1500; ++i)
        v.push_back(3500 + i % 400);
    v.insert(v.end(), 1000, 4095);
    return v;
}

double lower(const Window &w) { return w.center - 0.5 - (w.width - 1) / 2; }
double upper(const Window &w) { return w.center - 0.5 + (w.width - 1) / 2; }

} // namespace

class TestWindowPresets : public QObject {
    Q_OBJECT

private slots:
    void ctUsesHounsfieldWindows_data();
    void ctUsesHounsfieldWindows();
    void rampGivesExactPercentiles_data();
    void rampGivesExactPercentiles();
    void chestCompartmentsOrdered();
    void monochrome1Mirrors();
    void rescaleGivesModalityUnits();
    void colourUsesLuma();
    void degenerateImages();
    void names();
};

void TestWindowPresets::ctUsesHounsfieldWindows_data()
{
    QTest::addColumn<int>("preset");
    QTest::addColumn<double>("center");
    QTest::addColumn<double>("width");
    QTest::newRow("lung W1500 L-600") << int(ChestPreset::Lung) << -600.0 << 1500.0;
    QTest::newRow("mediastinum W350 L50") << int(ChestPreset::Mediastinum) << 50.0 << 350.0;
    QTest::newRow("bone W1800 L400") << int(ChestPreset::Bone) << 400.0 << 1800.0;
}

void TestWindowPresets::ctUsesHounsfieldWindows()
{
    QFETCH(int, preset);
    QFETCH(double, center);
    QFETCH(double, width);
    DecodedImage ct = row16(ramp(0, 4095));
    ct.meta.modality = QStringLiteral("CT");
    ct.meta.rescaleIntercept = -1024;
    QVERIFY(usesHounsfieldUnits(ct.meta));
    const auto w = chestPresetWindow(ct, ChestPreset(preset));
    QVERIFY(w);
    QCOMPARE(w->center, center);
    QCOMPARE(w->width, width);
    QCOMPARE(hounsfieldPreset(ChestPreset(preset)), *w);

    // The same pixels labelled DX are not in HU: derived from the histogram instead.
    ct.meta.modality = QStringLiteral("DX");
    QVERIFY(!usesHounsfieldUnits(ct.meta));
    QVERIFY(!(*chestPresetWindow(ct, ChestPreset(preset)) == hounsfieldPreset(ChestPreset(preset))));
}

void TestWindowPresets::rampGivesExactPercentiles_data()
{
    QTest::addColumn<int>("preset");
    QTest::addColumn<double>("lo");
    QTest::addColumn<double>("hi");
    // Values 0..1000: the extremes 0 and 1000 are left out, 999 values remain (1..999); the
    // value at fraction f is 1 + round(f * 998).
    QTest::newRow("lung 2%..60%") << int(ChestPreset::Lung) << 21.0 << 600.0;
    QTest::newRow("mediastinum 30%..99%") << int(ChestPreset::Mediastinum) << 300.0 << 989.0;
    QTest::newRow("bone 60%..99.8%") << int(ChestPreset::Bone) << 600.0 << 997.0;
}

void TestWindowPresets::rampGivesExactPercentiles()
{
    QFETCH(int, preset);
    QFETCH(double, lo);
    QFETCH(double, hi);
    const auto w = chestPresetWindow(row16(ramp(0, 1000)), ChestPreset(preset));
    QVERIFY(w);
    // lo is the last value shown black, hi the first shown white (PS3.3 C.11.2.1.2.1).
    QCOMPARE(lower(*w), lo);
    QCOMPARE(upper(*w), hi);
}

void TestWindowPresets::chestCompartmentsOrdered()
{
    const DecodedImage image = row16(chest());
    const Window lung = *chestPresetWindow(image, ChestPreset::Lung);
    const Window medi = *chestPresetWindow(image, ChestPreset::Mediastinum);
    const Window bone = *chestPresetWindow(image, ChestPreset::Bone);
    // Lung: its window spans (most of) the lung values and saturates bone.
    QVERIFY2(lower(lung) < 1100 && upper(lung) >= 1999 && upper(lung) < 3500,
             qPrintable(QStringLiteral("lung %1..%2").arg(lower(lung)).arg(upper(lung))));
    // Mediastinum: starts inside the lung range, covers soft tissue and most of the bone.
    QVERIFY(lower(medi) > 1000 && lower(medi) < 2500 && upper(medi) > 3500);
    // Bone: above the lungs, on the brightest values.
    QVERIFY(lower(bone) >= 2000 && upper(bone) > 3800 && upper(bone) < 4095);
    QVERIFY(lung.center < medi.center && medi.center < bone.center);
    QVERIFY(bone.width < medi.width);
}

void TestWindowPresets::monochrome1Mirrors()
{
    // MONOCHROME1 shows high values dark: the same anatomy stored as 4095 - v gets windows
    // mirrored about 4095 / 2, so the lung window sits on high values.
    std::vector<int> inverted;
    for (int v : chest())
        inverted.push_back(4095 - v);
    const DecodedImage mono2 = row16(chest());
    const DecodedImage mono1 = row16(inverted, QStringLiteral("MONOCHROME1"));
    for (ChestPreset p : {ChestPreset::Lung, ChestPreset::Mediastinum, ChestPreset::Bone}) {
        const Window a = *chestPresetWindow(mono2, p);
        const Window b = *chestPresetWindow(mono1, p);
        QCOMPARE(b.width, a.width);
        QCOMPARE(lower(b), 4095 - upper(a));
        QCOMPARE(upper(b), 4095 - lower(a));
    }
    QVERIFY(chestPresetWindow(mono1, ChestPreset::Lung)->center > chestPresetWindow(mono1, ChestPreset::Bone)->center);
}

void TestWindowPresets::rescaleGivesModalityUnits()
{
    DecodedImage image = row16(ramp(0, 1000));
    image.meta.rescaleSlope = 2;
    image.meta.rescaleIntercept = -500;
    const Window w = *chestPresetWindow(image, ChestPreset::Lung);
    QCOMPARE(lower(w), 21.0 * 2 - 500);
    QCOMPARE(upper(w), 600.0 * 2 - 500);

    // A negative slope reverses the order of modality values, not the anatomy's order on screen.
    image.meta.rescaleSlope = -1;
    image.meta.rescaleIntercept = 0;
    const Window n = *chestPresetWindow(image, ChestPreset::Lung);
    QCOMPARE(lower(n), -979.0);
    QCOMPARE(upper(n), -400.0);
}

void TestWindowPresets::colourUsesLuma()
{
    // Gray RGB triples: luma equals the value; an 8-bit ramp 0..255.
    DecodedImage image;
    image.meta.format = QStringLiteral("PNG");
    image.meta.photometric = QStringLiteral("RGB");
    image.meta.rescaleSlope = 3;  // ignored for colour, as in the renderer
    image.pixels = cv::Mat(1, 256, CV_8UC3);
    for (int i = 0; i < 256; ++i)
        image.pixels.at<cv::Vec3b>(0, i) = cv::Vec3b(uchar(i), uchar(i), uchar(i));
    const Window w = *chestPresetWindow(image, ChestPreset::Bone);
    // 1..254 remain: 1 + round(0.6 * 253) = 153, 1 + round(0.998 * 253) = 253.
    QVERIFY(qAbs(lower(w) - 153) < 1e-6);
    QVERIFY(qAbs(upper(w) - 253) < 1e-6);
}

void TestWindowPresets::degenerateImages()
{
    QVERIFY(!chestPresetWindow(DecodedImage {}, ChestPreset::Lung));
    // Constant: nothing but the plateau; a window of width 1 at that value.
    const Window c = *chestPresetWindow(row16(std::vector<int>(50, 700)), ChestPreset::Lung);
    QCOMPARE(c.width, 1.0);
    QCOMPARE(c.center, 700.5);
    // Two values only: both are extremes, so both are kept.
    const Window two = *chestPresetWindow(row16({100, 200, 100, 200}), ChestPreset::Mediastinum);
    QVERIFY(two.width >= 1);
    QVERIFY(lower(two) >= 100 && upper(two) <= 200);
}

void TestWindowPresets::names()
{
    QCOMPARE(chestPresetName(ChestPreset::Lung), QStringLiteral("Lung"));
    QCOMPARE(chestPresetName(ChestPreset::Mediastinum), QStringLiteral("Mediastinum"));
    QCOMPARE(chestPresetName(ChestPreset::Bone), QStringLiteral("Bone"));
}

QTEST_APPLESS_MAIN(TestWindowPresets)
#include "tst_window_presets.moc"
