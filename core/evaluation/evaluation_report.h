#pragma once
// One task's evaluation: generated texts against their references, with the metrics the
// report-generation literature uses (text_tokenizer.h, bleu.h, rouge.h, cider.h), clinical
// finding agreement (finding_agreement.h) and, for <OD>, detection metrics
// (detection_metrics.h). What `florence-cli evaluate` writes and the compare view shows; plain
// C++ so both use it without a GUI.

#include "evaluation/detection_metrics.h"
#include "evaluation/finding_agreement.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace fmw::eval {

// One prediction and every reference for the same (image, prefix).
struct EvaluationSample {
    std::string image;
    std::string prefix;
    std::string prediction; // text tasks: the answer; <OD>: labels + <loc_N> tokens
    std::vector<std::string> references; // at least one
};

struct TextSampleScores {
    std::array<double, 4> bleu {}; // BLEU-1..4 of this pair (pycocoevalcap's per-item scores)
    double rougeL = 0;
    double cider = 0;
    // Against the first reference (CheXpert labels are per report, not per reference set).
    FindingLabels predictedFindings {};
    FindingLabels referenceFindings {};
    SampleAgreement findings;
};

struct TaskReport {
    std::string task;
    std::vector<EvaluationSample> samples;
    // Predictions equal to one of their references, byte for byte (leading and trailing white
    // space aside): the strictest score, and the one a learnable demo is judged by.
    std::vector<bool> exact;
    int exactMatches = 0;

    // Text tasks (everything but <OD>): corpus scores and one entry per sample.
    std::array<double, 4> bleu {};
    double rougeL = 0;
    double cider = 0;
    std::optional<FindingAgreement> findings;
    std::vector<TextSampleScores> text;

    // <OD>: detection metrics instead (the texts are boxes, not prose).
    std::optional<DetectionReport> detection;

    // Sample indices, worst first. Text: lowest finding F1 first (a wrong finding matters more
    // than wording), then lowest ROUGE-L, then input order. <OD>: DetectionReport::worstFirst().
    std::vector<int> worstFirst;
};

// Whether `task` is scored as boxes (<OD>) rather than text.
bool isDetectionTask(const std::string &task);

// Scores `samples`, which must all have `task` as prefix and at least one reference each.
TaskReport evaluateTask(const std::string &task, std::vector<EvaluationSample> samples);

// What the metrics are and are not (e.g. METEOR and SPICE need Java and are left out), for
// the report's "notes".
std::vector<std::string> metricNotes();

// The report as JSON: corpus scores, definitions, and the samples worst first.
nlohmann::json toJson(const TaskReport &report);

} // namespace fmw::eval
