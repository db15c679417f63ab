#include "evaluation/finding_agreement.h"

#include <stdexcept>

namespace fmw::eval {

namespace {

double ratio(std::size_t num, std::size_t den, double zeroDivision)
{
    return den == 0 ? zeroDivision : static_cast<double>(num) / static_cast<double>(den);
}

// F1 from counts rather than from P and R, so 0/0 is decided once (2TP + FP + FN == 0).
double f1From(std::size_t tp, std::size_t fp, std::size_t fn, double zeroDivision)
{
    return ratio(2 * tp, 2 * tp + fp + fn, zeroDivision);
}

void checkSizes(std::size_t a, std::size_t b)
{
    if (a != b)
        throw std::invalid_argument("finding agreement: generated and reference lists differ in length");
}

} // namespace

AveragedScores averageOver(const std::array<ObservationCounts, kObservationCount> &perObservation,
    const std::vector<Observation> &observations, double zeroDivision)
{
    AveragedScores s;
    if (observations.empty())
        return s;
    std::size_t tp = 0, fp = 0, fn = 0;
    for (Observation o : observations) {
        const ObservationCounts &c = perObservation[observationIndex(o)];
        tp += c.tp;
        fp += c.fp;
        fn += c.fn;
        s.macroPrecision += c.precision;
        s.macroRecall += c.recall;
        s.macroF1 += c.f1;
    }
    const double n = static_cast<double>(observations.size());
    s.macroPrecision /= n;
    s.macroRecall /= n;
    s.macroF1 /= n;
    s.microPrecision = ratio(tp, tp + fp, zeroDivision);
    s.microRecall = ratio(tp, tp + fn, zeroDivision);
    s.microF1 = f1From(tp, fp, fn, zeroDivision);
    return s;
}

FindingAgreement computeFindingAgreement(const std::vector<FindingLabels> &generated,
    const std::vector<FindingLabels> &reference, double zeroDivision)
{
    checkSizes(generated.size(), reference.size());
    FindingAgreement a;
    a.samples = generated.size();
    for (std::size_t i = 0; i < generated.size(); ++i) {
        for (std::size_t o = 0; o < kObservationCount; ++o) {
            const bool g = isPositive(generated[i][o]);
            const bool r = isPositive(reference[i][o]);
            ObservationCounts &c = a.perObservation[o];
            if (g && r)
                ++c.tp;
            else if (g)
                ++c.fp;
            else if (r)
                ++c.fn;
            else
                ++c.tn;
        }
    }
    for (ObservationCounts &c : a.perObservation) {
        c.precision = ratio(c.tp, c.tp + c.fp, zeroDivision);
        c.recall = ratio(c.tp, c.tp + c.fn, zeroDivision);
        c.f1 = f1From(c.tp, c.fp, c.fn, zeroDivision);
    }
    const auto &all = allObservations();
    a.all14 = averageOver(a.perObservation, std::vector<Observation>(all.begin(), all.end()), zeroDivision);
    a.top5 = averageOver(a.perObservation,
        std::vector<Observation>(kTop5Observations.begin(), kTop5Observations.end()), zeroDivision);
    return a;
}

FindingAgreement computeFindingAgreement(const std::vector<std::string> &generatedReports,
    const std::vector<std::string> &referenceReports, double zeroDivision)
{
    checkSizes(generatedReports.size(), referenceReports.size());
    return computeFindingAgreement(
        labelReports(generatedReports), labelReports(referenceReports), zeroDivision);
}

SampleAgreement compareSample(const FindingLabels &generated, const FindingLabels &reference)
{
    SampleAgreement s;
    for (std::size_t o = 0; o < kObservationCount; ++o) {
        const bool g = isPositive(generated[o]);
        const bool r = isPositive(reference[o]);
        s.agreeing += g == r ? 1 : 0;
        s.exactMatches += generated[o] == reference[o] ? 1 : 0;
        s.tp += g && r ? 1 : 0;
        s.fp += g && !r ? 1 : 0;
        s.fn += !g && r ? 1 : 0;
    }
    s.f1 = f1From(s.tp, s.fp, s.fn, 1.0);
    return s;
}

std::vector<SampleAgreement> compareSamples(
    const std::vector<FindingLabels> &generated, const std::vector<FindingLabels> &reference)
{
    checkSizes(generated.size(), reference.size());
    std::vector<SampleAgreement> out;
    out.reserve(generated.size());
    for (std::size_t i = 0; i < generated.size(); ++i)
        out.push_back(compareSample(generated[i], reference[i]));
    return out;
}

} // namespace fmw::eval
