#pragma once
// Detection metrics for Florence-2 `<OD>` outputs: one-to-one matching of predicted to
// reference labelled boxes per image, corpus TP/FP/FN, precision/recall/F1, mean IoU of matched
// pairs, and COCO-style AP@[.5:.95] / AP50 / AP75. Plain C++17 (std types only) so the CLI, the
// compare view and the benchmarks share it.
//
// Conventions (all deliberate; tests pin them):
//
// IoU. Boxes are compared in `<loc_N>` bin units with width x2 - x1 and height y2 - y1.
//   Upstream Florence-2 dequantizes bin b to (b + 0.5) * size / 1000, so pixel widths are
//   (x2 - x1) * size / 1000: a per-axis translation and scaling of the bin box. IoU is invariant
//   under both, so bin-unit IoU equals the IoU of the dequantized pixel boxes for any image size
//   (up to upstream's float32 rounding). It is an exact ratio of integers, so ties and
//   thresholds are decided without rounding noise. A degenerate box (zero width or height, or
//   x2 < x1 / y2 < y1) has IoU 0 with anything, itself included, so it can never be a TP.
//
// Threshold. A pair "meets" threshold t when IoU >= t - 1e-12: bin IoUs are ratios with
//   denominators <= 10^6, so the tolerance only absorbs the binary rounding of decimal
//   thresholds such as 0.55 and never admits a genuinely lower IoU.
//
// Matching (per image, one-to-one). Candidates are all (prediction, reference) pairs with equal
//   labels (exact, case-sensitive string comparison, after the codec's white-space trimming) and
//   IoU meeting the threshold. They are visited by IoU descending, ties by lower prediction
//   index, then lower reference index; a pair is accepted when neither box is used yet.
//   Because the candidates for a higher threshold are a prefix of that order, the matching at
//   any higher threshold is exactly the accepted pairs whose IoU meets it; one pass serves the
//   main threshold and all AP thresholds.
//
// Ratios and 0/0. precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R).
//   With nothing predicted and nothing referenced, P = R = F1 = 1 (the empty answer is right).
//   When only one side is empty, the 0/0 ratio is 0, so empty output on an image with findings
//   scores P = R = F1 = 0 and is never rewarded; F1 is 0 whenever P + R = 0. Mean IoU of matched
//   pairs is 0 when there are none (check tp).
//
// AP. Florence-2 emits no scores, so every prediction has score 1. With all scores tied, the
//   precision/recall curve at IoU threshold t is the single point (P_t, R_t) with the counts at
//   t (no arbitrary tie order, unlike pycocotools' stable sort), and COCO's 101-point
//   interpolated precision gives AP_t = P_t * #{r in {0, 0.01, ..., 1} : r <= R_t} / 101
//   (the count is computed exactly: floor(100 * TP_t / refs) + 1). AP = mean of AP_t over
//   t = 0.50, 0.55, ..., 0.95; AP50 = AP_0.50, AP75 = AP_0.75. AP is defined only for labels
//   with references; the overall AP is the mean over those labels (as COCO averages over
//   categories), so predictions of labels absent from all references lower overall precision
//   but not overall AP.
//
// Unparseable `<OD>` text. Texts are parsed with the strict loc::parseOd after removing the
//   special tokens upstream's post-processor removes (<s>, </s>, <pad>). A prediction that
//   does not parse (typically a generation cut off mid-box) is scored with the boxes upstream's
//   tolerant post-processor (loc::postProcessOd) keeps, which is what a preview shows, and adds
//   an issue naming the sample index. A reference that does not parse cannot be scored: the sample is
//   left out of every corpus number (scored = false) and adds an issue.

#include "annotation/loc_codec.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fmw::eval {

// COCO's IoU thresholds 0.50:0.05:0.95.
constexpr int kApThresholdCount = 10;
double apThreshold(int i); // 0.50 + 0.05 * i

// Bin-unit IoU (see above); 0 when either box is degenerate.
double boxIou(const loc::Bins &a, const loc::Bins &b);

struct BoxMatch {
    int prediction = 0; // index into the image's predictions
    int reference = 0; // index into the image's references
    double iou = 0;
};

// Greedy one-to-one matching as documented above, in acceptance order (IoU descending).
std::vector<BoxMatch> matchBoxes(const std::vector<loc::OdBox> &predictions,
    const std::vector<loc::OdBox> &references, double iouThreshold = 0.5);

struct DetectionCounts {
    int64_t tp = 0;
    int64_t fp = 0;
    int64_t fn = 0;
    double iouSum = 0; // over matched pairs

    int64_t predictions() const { return tp + fp; }
    int64_t references() const { return tp + fn; }
    double precision() const;
    double recall() const;
    double f1() const;
    double meanIou() const;
};

// AP per IoU threshold (index i is apThreshold(i)) and the summary numbers.
struct ApScores {
    std::array<double, kApThresholdCount> atThreshold {};
    double ap = 0; // mean over the ten thresholds
    double ap50 = 0; // atThreshold[0]
    double ap75 = 0; // atThreshold[5]
};

struct LabelDetection {
    std::string label;
    DetectionCounts counts; // at the main threshold
    std::optional<ApScores> ap; // empty when the label has no references
};

struct SampleDetection {
    int index = 0;
    bool scored = true; // false when the reference did not parse
    bool predictionParsed = true; // false: not canonical; scored with postProcessOd's boxes
    DetectionCounts counts; // at the main threshold
    double f1 = 0; // counts.f1(), for sorting
    std::vector<BoxMatch> matches; // pairs meeting the main threshold
};

struct DetectionIssue {
    enum class Side { Prediction, Reference };
    int sample = 0;
    Side side = Side::Prediction;
    std::string message; // "sample 3: prediction is not canonical <OD> text (...); scored ..."
};

struct DetectionReport {
    double iouThreshold = 0.5;
    DetectionCounts overall; // micro totals over scored samples, at the main threshold
    std::optional<ApScores> ap; // mean over labels with references; empty if none
    std::vector<LabelDetection> labels; // every label seen on either side, sorted by label
    std::vector<SampleDetection> samples; // one per input, in input order
    std::vector<DetectionIssue> issues;

    // Sample positions, worst first: lowest F1, then most errors (FP + FN), then input order;
    // unscored samples last.
    std::vector<int> worstFirst() const;
};

struct DetectionOptions {
    // Main threshold for TP/FP/FN and the per-sample numbers, in (0, 1]. Pairs that do not
    // overlap at all are never matched, whatever the threshold.
    double iouThreshold = 0.5;
};

struct DetectionSample {
    std::vector<loc::OdBox> predictions;
    std::vector<loc::OdBox> references;
};

struct OdTextSample {
    std::string prediction; // `<OD>` suffix, e.g. "cardiomegaly<loc_374><loc_420><loc_700><loc_800>"
    std::string reference;
};

DetectionReport evaluateDetection(
    const std::vector<DetectionSample> &samples, const DetectionOptions &options = {});
DetectionReport evaluateOdTexts(
    const std::vector<OdTextSample> &samples, const DetectionOptions &options = {});

} // namespace fmw::eval
