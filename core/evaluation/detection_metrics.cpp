#include "evaluation/detection_metrics.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace fmw::eval {

namespace {

// Absorbs the binary rounding of decimal thresholds. A bin IoU (denominator <= 10^6) that is
// not equal to a two-decimal threshold differs from it by >= 1e-8, so nothing lower gets in.
constexpr double kThresholdTolerance = 1e-12;

bool meets(double iou, double threshold)
{
    return iou >= threshold - kThresholdTolerance;
}

int64_t area(const loc::Bins &b)
{
    const int64_t w = b[2] - b[0];
    const int64_t h = b[3] - b[1];
    return w > 0 && h > 0 ? w * h : 0;
}

// Intersection and union in bin units; false when the IoU is 0 (degenerate or disjoint).
bool overlap(const loc::Bins &a, const loc::Bins &b, int64_t *inter, int64_t *uni)
{
    const int64_t areaA = area(a);
    const int64_t areaB = area(b);
    if (areaA == 0 || areaB == 0)
        return false;
    const int64_t w = int64_t(std::min(a[2], b[2])) - std::max(a[0], b[0]);
    const int64_t h = int64_t(std::min(a[3], b[3])) - std::max(a[1], b[1]);
    if (w <= 0 || h <= 0)
        return false;
    *inter = w * h;
    *uni = areaA + areaB - *inter;
    return true;
}

struct Candidate {
    int prediction;
    int reference;
    int64_t inter;
    int64_t uni;
};

// IoU descending, compared exactly by cross-multiplication (values <= 10^6, no overflow), then
// lower prediction index, then lower reference index.
bool visitsBefore(const Candidate &a, const Candidate &b)
{
    const int64_t lhs = a.inter * b.uni;
    const int64_t rhs = b.inter * a.uni;
    if (lhs != rhs)
        return lhs > rhs;
    if (a.prediction != b.prediction)
        return a.prediction < b.prediction;
    return a.reference < b.reference;
}

// Greedy matching of boxes whose labels are given as ids. `scratch` and `used*` are reused
// across images so the corpus loop does not allocate per pair.
void greedyMatch(const std::vector<int> &predLabels, const std::vector<loc::OdBox> &predictions,
    const std::vector<int> &refLabels, const std::vector<loc::OdBox> &references, double threshold,
    std::vector<Candidate> &scratch, std::vector<char> &usedPred, std::vector<char> &usedRef,
    std::vector<BoxMatch> *out)
{
    scratch.clear();
    for (size_t p = 0; p < predictions.size(); ++p) {
        for (size_t r = 0; r < references.size(); ++r) {
            if (predLabels[p] != refLabels[r])
                continue;
            int64_t inter = 0, uni = 0;
            if (!overlap(predictions[p].bins, references[r].bins, &inter, &uni))
                continue;
            if (!meets(double(inter) / double(uni), threshold))
                continue;
            scratch.push_back({int(p), int(r), inter, uni});
        }
    }
    std::sort(scratch.begin(), scratch.end(), visitsBefore);
    usedPred.assign(predictions.size(), 0);
    usedRef.assign(references.size(), 0);
    out->clear();
    for (const Candidate &c : scratch) {
        if (usedPred[c.prediction] || usedRef[c.reference])
            continue;
        usedPred[c.prediction] = 1;
        usedRef[c.reference] = 1;
        out->push_back({c.prediction, c.reference, double(c.inter) / double(c.uni)});
    }
}

// Accumulators for one label over the corpus.
struct LabelAccumulator {
    int64_t predictions = 0;
    int64_t references = 0;
    int64_t tp = 0; // at the main threshold
    double iouSum = 0;
    std::array<int64_t, kApThresholdCount> tpAt {};
};

ApScores apFromCounts(
    int64_t predictions, int64_t references, const std::array<int64_t, kApThresholdCount> &tpAt)
{
    ApScores s;
    double sum = 0;
    for (int i = 0; i < kApThresholdCount; ++i) {
        const double precision = predictions > 0 ? double(tpAt[i]) / double(predictions) : 0.0;
        // #{k in 0..100 : k/100 <= tp/refs}, in integers so 0.57 recall does include r = 0.57.
        const int64_t recallPoints = (100 * tpAt[i]) / references + 1;
        s.atThreshold[i] = precision * double(recallPoints) / 101.0;
        sum += s.atThreshold[i];
    }
    s.ap = sum / kApThresholdCount;
    s.ap50 = s.atThreshold[0];
    s.ap75 = s.atThreshold[5];
    return s;
}

void removeAll(std::string &s, const std::string &what)
{
    for (size_t hit; (hit = s.find(what)) != std::string::npos;)
        s.erase(hit, what.size());
}

// Strict parse after dropping the special tokens upstream's post-processor drops.
Result<std::vector<loc::OdBox>> parseText(const std::string &text)
{
    if (text.find("<s>") == std::string::npos && text.find("</s>") == std::string::npos
        && text.find("<pad>") == std::string::npos)
        return loc::parseOd(text);
    std::string cleaned = text;
    removeAll(cleaned, "<s>");
    removeAll(cleaned, "</s>");
    removeAll(cleaned, "<pad>");
    return loc::parseOd(cleaned);
}

// Shared corpus loop; `predictionParsed` / `referenceParsed` mark samples whose text failed.
DetectionReport evaluate(const std::vector<DetectionSample> &samples,
    const std::vector<char> &predictionParsed, const std::vector<char> &referenceParsed,
    const DetectionOptions &options)
{
    DetectionReport report;
    report.iouThreshold = options.iouThreshold;
    // One greedy pass at the lowest threshold in use serves all higher ones (prefix property).
    const double baseThreshold = std::min(options.iouThreshold, apThreshold(0));

    std::unordered_map<std::string, int> labelIds;
    std::vector<std::string> labelNames;
    std::vector<LabelAccumulator> acc;
    auto idOf = [&](const std::string &label) {
        auto [it, inserted] = labelIds.emplace(label, int(labelNames.size()));
        if (inserted) {
            labelNames.push_back(label);
            acc.emplace_back();
        }
        return it->second;
    };

    std::vector<int> predLabels, refLabels;
    std::vector<Candidate> scratch;
    std::vector<char> usedPred, usedRef;
    std::vector<BoxMatch> matches;
    report.samples.reserve(samples.size());

    for (size_t i = 0; i < samples.size(); ++i) {
        const DetectionSample &sample = samples[i];
        SampleDetection result;
        result.index = int(i);
        result.predictionParsed = predictionParsed.empty() || predictionParsed[i];
        result.scored = referenceParsed.empty() || referenceParsed[i];
        if (!result.scored) {
            result.f1 = 0;
            report.samples.push_back(std::move(result));
            continue;
        }

        predLabels.clear();
        refLabels.clear();
        for (const loc::OdBox &box : sample.predictions) {
            predLabels.push_back(idOf(box.label));
            ++acc[predLabels.back()].predictions;
        }
        for (const loc::OdBox &box : sample.references) {
            refLabels.push_back(idOf(box.label));
            ++acc[refLabels.back()].references;
        }

        greedyMatch(predLabels, sample.predictions, refLabels, sample.references, baseThreshold, scratch,
            usedPred, usedRef, &matches);

        for (const BoxMatch &m : matches) {
            LabelAccumulator &a = acc[refLabels[m.reference]];
            for (int t = 0; t < kApThresholdCount && meets(m.iou, apThreshold(t)); ++t)
                ++a.tpAt[t];
            if (!meets(m.iou, options.iouThreshold))
                continue;
            ++a.tp;
            a.iouSum += m.iou;
            ++result.counts.tp;
            result.counts.iouSum += m.iou;
            result.matches.push_back(m);
        }
        result.counts.fp = int64_t(sample.predictions.size()) - result.counts.tp;
        result.counts.fn = int64_t(sample.references.size()) - result.counts.tp;
        result.f1 = result.counts.f1();

        report.overall.tp += result.counts.tp;
        report.overall.fp += result.counts.fp;
        report.overall.fn += result.counts.fn;
        report.overall.iouSum += result.counts.iouSum;
        report.samples.push_back(std::move(result));
    }

    std::vector<int> order(labelNames.size());
    for (size_t l = 0; l < order.size(); ++l)
        order[l] = int(l);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return labelNames[a] < labelNames[b]; });

    ApScores apSum;
    int labelsWithReferences = 0;
    for (int l : order) {
        const LabelAccumulator &a = acc[l];
        LabelDetection label;
        label.label = labelNames[l];
        label.counts.tp = a.tp;
        label.counts.fp = a.predictions - a.tp;
        label.counts.fn = a.references - a.tp;
        label.counts.iouSum = a.iouSum;
        if (a.references > 0) {
            label.ap = apFromCounts(a.predictions, a.references, a.tpAt);
            for (int t = 0; t < kApThresholdCount; ++t)
                apSum.atThreshold[t] += label.ap->atThreshold[t];
            ++labelsWithReferences;
        }
        report.labels.push_back(std::move(label));
    }
    if (labelsWithReferences > 0) {
        ApScores mean;
        double sum = 0;
        for (int t = 0; t < kApThresholdCount; ++t) {
            mean.atThreshold[t] = apSum.atThreshold[t] / labelsWithReferences;
            sum += mean.atThreshold[t];
        }
        mean.ap = sum / kApThresholdCount;
        mean.ap50 = mean.atThreshold[0];
        mean.ap75 = mean.atThreshold[5];
        report.ap = mean;
    }
    return report;
}

} // namespace

double apThreshold(int i)
{
    return 0.50 + 0.05 * i;
}

double boxIou(const loc::Bins &a, const loc::Bins &b)
{
    int64_t inter = 0, uni = 0;
    return overlap(a, b, &inter, &uni) ? double(inter) / double(uni) : 0.0;
}

std::vector<BoxMatch> matchBoxes(const std::vector<loc::OdBox> &predictions,
    const std::vector<loc::OdBox> &references, double iouThreshold)
{
    std::unordered_map<std::string, int> ids;
    std::vector<int> predLabels, refLabels;
    for (const loc::OdBox &box : predictions)
        predLabels.push_back(ids.emplace(box.label, int(ids.size())).first->second);
    for (const loc::OdBox &box : references)
        refLabels.push_back(ids.emplace(box.label, int(ids.size())).first->second);
    std::vector<Candidate> scratch;
    std::vector<char> usedPred, usedRef;
    std::vector<BoxMatch> matches;
    greedyMatch(
        predLabels, predictions, refLabels, references, iouThreshold, scratch, usedPred, usedRef, &matches);
    return matches;
}

double DetectionCounts::precision() const
{
    if (predictions() == 0)
        return references() == 0 ? 1.0 : 0.0;
    return double(tp) / double(predictions());
}

double DetectionCounts::recall() const
{
    if (references() == 0)
        return predictions() == 0 ? 1.0 : 0.0;
    return double(tp) / double(references());
}

double DetectionCounts::f1() const
{
    const double p = precision();
    const double r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double DetectionCounts::meanIou() const
{
    return tp > 0 ? iouSum / double(tp) : 0.0;
}

std::vector<int> DetectionReport::worstFirst() const
{
    std::vector<int> order(samples.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = int(i);
    std::stable_sort(order.begin(), order.end(), [this](int a, int b) {
        const SampleDetection &x = samples[a];
        const SampleDetection &y = samples[b];
        if (x.scored != y.scored)
            return x.scored;
        if (x.f1 != y.f1)
            return x.f1 < y.f1;
        return x.counts.fp + x.counts.fn > y.counts.fp + y.counts.fn;
    });
    return order;
}

DetectionReport evaluateDetection(
    const std::vector<DetectionSample> &samples, const DetectionOptions &options)
{
    return evaluate(samples, {}, {}, options);
}

DetectionReport evaluateOdTexts(const std::vector<OdTextSample> &samples, const DetectionOptions &options)
{
    std::vector<DetectionSample> parsed(samples.size());
    std::vector<char> predictionParsed(samples.size(), 1);
    std::vector<char> referenceParsed(samples.size(), 1);
    std::vector<DetectionIssue> issues;
    for (size_t i = 0; i < samples.size(); ++i) {
        const std::string where = "sample " + std::to_string(i);
        auto reference = parseText(samples[i].reference);
        if (!reference) {
            referenceParsed[i] = 0;
            issues.push_back({int(i), DetectionIssue::Side::Reference,
                where + ": reference not scored: " + reference.error().message});
            continue;
        }
        parsed[i].references = std::move(reference).value();
        auto prediction = parseText(samples[i].prediction);
        if (!prediction) {
            // A generation cut off mid-box is common; score what the preview shows, i.e. what
            // upstream's tolerant post-processor keeps (bins come back exactly: size 1000).
            predictionParsed[i] = 0;
            const loc::OdResult kept = loc::postProcessOd(samples[i].prediction, {1000, 1000});
            for (size_t k = 0; k < kept.bboxes.size(); ++k)
                parsed[i].predictions.push_back(
                    {kept.labels[k], loc::quantizeBox(kept.bboxes[k], {1000, 1000})});
            issues.push_back({int(i), DetectionIssue::Side::Prediction,
                where + ": prediction is not canonical <OD> text (" + prediction.error().message
                    + "); scored the " + std::to_string(kept.bboxes.size())
                    + " box(es) upstream's post-processing keeps"});
            continue;
        }
        parsed[i].predictions = std::move(prediction).value();
    }
    DetectionReport report = evaluate(parsed, predictionParsed, referenceParsed, options);
    report.issues = std::move(issues);
    return report;
}

} // namespace fmw::eval
