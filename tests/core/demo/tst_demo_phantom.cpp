// Tests of the demo generator's pure parts: portable random numbers, the finding draw, the
// report texts and the boxes measured from the rendered phantom.

#include "annotation/loc_codec.h"
#include "demo/chest_phantom.h"
#include "demo/demo_dataset.h"
#include "demo/demo_rng.h"
#include "demo/dicom_writer.h"
#include "demo/finding_text.h"
#include "demo/phantom_spec.h"

#include <opencv2/core.hpp>

#include <QRegularExpression>
#include <QSet>
#include <QtTest>

#include <cmath>

using namespace fmw::demo;

Q_DECLARE_METATYPE(fmw::demo::DemoFindings)

namespace {

constexpr int kSize = 256;

// A drawn spec with its findings replaced, so one finding can be studied on its own.
PhantomSpec specWith(const DemoFindings &findings, quint32 seed = 11)
{
    DemoRng rng(seed);
    return drawPhantomSpec(findings, rng);
}

cv::Mat absDiff(const cv::Mat &a, const cv::Mat &b)
{
    cv::Mat d(a.rows, a.cols, CV_32FC1);
    for (int y = 0; y < a.rows; ++y)
        for (int x = 0; x < a.cols; ++x)
            d.at<float>(y, x) = std::fabs(a.at<float>(y, x) - b.at<float>(y, x));
    return d;
}

bool inBox(const fmw::loc::BoxPx &box, int x, int y)
{
    return x >= box[0] && x < box[2] && y >= box[1] && y < box[3];
}

} // namespace

class TestDemoPhantom : public QObject {
    Q_OBJECT

private slots:
    void rngIsPortable();
    void rngBelowIsUniform();
    void sampleIsPureFunction();
    void findingDrawCoversEveryKind();
    void texts_data();
    void texts();
    void textsFollowFindings();
    void normalSampleSaysNormal();
    void boxEnclosesFinding_data();
    void boxEnclosesFinding();
    void noduleBoxHoldsBrightestPixels();
    void odSuffixRoundTrips();
    void dicomUids();
};

void TestDemoPhantom::rngIsPortable()
{
    // mt19937 is fixed by the standard and the distributions are ours: these values must be
    // the same with every compiler and standard library.
    DemoRng rng(42);
    QCOMPARE(rng.next(), 1608637542u);
    QCOMPARE(rng.below(100), 67);
    QCOMPARE(rng.below(7), 4);
    QCOMPARE(rng.uniform(), 0.18343478986616379);
    QCOMPARE(rng.gaussian(), -0.13449577709237323);
    QCOMPARE(mixSeed(1, 0), mixSeed(1, 0));
    QVERIFY(mixSeed(1, 0) != mixSeed(1, 1));
    QVERIFY(mixSeed(1, 0) != mixSeed(2, 0));
}

void TestDemoPhantom::rngBelowIsUniform()
{
    DemoRng rng(7);
    int counts[6] = {};
    double sum = 0, sumSq = 0;
    const int n = 60000;
    for (int i = 0; i < n; ++i) {
        const int k = rng.below(6);
        QVERIFY(k >= 0 && k < 6);
        ++counts[k];
        const double g = rng.gaussian();
        sum += g;
        sumSq += g * g;
    }
    for (int c : counts)
        QVERIFY2(std::abs(c - n / 6) < 500, qPrintable(QString::number(c)));
    QVERIFY(std::fabs(sum / n) < 0.02);
    QVERIFY(std::fabs(sumSq / n - 1.0) < 0.03);
}

void TestDemoPhantom::sampleIsPureFunction()
{
    const DemoSample a = makeDemoSample(5, 3, 128);
    const DemoSample b = makeDemoSample(5, 3, 128);
    QCOMPARE(a.caption, b.caption);
    QCOMPARE(a.detailedCaption, b.detailedCaption);
    QCOMPARE(a.od, b.od);
    QCOMPARE(a.image.type(), CV_32FC1);
    QCOMPARE(cv::norm(a.image, b.image, cv::NORM_INF), 0.0);
    const DemoSample other = makeDemoSample(6, 3, 128);
    QVERIFY(cv::norm(a.image, other.image, cv::NORM_INF) > 0.1);
}

void TestDemoPhantom::findingDrawCoversEveryKind()
{
    int byCount[4] = {};
    int nodule = 0, effusion = 0, cardio = 0, ptx = 0, ett = 0, line = 0, pacer = 0;
    for (quint32 seed = 0; seed < 2000; ++seed) {
        DemoRng rng(mixSeed(seed, 0));
        const DemoFindings f = drawFindings(rng);
        QVERIFY(f.count() >= 0 && f.count() <= 3);
        ++byCount[f.count()];
        nodule += f.nodule.has_value();
        effusion += f.effusion.has_value();
        cardio += f.cardiomegaly;
        ptx += f.pneumothorax.has_value();
        ett += f.endotrachealTube;
        line += f.centralLine.has_value();
        pacer += f.pacemaker;
        if (f.effusion && f.pneumothorax)
            QVERIFY(f.effusion->side != *f.pneumothorax);
        if (f.effusion && f.nodule && f.effusion->size == Extent::Large)
            QVERIFY(f.effusion->side != f.nodule->side);
    }
    for (int c : byCount)
        QVERIFY(c > 200);
    for (int k : {nodule, effusion, cardio, ptx, ett, line, pacer})
        QVERIFY(k > 100);
}

void TestDemoPhantom::texts_data()
{
    QTest::addColumn<DemoFindings>("findings");
    QTest::addColumn<QString>("caption");
    QTest::addColumn<QString>("detailed");

    QTest::newRow("normal") << DemoFindings()
                            << "No acute cardiopulmonary abnormality."
                            << "The heart size is normal. No pleural effusion. No pulmonary nodule. "
                               "No pneumothorax. No support devices.";
    DemoFindings effusionCardio;
    effusionCardio.effusion = EffusionFinding{Side::Right, Extent::Large};
    effusionCardio.cardiomegaly = true;
    QTest::newRow("large right effusion + cardiomegaly")
        << effusionCardio << "Large right pleural effusion. Cardiomegaly."
        << "The heart is enlarged. There is a large right pleural effusion. No pulmonary nodule. "
           "No pneumothorax. No support devices.";
    DemoFindings three;
    three.nodule = NoduleFinding{Side::Left, Zone::Upper, Extent::Small};
    three.pneumothorax = Side::Right;
    three.endotrachealTube = true;
    QTest::newRow("nodule + pneumothorax + tube")
        << three << "Right pneumothorax. Small left upper zone nodule. Endotracheal tube in place."
        << "The heart size is normal. No pleural effusion. There is a small nodule in the left upper "
           "zone. There is a right pneumothorax. An endotracheal tube is in place.";
    DemoFindings devices;
    devices.centralLine = Side::Left;
    devices.pacemaker = true;
    QTest::newRow("devices only")
        << devices
        << "No acute cardiopulmonary abnormality. Left-sided central line in place. Pacemaker in place."
        << "The heart size is normal. No pleural effusion. No pulmonary nodule. No pneumothorax. "
           "A left-sided central line is in place. A left chest wall pacemaker is in place.";
    DemoFindings lower;
    lower.nodule = NoduleFinding{Side::Right, Zone::Lower, Extent::Large};
    lower.effusion = EffusionFinding{Side::Left, Extent::Small};
    QTest::newRow("large lower nodule + small effusion")
        << lower << "Small left pleural effusion. Large right lower zone nodule."
        << "The heart size is normal. There is a small left pleural effusion. There is a large nodule "
           "in the right lower zone. No pneumothorax. No support devices.";
}

void TestDemoPhantom::texts()
{
    QFETCH(DemoFindings, findings);
    QFETCH(QString, caption);
    QFETCH(QString, detailed);
    QCOMPARE(impressionText(findings), caption);
    QCOMPARE(findingsText(findings), detailed);
}

void TestDemoPhantom::textsFollowFindings()
{
    // Over many draws, each finding is named in both texts exactly when it was drawn.
    for (quint32 seed = 0; seed < 500; ++seed) {
        DemoRng rng(mixSeed(seed, 0));
        const DemoFindings f = drawFindings(rng);
        const QString cap = impressionText(f);
        const QString det = findingsText(f);
        QCOMPARE(cap.contains(QLatin1String("pneumothorax")), f.pneumothorax.has_value());
        QCOMPARE(det.contains(QLatin1String("There is a ")
                              + (f.pneumothorax ? sideWord(*f.pneumothorax) : QString()) + " pneumothorax"),
                 f.pneumothorax.has_value());
        QCOMPARE(cap.contains(QLatin1String("pleural effusion")), f.effusion.has_value());
        QCOMPARE(det.contains(QLatin1String("No pleural effusion.")), !f.effusion.has_value());
        QCOMPARE(cap.contains(QLatin1String("nodule")), f.nodule.has_value());
        QCOMPARE(det.contains(QLatin1String("No pulmonary nodule.")), !f.nodule.has_value());
        if (f.nodule)
            QVERIFY(det.contains(QStringLiteral("%1 nodule in the %2 %3 zone")
                                     .arg(extentWord(f.nodule->size), sideWord(f.nodule->side),
                                          zoneWord(f.nodule->zone))));
        QCOMPARE(cap.contains(QLatin1String("Cardiomegaly.")), f.cardiomegaly);
        QCOMPARE(det.contains(QLatin1String("The heart is enlarged.")), f.cardiomegaly);
        QCOMPARE(cap.contains(QLatin1String("Endotracheal tube")), f.endotrachealTube);
        QCOMPARE(cap.contains(QLatin1String("central line")), f.centralLine.has_value());
        QCOMPARE(cap.contains(QLatin1String("Pacemaker")), f.pacemaker);
        QCOMPARE(cap.contains(QLatin1String("No acute cardiopulmonary abnormality.")), !f.hasAbnormality());
        QCOMPARE(det.contains(QLatin1String("No support devices.")), !f.hasDevices());
    }
}

void TestDemoPhantom::normalSampleSaysNormal()
{
    int normals = 0;
    for (int index = 0; index < 40 && normals < 3; ++index) {
        const DemoSample s = makeDemoSample(1, index, 96);
        if (s.findings().count() != 0)
            continue;
        ++normals;
        QCOMPARE(s.caption, QStringLiteral("No acute cardiopulmonary abnormality."));
        QVERIFY(s.boxes.empty());
        QVERIFY(s.od.isEmpty());
        QVERIFY(s.detailedCaption.startsWith(QLatin1String("The heart size is normal.")));
    }
    QCOMPARE(normals, 3);
}

void TestDemoPhantom::boxEnclosesFinding_data()
{
    QTest::addColumn<DemoFindings>("findings");
    QTest::addColumn<QString>("label");
    QTest::addColumn<int>("minWidth");  // pixels at kSize; proves the box is not a speck

    const auto row = [](const char *name, DemoFindings f, const char *label, int minWidth) {
        QTest::newRow(name) << f << QString::fromLatin1(label) << minWidth;
    };
    for (Side side : {Side::Right, Side::Left}) {
        for (Zone zone : {Zone::Upper, Zone::Middle, Zone::Lower}) {
            for (Extent size : {Extent::Small, Extent::Large}) {
                DemoFindings f;
                f.nodule = NoduleFinding{side, zone, size};
                const QByteArray name = "nodule " + sideWord(side).toLatin1() + ' ' + zoneWord(zone).toLatin1()
                                        + ' ' + extentWord(size).toLatin1();
                row(name.constData(), f, kLabelNodule, size == Extent::Small ? 8 : 16);
            }
        }
        DemoFindings small, large, ptx, line;
        small.effusion = EffusionFinding{side, Extent::Small};
        large.effusion = EffusionFinding{side, Extent::Large};
        ptx.pneumothorax = side;
        line.centralLine = side;
        const QByteArray s = sideWord(side).toLatin1();
        row(("small effusion " + s).constData(), small, kLabelEffusion, 10);
        row(("large effusion " + s).constData(), large, kLabelEffusion, 25);
        row(("pneumothorax " + s).constData(), ptx, kLabelPneumothorax, 25);
        row(("central line " + s).constData(), line, kLabelCentralLine, 40);
    }
    DemoFindings cardio, ett, pacer;
    cardio.cardiomegaly = true;
    ett.endotrachealTube = true;
    pacer.pacemaker = true;
    row("cardiomegaly", cardio, kLabelCardiomegaly, 60);
    row("endotracheal tube", ett, kLabelEndotrachealTube, 4);
    row("pacemaker", pacer, kLabelPacemaker, 12);
}

void TestDemoPhantom::boxEnclosesFinding()
{
    QFETCH(DemoFindings, findings);
    QFETCH(QString, label);
    QFETCH(int, minWidth);

    const PhantomSpec spec = specWith(findings);
    const PhantomImage image = renderPhantom(spec, kSize);
    QCOMPARE(int(image.boxes.size()), 1);
    const PhantomBox &box = image.boxes.front();
    QCOMPARE(QString::fromStdString(box.label), label);
    QVERIFY2(box.box[2] - box.box[0] >= minWidth, qPrintable(QString::number(box.box[2] - box.box[0])));

    // Every pixel the finding visibly changes lies in its box; the box is tight (its border rows
    // and columns each hold such a pixel), and the largest change is inside it.
    PhantomSpec without = spec;
    without.findings = DemoFindings();
    const cv::Mat diff = absDiff(renderPhantomClean(spec, kSize), renderPhantomClean(without, kSize));
    double maxVal = 0;
    cv::Point maxLoc;
    cv::minMaxLoc(diff, nullptr, &maxVal, nullptr, &maxLoc);
    QVERIFY(maxVal > 0.1);
    QVERIFY(inBox(box.box, maxLoc.x, maxLoc.y));
    if (findings.pacemaker)
        return;  // its box is the generator (the largest change), not the leads
    bool top = false, bottom = false, left = false, right = false;
    for (int y = 0; y < kSize; ++y) {
        for (int x = 0; x < kSize; ++x) {
            if (diff.at<float>(y, x) <= kBoxThreshold)
                continue;
            QVERIFY2(inBox(box.box, x, y), qPrintable(QStringLiteral("changed pixel %1,%2 outside").arg(x).arg(y)));
            top = top || y == int(box.box[1]);
            bottom = bottom || y == int(box.box[3]) - 1;
            left = left || x == int(box.box[0]);
            right = right || x == int(box.box[2]) - 1;
        }
    }
    QVERIFY(top && bottom && left && right);
}

void TestDemoPhantom::noduleBoxHoldsBrightestPixels()
{
    DemoFindings f;
    f.nodule = NoduleFinding{Side::Left, Zone::Middle, Extent::Large};
    const PhantomSpec spec = specWith(f, 3);
    const PhantomImage image = renderPhantom(spec, kSize);
    QCOMPARE(int(image.boxes.size()), 1);
    const fmw::loc::BoxPx box = image.boxes.front().box;
    // The nodule centre is drawn where the geometry says, on the patient's left (image right).
    const double cx = spec.geometry.noduleX * kSize, cy = spec.geometry.noduleY * kSize;
    QVERIFY(cx > kSize / 2);
    QVERIFY(std::fabs((box[0] + box[2]) / 2 - cx) < 1.5);
    QVERIFY(std::fabs((box[1] + box[3]) / 2 - cy) < 1.5);
    // The box spans the drawn sphere's diameter, and the nodule's brightest pixels (those it
    // brightens most) are at its centre.
    const double diameter = 2 * spec.geometry.noduleRadius * kSize;
    QVERIFY(std::fabs((box[2] - box[0]) - diameter) <= 3.0);
    QVERIFY(std::fabs((box[3] - box[1]) - diameter) <= 3.0);
    PhantomSpec without = spec;
    without.findings.nodule.reset();
    const cv::Mat diff = absDiff(renderPhantomClean(spec, kSize), renderPhantomClean(without, kSize));
    double maxVal = 0;
    cv::Point maxLoc;
    cv::minMaxLoc(diff, nullptr, &maxVal, nullptr, &maxLoc);
    QVERIFY(std::hypot(maxLoc.x + 0.5 - cx, maxLoc.y + 0.5 - cy) < 2.0);
    QVERIFY(maxVal > 0.15);
}

void TestDemoPhantom::odSuffixRoundTrips()
{
    int withBoxes = 0;
    for (int index = 0; index < 24; ++index) {
        const DemoSample s = makeDemoSample(9, index, 128);
        QCOMPARE(s.od.isEmpty(), s.boxes.empty());
        QCOMPARE(int(s.boxes.size()), s.findings().count());
        if (s.boxes.empty())
            continue;
        ++withBoxes;
        const auto parsed = fmw::loc::parseOd(s.od.toStdString());
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message.c_str());
        QCOMPARE(parsed->size(), s.boxes.size());
        for (size_t i = 0; i < s.boxes.size(); ++i) {
            QCOMPARE(parsed->at(i).label, s.boxes[i].label);
            QCOMPARE(parsed->at(i).bins, fmw::loc::quantizeBox(s.boxes[i].box, {128, 128}));
        }
    }
    QVERIFY(withBoxes >= 10);
}

void TestDemoPhantom::dicomUids()
{
    const QRegularExpression form(QStringLiteral("^2\\.25\\.[1-9][0-9]{0,38}$"));
    QSet<QString> seen;
    for (quint32 seed : {1u, 2u}) {
        for (int index = 0; index < 5; ++index) {
            for (int kind = 1; kind <= 3; ++kind) {
                const QString uid = demoUid(seed, index, kind);
                QVERIFY2(form.match(uid).hasMatch(), qPrintable(uid));
                QVERIFY(uid.size() <= 64);
                QCOMPARE(demoUid(seed, index, kind), uid);
                seen.insert(uid);
            }
        }
    }
    QCOMPARE(seen.size(), 30);
}

QTEST_GUILESS_MAIN(TestDemoPhantom)
#include "tst_demo_phantom.moc"
