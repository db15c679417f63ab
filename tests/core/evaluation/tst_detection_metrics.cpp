// Detection metrics for `<OD>`: expected numbers are computed by hand in the comments.
// Boxes are written as `<OD>` text, "a<loc_x1><loc_y1><loc_x2><loc_y2>", in bin units.

#include "evaluation/detection_metrics.h"

#include <QTest>

#include <algorithm>
#include <cmath>

using namespace fmw;
using namespace fmw::eval;

namespace {

std::string od(const std::string &label, int x1, int y1, int x2, int y2)
{
    return label + loc::locString({x1, y1, x2, y2});
}

std::vector<loc::OdBox> parsed(const QString &text)
{
    auto boxes = loc::parseOd(text.toStdString());
    if (!boxes) {
        qWarning("test input does not parse: %s", boxes.error().message.c_str());
        return {};
    }
    return boxes.value();
}

loc::OdBox box(const std::string &label, int x1, int y1, int x2, int y2)
{
    return loc::OdBox {label, {x1, y1, x2, y2}};
}

const LabelDetection *findLabel(const DetectionReport &report, const std::string &label)
{
    for (const LabelDetection &l : report.labels)
        if (l.label == label)
            return &l;
    return nullptr;
}

} // namespace

class TestDetectionMetrics : public QObject {
    Q_OBJECT

private slots:
    void iou_data();
    void iou();
    void iouMatchesDequantizedPixels();
    void perImage_data();
    void perImage();
    void greedyOrderByIouNotIndex();
    void tiesGoToLowerIndex();
    void corpusPerLabelAndOverall();
    void apAcrossThresholds();
    void apRecallPointsAreExact();
    void apFractionalRecall();
    void apUndefinedWithoutReferences();
    void mainThresholdOption();
    void worstFirst();
    void parsesRealOdStrings();
    void malformedPrediction();
    void malformedReference();
};

void TestDetectionMetrics::iou_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<double>("expected");

    const auto row = [](const char *name, const std::string &a, const std::string &b, double e) {
        QTest::newRow(name) << QString::fromStdString(a) << QString::fromStdString(b) << e;
    };
    row("identical", od("a", 0, 0, 10, 10), od("a", 0, 0, 10, 10), 1.0);
    // 100x100 shifted by dx: inter (100 - dx) * 100, union (100 + dx) * 100.
    row("shift 33: 67/133 = 0.5038", od("a", 0, 0, 100, 100), od("a", 33, 0, 133, 100), 67.0 / 133.0);
    row("shift 34: 66/134 = 0.4925", od("a", 0, 0, 100, 100), od("a", 34, 0, 134, 100), 66.0 / 134.0);
    // 30x10 shifted by 10: inter 200, union 400.
    row("exactly half", od("a", 0, 0, 30, 10), od("a", 10, 0, 40, 10), 0.5);
    // Contained: inter 50, union 100.
    row("contained", od("a", 0, 0, 10, 10), od("a", 0, 0, 5, 10), 0.5);
    // Corner overlap: inter 5*5 = 25, union 100 + 100 - 25 = 175.
    row("corner", od("a", 0, 0, 10, 10), od("a", 5, 5, 15, 15), 25.0 / 175.0);
    row("touching edges", od("a", 0, 0, 10, 10), od("a", 10, 0, 20, 10), 0.0);
    row("disjoint", od("a", 0, 0, 10, 10), od("a", 500, 500, 600, 600), 0.0);
    row("zero width with itself", od("a", 5, 5, 5, 10), od("a", 5, 5, 5, 10), 0.0);
    row("zero height inside other", od("a", 2, 5, 8, 5), od("a", 0, 0, 10, 10), 0.0);
}

void TestDetectionMetrics::iou()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(double, expected);
    const auto boxA = parsed(a);
    const auto boxB = parsed(b);
    QCOMPARE(boxA.size(), size_t(1));
    QCOMPARE(boxB.size(), size_t(1));
    QCOMPARE(boxIou(boxA[0].bins, boxB[0].bins), expected);
    QCOMPARE(boxIou(boxB[0].bins, boxA[0].bins), expected); // symmetric
}

void TestDetectionMetrics::iouMatchesDequantizedPixels()
{
    // Bin IoU equals IoU of the boxes upstream dequantizes ((bin + 0.5) * size / 1000), for a
    // non-square image, up to float32 rounding.
    const loc::Bins a {100, 200, 400, 700};
    const loc::Bins b {150, 260, 520, 650};
    const loc::ImageSize size {2048, 1536};
    const loc::BoxPx pa = loc::dequantizeBox(a, size);
    const loc::BoxPx pb = loc::dequantizeBox(b, size);
    const double iw = std::min(pa[2], pb[2]) - std::max(pa[0], pb[0]);
    const double ih = std::min(pa[3], pb[3]) - std::max(pa[1], pb[1]);
    const double inter = iw * ih;
    const double uni
        = double(pa[2] - pa[0]) * (pa[3] - pa[1]) + double(pb[2] - pb[0]) * (pb[3] - pb[1]) - inter;
    // Bins: inter (400-150) * (650-260) = 250 * 390 = 97500; areas 300*500 = 150000 and
    // 370*390 = 144300; union 196800; IoU 0.495427.
    QCOMPARE(boxIou(a, b), 97500.0 / 196800.0);
    QVERIFY(std::abs(boxIou(a, b) - inter / uni) < 1e-5);
}

void TestDetectionMetrics::perImage_data()
{
    QTest::addColumn<QString>("predictions");
    QTest::addColumn<QString>("references");
    QTest::addColumn<int>("tp");
    QTest::addColumn<int>("fp");
    QTest::addColumn<int>("fn");
    QTest::addColumn<double>("precision");
    QTest::addColumn<double>("recall");
    QTest::addColumn<double>("f1");
    QTest::addColumn<double>("meanIou");

    const auto row = [](const char *name, const std::string &p, const std::string &r, int tp, int fp, int fn,
                         double precision, double recall, double f1, double meanIou) {
        QTest::newRow(name) << QString::fromStdString(p) << QString::fromStdString(r) << tp << fp << fn
                            << precision << recall << f1 << meanIou;
    };
    const std::string a = od("a", 0, 0, 100, 100);
    const std::string b = od("b", 200, 200, 300, 300);

    row("perfect", a + b, a + b, 2, 0, 0, 1.0, 1.0, 1.0, 1.0);
    row("label with spaces", od("pleural effusion", 1, 2, 30, 40), od("pleural effusion", 1, 2, 30, 40), 1, 0,
        0, 1.0, 1.0, 1.0, 1.0);
    // IoU 67/133 = 0.5038 >= 0.5: matched.
    row("shift just above 0.5", od("a", 33, 0, 133, 100), a, 1, 0, 0, 1.0, 1.0, 1.0, 67.0 / 133.0);
    // IoU 66/134 = 0.4925 < 0.5: a miss and a false alarm.
    row("shift just below 0.5", od("a", 34, 0, 134, 100), a, 0, 1, 1, 0.0, 0.0, 0.0, 0.0);
    // IoU exactly 0.5 meets ">= 0.5".
    row("exactly 0.5", od("a", 10, 0, 40, 10), od("a", 0, 0, 30, 10), 1, 0, 0, 1.0, 1.0, 1.0, 0.5);
    // P 1/1, R 1/2, F1 2 * 0.5 / 1.5 = 2/3.
    row("missing box", a, a + b, 1, 0, 1, 1.0, 0.5, 2.0 / 3.0, 1.0);
    // P 1/2, R 1/1, F1 2/3.
    row("extra box", a + b, a, 1, 1, 0, 0.5, 1.0, 2.0 / 3.0, 1.0);
    row("duplicate prediction", a + a, a, 1, 1, 0, 0.5, 1.0, 2.0 / 3.0, 1.0);
    // Same place, other label: no match.
    row("label mismatch", od("b", 0, 0, 100, 100), a, 0, 1, 1, 0.0, 0.0, 0.0, 0.0);
    row("label case matters", od("A", 0, 0, 100, 100), a, 0, 1, 1, 0.0, 0.0, 0.0, 0.0);
    // a and b right (IoU 1 and 0.8: b ref 200..300 x 200..280 = 8000 of 10000), c disjoint,
    // d missed: TP 2, FP 1, FN 2; P 2/3, R 1/2, F1 (2 * 1/3) / (7/6) = 4/7; mean IoU 0.9.
    row("multiple labels", a + b + od("c", 500, 500, 600, 600),
        a + od("b", 200, 200, 300, 280) + od("c", 700, 700, 800, 800) + od("d", 0, 0, 50, 50), 2, 1, 2,
        2.0 / 3.0, 0.5, 4.0 / 7.0, 0.9);
    // Empty output on an image with findings is not rewarded: 0/0 precision is 0.
    row("empty prediction", "", a, 0, 0, 1, 0.0, 0.0, 0.0, 0.0);
    row("no reference", a, "", 0, 1, 0, 0.0, 0.0, 0.0, 0.0);
    // Nothing to find and nothing claimed: correct.
    row("both empty", "", "", 0, 0, 0, 1.0, 1.0, 1.0, 0.0);
    // A degenerate box has IoU 0 even with an identical box.
    row("degenerate", od("a", 5, 5, 5, 10), od("a", 5, 5, 5, 10), 0, 1, 1, 0.0, 0.0, 0.0, 0.0);
}

void TestDetectionMetrics::perImage()
{
    QFETCH(QString, predictions);
    QFETCH(QString, references);
    QFETCH(int, tp);
    QFETCH(int, fp);
    QFETCH(int, fn);
    QFETCH(double, precision);
    QFETCH(double, recall);
    QFETCH(double, f1);
    QFETCH(double, meanIou);

    const DetectionReport report = evaluateDetection({{parsed(predictions), parsed(references)}});
    QCOMPARE(report.samples.size(), size_t(1));
    const SampleDetection &s = report.samples[0];
    QVERIFY(s.scored);
    QCOMPARE(s.counts.tp, int64_t(tp));
    QCOMPARE(s.counts.fp, int64_t(fp));
    QCOMPARE(s.counts.fn, int64_t(fn));
    QCOMPARE(s.counts.precision(), precision);
    QCOMPARE(s.counts.recall(), recall);
    QCOMPARE(s.counts.f1(), f1);
    QCOMPARE(s.f1, f1);
    QCOMPARE(s.counts.meanIou(), meanIou);
    QCOMPARE(s.matches.size(), size_t(tp));
    // One image: the corpus numbers are the image's.
    QCOMPARE(report.overall.tp, int64_t(tp));
    QCOMPARE(report.overall.fp, int64_t(fp));
    QCOMPARE(report.overall.fn, int64_t(fn));
    QCOMPARE(report.overall.f1(), f1);
}

void TestDetectionMetrics::greedyOrderByIouNotIndex()
{
    // All boxes span y 0..100, so IoU is the 1-D interval IoU in x.
    // R0 = [0,100], R1 = [40,140]; P0 = [25,125], P1 = [45,145].
    // P0-R0: inter 75, union 125 -> 0.600     P0-R1: inter 85, union 115 -> 0.739
    // P1-R0: inter 55, union 145 -> 0.379     P1-R1: inter 95, union 105 -> 0.905
    // Greedy by prediction index would give P0 its best (R1) and leave P1 unmatched (1 TP).
    // Greedy by IoU takes P1-R1 (0.905) first, then P0-R1 is blocked and P0-R0 (0.6) is taken.
    const std::vector<loc::OdBox> preds {box("a", 25, 0, 125, 100), box("a", 45, 0, 145, 100)};
    const std::vector<loc::OdBox> refs {box("a", 0, 0, 100, 100), box("a", 40, 0, 140, 100)};

    const std::vector<BoxMatch> matches = matchBoxes(preds, refs, 0.5);
    QCOMPARE(matches.size(), size_t(2));
    QCOMPARE(matches[0].prediction, 1);
    QCOMPARE(matches[0].reference, 1);
    QCOMPARE(matches[0].iou, 95.0 / 105.0);
    QCOMPARE(matches[1].prediction, 0);
    QCOMPARE(matches[1].reference, 0);
    QCOMPARE(matches[1].iou, 0.6);

    const DetectionReport report = evaluateDetection({{preds, refs}});
    QCOMPARE(report.overall.tp, int64_t(2));
    QCOMPARE(report.overall.fp, int64_t(0));
    QCOMPARE(report.overall.fn, int64_t(0));
    QCOMPARE(report.overall.meanIou(), (95.0 / 105.0 + 0.6) / 2);

    // At 0.65 only P0-R1 (0.739) and P1-R1 (0.905) qualify: P1-R1 wins, P0 is left over.
    const std::vector<BoxMatch> strict = matchBoxes(preds, refs, 0.65);
    QCOMPARE(strict.size(), size_t(1));
    QCOMPARE(strict[0].prediction, 1);
    QCOMPARE(strict[0].reference, 1);
}

void TestDetectionMetrics::tiesGoToLowerIndex()
{
    const loc::OdBox x = box("a", 10, 10, 60, 60);
    // Two identical predictions (IoU 1 each): the lower prediction index wins.
    auto m = matchBoxes({x, x}, {x});
    QCOMPARE(m.size(), size_t(1));
    QCOMPARE(m[0].prediction, 0);
    QCOMPARE(m[0].reference, 0);
    // Two identical references: the lower reference index is used.
    m = matchBoxes({x}, {x, x});
    QCOMPARE(m.size(), size_t(1));
    QCOMPARE(m[0].reference, 0);
    // The better pair wins even when it has the higher indices: P1 is exact, P0 is off by 10
    // (IoU 40*50 / (2*2500 - 2000) = 2/3).
    m = matchBoxes({box("a", 20, 10, 70, 60), x}, {x});
    QCOMPARE(m.size(), size_t(1));
    QCOMPARE(m[0].prediction, 1);
    QCOMPARE(m[0].iou, 1.0);
}

void TestDetectionMetrics::corpusPerLabelAndOverall()
{
    // Image 0: a exact, b exact.
    // Image 1: a with IoU 0.8 (ref 100x80 inside pred 100x100), plus a c prediction (no c refs).
    // Image 2: b missed.
    const std::vector<DetectionSample> samples {
        {{box("a", 0, 0, 100, 100), box("b", 0, 0, 10, 10)},
            {box("a", 0, 0, 100, 100), box("b", 0, 0, 10, 10)}},
        {{box("a", 0, 0, 100, 100), box("c", 0, 0, 10, 10)}, {box("a", 0, 0, 100, 80)}},
        {{}, {box("b", 0, 0, 10, 10)}},
    };
    const DetectionReport report = evaluateDetection(samples);

    // Overall: TP 3, FP 1 (c), FN 1 (b in image 2): P = R = F1 = 0.75; mean IoU (1+1+0.8)/3.
    QCOMPARE(report.overall.tp, int64_t(3));
    QCOMPARE(report.overall.fp, int64_t(1));
    QCOMPARE(report.overall.fn, int64_t(1));
    QCOMPARE(report.overall.precision(), 0.75);
    QCOMPARE(report.overall.recall(), 0.75);
    QCOMPARE(report.overall.f1(), 0.75);
    QCOMPARE(report.overall.meanIou(), 2.8 / 3.0);

    // Labels sorted by name, each label seen on either side listed.
    QCOMPARE(report.labels.size(), size_t(3));
    QCOMPARE(report.labels[0].label, std::string("a"));
    QCOMPARE(report.labels[1].label, std::string("b"));
    QCOMPARE(report.labels[2].label, std::string("c"));

    const DetectionCounts &a = report.labels[0].counts;
    QCOMPARE(a.tp, int64_t(2));
    QCOMPARE(a.fp, int64_t(0));
    QCOMPARE(a.fn, int64_t(0));
    QCOMPARE(a.meanIou(), 0.9);
    const DetectionCounts &b = report.labels[1].counts;
    QCOMPARE(b.tp, int64_t(1));
    QCOMPARE(b.fn, int64_t(1));
    QCOMPARE(b.precision(), 1.0);
    QCOMPARE(b.recall(), 0.5);
    const DetectionCounts &c = report.labels[2].counts;
    QCOMPARE(c.fp, int64_t(1));
    QCOMPARE(c.precision(), 0.0);

    // AP. a: 2 preds, 2 refs; TP 2 at t <= 0.80 (7 thresholds: AP_t = 1 * 101/101), TP 1 at
    // 0.85..0.95 (P 0.5, R 0.5 -> 51 recall points: AP_t = 0.5 * 51/101).
    const double apA = (7.0 + 3.0 * 0.5 * 51.0 / 101.0) / 10.0; // 0.77574
    QVERIFY(report.labels[0].ap.has_value());
    QCOMPARE(report.labels[0].ap->ap, apA);
    QCOMPARE(report.labels[0].ap->ap50, 1.0);
    QCOMPARE(report.labels[0].ap->ap75, 1.0);
    QCOMPARE(report.labels[0].ap->atThreshold[6], 1.0); // t = 0.80 includes 0.8
    QCOMPARE(report.labels[0].ap->atThreshold[7], 0.5 * 51.0 / 101.0); // t = 0.85
    // b: 1 pred, 2 refs, IoU 1: P 1, R 0.5 at every threshold -> 51/101.
    QVERIFY(report.labels[1].ap.has_value());
    QCOMPARE(report.labels[1].ap->ap, 51.0 / 101.0);
    QCOMPARE(report.labels[1].ap->ap50, 51.0 / 101.0);
    // c: no references, AP undefined and not averaged.
    QVERIFY(!report.labels[2].ap.has_value());
    QVERIFY(report.ap.has_value());
    QCOMPARE(report.ap->ap, (apA + 51.0 / 101.0) / 2);
    QCOMPARE(report.ap->ap50, (1.0 + 51.0 / 101.0) / 2);
    QCOMPARE(report.ap->ap75, (1.0 + 51.0 / 101.0) / 2);

    // Per-sample numbers.
    QCOMPARE(report.samples.size(), size_t(3));
    QCOMPARE(report.samples[1].counts.tp, int64_t(1));
    QCOMPARE(report.samples[1].counts.fp, int64_t(1));
    QCOMPARE(report.samples[1].f1, 2.0 / 3.0);
    QCOMPARE(report.samples[2].f1, 0.0);
}

void TestDetectionMetrics::apAcrossThresholds()
{
    // One box, ref 100x70 inside pred 100x100: IoU 0.7. Matched at t = 0.50..0.70 (5 of 10
    // thresholds, AP_t = 1), unmatched above (P = R = 0, AP_t = 0): AP 0.5, AP50 1, AP75 0.
    const DetectionReport report
        = evaluateDetection({{{box("a", 0, 0, 100, 100)}, {box("a", 0, 0, 100, 70)}}});
    QVERIFY(report.ap.has_value());
    QCOMPARE(report.ap->ap, 0.5);
    QCOMPARE(report.ap->ap50, 1.0);
    QCOMPARE(report.ap->ap75, 0.0);
    for (int t = 0; t < kApThresholdCount; ++t)
        QCOMPARE(report.ap->atThreshold[t], t <= 4 ? 1.0 : 0.0);
    QCOMPARE(apThreshold(0), 0.5);
    QCOMPARE(apThreshold(5), 0.75);
    QCOMPARE(apThreshold(9), 0.95);
}

void TestDetectionMetrics::apRecallPointsAreExact()
{
    // 100 images, one a-reference each, 57 found exactly: R = 0.57, P = 1. Recall points
    // r <= 0.57 are 0.00..0.57 = 58, so AP50 = 58/101 (naive float 57/100 vs 0.01*57 loses one).
    std::vector<DetectionSample> samples(100);
    for (int i = 0; i < 100; ++i) {
        samples[i].references = {box("a", 0, 0, 10, 10)};
        if (i < 57)
            samples[i].predictions = {box("a", 0, 0, 10, 10)};
    }
    const DetectionReport report = evaluateDetection(samples);
    QVERIFY(report.ap.has_value());
    QCOMPARE(report.ap->ap50, 58.0 / 101.0);
    QCOMPARE(report.ap->ap, 58.0 / 101.0);
    QCOMPARE(report.overall.recall(), 0.57);
}

void TestDetectionMetrics::apFractionalRecall()
{
    // a: 3 refs, 2 preds, 1 TP (the other prediction is off): P 1/2, R 1/3 -> points
    // floor(33.33) + 1 = 34; AP_t = 0.5 * 34/101 = 17/101 at every threshold.
    // b: 1 ref, 0 preds: P 0 (0/0 with references), AP 0. Overall AP = (17/101 + 0) / 2.
    const DetectionReport report = evaluateDetection({
        {{box("a", 0, 0, 10, 10), box("a", 500, 500, 510, 510)},
            {box("a", 0, 0, 10, 10), box("a", 100, 100, 110, 110), box("a", 200, 200, 210, 210),
                box("b", 0, 0, 10, 10)}},
    });
    const LabelDetection *a = findLabel(report, "a");
    const LabelDetection *b = findLabel(report, "b");
    QVERIFY(a && a->ap && b && b->ap);
    QCOMPARE(a->ap->ap, 17.0 / 101.0);
    QCOMPARE(a->ap->ap75, 17.0 / 101.0);
    QCOMPARE(b->ap->ap, 0.0);
    QCOMPARE(report.ap->ap, 17.0 / 202.0);
}

void TestDetectionMetrics::apUndefinedWithoutReferences()
{
    // No references anywhere: overall AP is undefined, the hallucinated label has none either.
    const DetectionReport report = evaluateDetection({{{box("a", 0, 0, 10, 10)}, {}}, {{}, {}}});
    QVERIFY(!report.ap.has_value());
    QCOMPARE(report.labels.size(), size_t(1));
    QVERIFY(!report.labels[0].ap.has_value());
    QCOMPARE(report.overall.precision(), 0.0);
    QCOMPARE(report.samples[1].f1, 1.0);

    // Nothing at all: empty report, conventions of both-empty.
    const DetectionReport empty = evaluateDetection({});
    QVERIFY(!empty.ap.has_value());
    QVERIFY(empty.labels.empty());
    QCOMPARE(empty.overall.f1(), 1.0);
}

void TestDetectionMetrics::mainThresholdOption()
{
    // IoU 0.7 (see apAcrossThresholds). At 0.75 it is a miss; AP numbers do not depend on the
    // main threshold. At 0.3, IoU 0.4 (ref 100x40 inside 100x100) is a hit but AP50 still 0.
    const std::vector<DetectionSample> at07 {{{box("a", 0, 0, 100, 100)}, {box("a", 0, 0, 100, 70)}}};
    const DetectionReport strict = evaluateDetection(at07, DetectionOptions {0.75});
    QCOMPARE(strict.iouThreshold, 0.75);
    QCOMPARE(strict.overall.tp, int64_t(0));
    QCOMPARE(strict.overall.fn, int64_t(1));
    QCOMPARE(strict.ap->ap, 0.5);

    const std::vector<DetectionSample> at04 {{{box("a", 0, 0, 100, 100)}, {box("a", 0, 0, 100, 40)}}};
    const DetectionReport loose = evaluateDetection(at04, DetectionOptions {0.3});
    QCOMPARE(loose.overall.tp, int64_t(1));
    QCOMPARE(loose.overall.meanIou(), 0.4);
    QCOMPARE(loose.ap->ap50, 0.0);
    QCOMPARE(evaluateDetection(at04).overall.tp, int64_t(0));
}

void TestDetectionMetrics::worstFirst()
{
    const loc::OdBox x = box("a", 0, 0, 10, 10);
    const loc::OdBox y = box("b", 50, 50, 90, 90);
    const DetectionReport report = evaluateDetection({
        {{x}, {x}}, // 0: F1 1
        {{x, y}, {x}}, // 1: TP 1 FP 1 -> F1 2/3
        {{}, {x}}, // 2: F1 0, 1 error
        {{}, {}}, // 3: F1 1
        {{y, y}, {x}}, // 4: F1 0, 3 errors (FP 2, FN 1)
    });
    const std::vector<int> order = report.worstFirst();
    QCOMPARE(order, (std::vector<int> {4, 2, 1, 0, 3}));
}

void TestDetectionMetrics::parsesRealOdStrings()
{
    const std::vector<OdTextSample> samples {
        {"cardiomegaly<loc_380><loc_420><loc_700><loc_800>pleural "
         "effusion<loc_128><loc_613><loc_191><loc_695></s>",
            "pleural "
            "effusion<loc_128><loc_613><loc_191><loc_695>cardiomegaly<loc_374><loc_420><loc_700><loc_800>"},
        {"<s>nodule<loc_500><loc_300><loc_540><loc_340><loc_600><loc_300><loc_640><loc_340></s><pad><pad>",
            "nodule<loc_600><loc_300><loc_640><loc_340>"},
    };
    const DetectionReport report = evaluateOdTexts(samples);
    QVERIFY(report.issues.empty());

    // Sample 0: both boxes matched. Cardiomegaly: pred x 380..700, ref x 374..700, same y
    // 420..800: IoU = 320/326 = 0.98160. Pleural effusion identical: IoU 1.
    const SampleDetection &s0 = report.samples[0];
    QVERIFY(s0.predictionParsed);
    QCOMPARE(s0.counts.tp, int64_t(2));
    QCOMPARE(s0.counts.fp, int64_t(0));
    QCOMPARE(s0.counts.fn, int64_t(0));
    QCOMPARE(s0.matches.size(), size_t(2));
    QCOMPARE(s0.matches[0].prediction, 1); // IoU 1 first
    QCOMPARE(s0.matches[0].reference, 0);
    QCOMPARE(s0.matches[1].prediction, 0);
    QCOMPARE(s0.matches[1].reference, 1);
    QCOMPARE(s0.matches[1].iou, 320.0 / 326.0);

    // Sample 1: two quadruples after one label are two boxes; the second one is right.
    const SampleDetection &s1 = report.samples[1];
    QCOMPARE(s1.counts.tp, int64_t(1));
    QCOMPARE(s1.counts.fp, int64_t(1));
    QCOMPARE(s1.matches[0].prediction, 1);

    QCOMPARE(report.labels.size(), size_t(3));
    QCOMPARE(report.labels[0].label, std::string("cardiomegaly"));
    QCOMPARE(report.labels[1].label, std::string("nodule"));
    QCOMPARE(report.labels[2].label, std::string("pleural effusion"));
    QCOMPARE(report.labels[0].counts.meanIou(), 320.0 / 326.0);
    QCOMPARE(report.overall.tp, int64_t(3));
    QCOMPARE(report.overall.fp, int64_t(1));
}

void TestDetectionMetrics::malformedPrediction()
{
    const std::string ref
        = "cardiomegaly<loc_374><loc_420><loc_700><loc_800>effusion<loc_1><loc_2><loc_30><loc_40>";
    const DetectionReport report = evaluateOdTexts({
        {ref, ref},
        {ref, ref},
        // Truncated generation: three loc tokens after the label.
        {"cardiomegaly<loc_374><loc_420><loc_700>", ref},
    });
    QCOMPARE(report.issues.size(), size_t(1));
    const DetectionIssue &issue = report.issues[0];
    QCOMPARE(issue.sample, 2);
    QCOMPARE(issue.side, DetectionIssue::Side::Prediction);
    QVERIFY2(issue.message.find("sample 2") != std::string::npos, issue.message.c_str());
    QVERIFY2(issue.message.find("cardiomegaly") != std::string::npos, issue.message.c_str());
    QVERIFY2(issue.message.find("multiple of 4") != std::string::npos, issue.message.c_str());

    // Counted as no predictions: both references are FNs; still scored.
    const SampleDetection &s = report.samples[2];
    QVERIFY(s.scored);
    QVERIFY(!s.predictionParsed);
    QCOMPARE(s.counts.tp, int64_t(0));
    QCOMPARE(s.counts.fp, int64_t(0));
    QCOMPARE(s.counts.fn, int64_t(2));
    QCOMPARE(s.f1, 0.0);
    QCOMPARE(report.overall.tp, int64_t(4));
    QCOMPARE(report.overall.fn, int64_t(2));
    QCOMPARE(report.worstFirst().front(), 2);

    // A complete box before the cut-off is kept, as upstream's post-processing keeps it.
    const DetectionReport cut
        = evaluateOdTexts({{"cardiomegaly<loc_374><loc_420><loc_700><loc_800>effusion<loc_1><loc_2>", ref}});
    QCOMPARE(cut.issues.size(), size_t(1));
    QVERIFY2(cut.issues[0].message.find("1 box(es)") != std::string::npos, cut.issues[0].message.c_str());
    QVERIFY(!cut.samples[0].predictionParsed);
    QCOMPARE(cut.overall.tp, int64_t(1));
    QCOMPARE(cut.overall.fp, int64_t(0));
    QCOMPARE(cut.overall.fn, int64_t(1));
}

void TestDetectionMetrics::malformedReference()
{
    const std::string good = "nodule<loc_10><loc_10><loc_50><loc_50>";
    const DetectionReport report = evaluateOdTexts({
        {good, "<loc_10><loc_10><loc_50><loc_50>"}, // locs with no label
        {good, good}, {good, "nodule<loc_10><loc_10><loc_5000><loc_50>"}, // out of range
    });
    QCOMPARE(report.issues.size(), size_t(2));
    QCOMPARE(report.issues[0].sample, 0);
    QCOMPARE(report.issues[0].side, DetectionIssue::Side::Reference);
    QVERIFY(report.issues[0].message.find("sample 0") != std::string::npos);
    QCOMPARE(report.issues[1].sample, 2);
    QVERIFY(report.issues[1].message.find("<loc_5000>") != std::string::npos);

    // Unscored samples are left out of every corpus number and sort last.
    QVERIFY(!report.samples[0].scored);
    QVERIFY(report.samples[1].scored);
    QVERIFY(!report.samples[2].scored);
    QCOMPARE(report.overall.tp, int64_t(1));
    QCOMPARE(report.overall.fp, int64_t(0));
    QCOMPARE(report.overall.fn, int64_t(0));
    QCOMPARE(report.labels.size(), size_t(1));
    QCOMPARE(report.labels[0].counts.predictions(), int64_t(1));
    QCOMPARE(report.worstFirst(), (std::vector<int> {1, 0, 2}));
}

QTEST_GUILESS_MAIN(TestDetectionMetrics)
#include "tst_detection_metrics.moc"
