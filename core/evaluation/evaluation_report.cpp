#include "evaluation/evaluation_report.h"

#include "evaluation/bleu.h"
#include "evaluation/cider.h"
#include "evaluation/rouge.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace fmw::eval {

namespace {

using Json = nlohmann::json;

Json labelsJson(const FindingLabels &labels)
{
    Json j = Json::object();
    for (Observation o : allObservations()) {
        const FindingLabel l = labels[observationIndex(o)];
        if (l != FindingLabel::NotMentioned)
            j[observationName(o)] = findingLabelName(l);
    }
    return j;
}

Json averagedJson(const AveragedScores &a)
{
    return {{"micro", {{"precision", a.microPrecision}, {"recall", a.microRecall}, {"f1", a.microF1}}},
        {"macro", {{"precision", a.macroPrecision}, {"recall", a.macroRecall}, {"f1", a.macroF1}}}};
}

Json findingsJson(const FindingAgreement &f)
{
    Json per = Json::object();
    for (Observation o : allObservations()) {
        const ObservationCounts &c = f.perObservation[observationIndex(o)];
        per[observationName(o)] = {{"tp", c.tp}, {"fp", c.fp}, {"fn", c.fn}, {"tn", c.tn},
            {"precision", c.precision}, {"recall", c.recall}, {"f1", c.f1}};
    }
    return {{"all14", averagedJson(f.all14)}, {"top5", averagedJson(f.top5)}, {"per_observation", per}};
}

Json countsJson(const DetectionCounts &c)
{
    return {{"tp", c.tp}, {"fp", c.fp}, {"fn", c.fn}, {"precision", c.precision()}, {"recall", c.recall()},
        {"f1", c.f1()}, {"mean_iou", c.meanIou()}};
}

Json apJson(const std::optional<ApScores> &ap)
{
    if (!ap)
        return nullptr;
    return {{"ap", ap->ap}, {"ap50", ap->ap50}, {"ap75", ap->ap75}, {"per_threshold", ap->atThreshold}};
}

Json detectionJson(const DetectionReport &d)
{
    Json labels = Json::array();
    for (const LabelDetection &l : d.labels)
        labels.push_back({{"label", l.label}, {"counts", countsJson(l.counts)}, {"ap", apJson(l.ap)}});
    Json issues = Json::array();
    for (const DetectionIssue &i : d.issues)
        issues.push_back(i.message);
    return {{"iou_threshold", d.iouThreshold}, {"overall", countsJson(d.overall)}, {"ap", apJson(d.ap)},
        {"labels", labels}, {"issues", issues}};
}

std::string trimmed(const std::string &s)
{
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    size_t begin = 0, end = s.size();
    while (begin < end && space(s[begin]))
        ++begin;
    while (end > begin && space(s[end - 1]))
        --end;
    return s.substr(begin, end - begin);
}

} // namespace

bool isDetectionTask(const std::string &task)
{
    return task == "<OD>";
}

TaskReport evaluateTask(const std::string &task, std::vector<EvaluationSample> samples)
{
    TaskReport r;
    r.task = task;
    for (const EvaluationSample &s : samples) {
        if (s.prefix != task)
            throw std::invalid_argument(
                "evaluateTask(" + task + "): sample " + s.image + " has prefix " + s.prefix);
        if (s.references.empty())
            throw std::invalid_argument(
                "evaluateTask(" + task + "): sample " + s.image + " has no reference");
    }
    r.samples = std::move(samples);
    const size_t n = r.samples.size();
    r.exact.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const std::string prediction = trimmed(r.samples[i].prediction);
        const auto &refs = r.samples[i].references;
        r.exact[i] = std::any_of(
            refs.begin(), refs.end(), [&](const std::string &ref) { return trimmed(ref) == prediction; });
        r.exactMatches += r.exact[i] ? 1 : 0;
    }

    if (isDetectionTask(task)) {
        std::vector<OdTextSample> od(n);
        for (size_t i = 0; i < n; ++i)
            od[i] = {r.samples[i].prediction, r.samples[i].references.front()};
        r.detection = evaluateOdTexts(od);
        r.worstFirst = r.detection->worstFirst();
        return r;
    }

    std::vector<TextPair> raw(n);
    for (size_t i = 0; i < n; ++i)
        raw[i] = {r.samples[i].prediction, r.samples[i].references};
    const std::vector<TextPair> pairs = tokenizePairs(raw);
    const BleuScores b = bleu(pairs);
    const ScalarScores rouge = rougeL(pairs);
    const ScalarScores ciderD = cider(pairs);
    r.bleu = b.corpus;
    r.rougeL = rouge.corpus;
    r.cider = ciderD.corpus;

    std::vector<std::string> generated(n), reference(n);
    for (size_t i = 0; i < n; ++i) {
        generated[i] = r.samples[i].prediction;
        reference[i] = r.samples[i].references.front();
    }
    const std::vector<FindingLabels> generatedLabels = labelReports(generated);
    const std::vector<FindingLabels> referenceLabels = labelReports(reference);
    r.findings = computeFindingAgreement(generatedLabels, referenceLabels);
    r.text.resize(n);
    for (size_t i = 0; i < n; ++i) {
        TextSampleScores &t = r.text[i];
        t.bleu = b.perSample[i];
        t.rougeL = rouge.perSample[i];
        t.cider = ciderD.perSample[i];
        t.predictedFindings = generatedLabels[i];
        t.referenceFindings = referenceLabels[i];
        t.findings = compareSample(generatedLabels[i], referenceLabels[i]);
    }
    r.worstFirst.resize(n);
    std::iota(r.worstFirst.begin(), r.worstFirst.end(), 0);
    std::stable_sort(r.worstFirst.begin(), r.worstFirst.end(), [&](int a, int b) {
        const TextSampleScores &x = r.text[a], &y = r.text[b];
        if (x.findings.f1 != y.findings.f1)
            return x.findings.f1 < y.findings.f1;
        return x.rougeL < y.rougeL;
    });
    return r;
}

std::vector<std::string> metricNotes()
{
    return {"BLEU-1..4, ROUGE-L and CIDEr-D follow pycocoevalcap's scorers (corpus BLEU with the "
            "'closest' reference length; ROUGE-L LCS F-measure, beta 1.2, best reference; CIDEr-D sigma 6, "
            "document frequencies from the references, x10).",
        "Texts are tokenized like pycocoevalcap's PTB tokenizer for ordinary English (lower case, "
        "punctuation "
        "removed); see core/evaluation/text_tokenizer.h for where it may differ.",
        "METEOR and SPICE need Java and are not computed.",
        "Clinical finding agreement uses a rule-based CheXpert-style labeler (14 observations; uncertain "
        "counted "
        "as negative); it approximates, and does not reproduce, CheXbert-based clinical-efficacy scores.",
        "<OD>: IoU >= 0.5 with one-to-one greedy matching by IoU; AP@[.5:.95] treats every box as score 1 "
        "(Florence-2 gives no scores)."};
}

Json toJson(const TaskReport &r)
{
    Json j;
    j["task"] = r.task;
    j["samples"] = r.samples.size();
    j["exact_match"] = {{"count", r.exactMatches},
        {"rate", r.samples.empty() ? 0.0 : double(r.exactMatches) / double(r.samples.size())}};
    Json samples = Json::array();
    if (r.detection) {
        j["detection"] = detectionJson(*r.detection);
        for (int i : r.worstFirst) {
            const EvaluationSample &s = r.samples[i];
            const SampleDetection &d = r.detection->samples[i];
            samples.push_back({{"image", s.image}, {"prediction", s.prediction}, {"references", s.references},
                {"exact", bool(r.exact[i])}, {"scored", d.scored}, {"canonical", d.predictionParsed},
                {"tp", d.counts.tp}, {"fp", d.counts.fp}, {"fn", d.counts.fn}, {"f1", d.f1}});
        }
    } else {
        j["bleu"] = {{"bleu1", r.bleu[0]}, {"bleu2", r.bleu[1]}, {"bleu3", r.bleu[2]}, {"bleu4", r.bleu[3]}};
        j["rouge_l"] = r.rougeL;
        j["cider_d"] = r.cider;
        if (r.findings)
            j["findings"] = findingsJson(*r.findings);
        for (int i : r.worstFirst) {
            const EvaluationSample &s = r.samples[i];
            const TextSampleScores &t = r.text[i];
            samples.push_back({{"image", s.image}, {"prediction", s.prediction}, {"references", s.references},
                {"exact", bool(r.exact[i])}, {"bleu4", t.bleu[3]}, {"rouge_l", t.rougeL},
                {"cider_d", t.cider}, {"findings_f1", t.findings.f1},
                {"findings_agreeing", t.findings.agreeing},
                {"predicted_findings", labelsJson(t.predictedFindings)},
                {"reference_findings", labelsJson(t.referenceFindings)}});
        }
    }
    j["samples_worst_first"] = samples;
    return j;
}

} // namespace fmw::eval
