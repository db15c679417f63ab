#pragma once

// Clinical-efficacy agreement between labels of generated and reference reports, as published
// for MIMIC-CXR report generation (CheXpert/CheXbert labels of both sides compared):
//  - Each label is binarised: only Positive counts as positive; Uncertain, Negative and
//    NotMentioned count as negative (the convention behind the published numbers).
//  - Per observation: TP/FP/FN/TN over samples, precision = TP/(TP+FP), recall = TP/(TP+FN),
//    F1 = 2PR/(P+R). A 0/0 ratio takes `zeroDivision` (default 0, like scikit-learn's default
//    zero_division, which is what published scores used).
//  - Micro average: precision/recall/F1 of the TP/FP/FN summed over the averaged observations.
//  - Macro average: plain mean of the per-observation precision/recall/F1 over the averaged
//    observations, including any without support (their 0/0 values count as `zeroDivision`).
//  - Two observation sets: all 14 (No Finding included) and the 5 common in the literature
//    (Cardiomegaly, Edema, Consolidation, Atelectasis, Pleural Effusion).
// Labels come from the rule-based labeler (finding_labeler.h), so these approximate the
// CheXbert-based scores; they are not the published numbers.

#include "evaluation/finding_labeler.h"

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace fmw::eval {

struct ObservationCounts {
    std::size_t tp = 0;
    std::size_t fp = 0;
    std::size_t fn = 0;
    std::size_t tn = 0;
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
};

struct AveragedScores {
    double microPrecision = 0.0;
    double microRecall = 0.0;
    double microF1 = 0.0;
    double macroPrecision = 0.0;
    double macroRecall = 0.0;
    double macroF1 = 0.0;
};

struct FindingAgreement {
    std::size_t samples = 0;
    std::array<ObservationCounts, kObservationCount> perObservation {};
    AveragedScores all14; // over all 14 observations
    AveragedScores top5; // over kTop5Observations
};

// Per-report agreement, for sorting the worst cases in the UI.
struct SampleAgreement {
    std::size_t agreeing = 0; // observations (of 14) whose binarised labels agree
    std::size_t exactMatches = 0; // observations whose 4-way labels are equal
    std::size_t tp = 0;
    std::size_t fp = 0;
    std::size_t fn = 0;
    double f1 = 1.0; // binarised F1 over the 14; 1 when neither side has a positive
};

inline constexpr std::array<Observation, 5> kTop5Observations = {Observation::Cardiomegaly,
    Observation::Edema, Observation::Consolidation, Observation::Atelectasis, Observation::PleuralEffusion};

constexpr bool isPositive(FindingLabel l)
{
    return l == FindingLabel::Positive;
}

// Throws std::invalid_argument when the two lists differ in length.
FindingAgreement computeFindingAgreement(const std::vector<FindingLabels> &generated,
    const std::vector<FindingLabels> &reference, double zeroDivision = 0.0);

// Labels both report lists with labelReport() first.
FindingAgreement computeFindingAgreement(const std::vector<std::string> &generatedReports,
    const std::vector<std::string> &referenceReports, double zeroDivision = 0.0);

// Averages over any subset of observations (same conventions as above).
AveragedScores averageOver(const std::array<ObservationCounts, kObservationCount> &perObservation,
    const std::vector<Observation> &observations, double zeroDivision = 0.0);

SampleAgreement compareSample(const FindingLabels &generated, const FindingLabels &reference);

// Throws std::invalid_argument when the two lists differ in length.
std::vector<SampleAgreement> compareSamples(
    const std::vector<FindingLabels> &generated, const std::vector<FindingLabels> &reference);

} // namespace fmw::eval
