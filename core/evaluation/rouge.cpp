#include "evaluation/rouge.h"

#include "evaluation/bleu.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace fmw::eval {

namespace {

constexpr double kBeta = 1.2;

// LCS length with one rolling row over the shorter sequence.
size_t lcsLength(const std::vector<uint32_t> &a, const std::vector<uint32_t> &b, std::vector<size_t> *row)
{
    const std::vector<uint32_t> &longer = a.size() >= b.size() ? a : b;
    const std::vector<uint32_t> &shorter = a.size() >= b.size() ? b : a;
    row->assign(shorter.size() + 1, 0);
    for (const uint32_t x : longer) {
        size_t diag = 0; // row[j - 1] of the previous line
        for (size_t j = 1; j <= shorter.size(); ++j) {
            const size_t up = (*row)[j];
            (*row)[j] = x == shorter[j - 1] ? diag + 1 : std::max(up, (*row)[j - 1]);
            diag = up;
        }
    }
    return row->back();
}

} // namespace

ScalarScores rougeL(const std::vector<TextPair> &pairs, TextInput input)
{
    if (input == TextInput::Raw)
        return rougeL(tokenizePairs(pairs), TextInput::Tokenized);

    ScalarScores result;
    result.perSample.reserve(pairs.size());
    detail::Vocabulary vocab;
    std::vector<size_t> row;
    std::vector<uint32_t> cand;
    std::vector<uint32_t> ref;
    double sum = 0.0;
    for (const TextPair &pair : pairs) {
        if (pair.references.empty())
            throw std::invalid_argument("rougeL: a prediction has no reference");
        vocab.splitSpace(pair.prediction, &cand);
        double precMax = 0.0;
        double recMax = 0.0;
        for (const std::string &reference : pair.references) {
            vocab.splitSpace(reference, &ref);
            const auto lcs = static_cast<double>(lcsLength(ref, cand, &row));
            precMax = std::max(precMax, lcs / static_cast<double>(cand.size()));
            recMax = std::max(recMax, lcs / static_cast<double>(ref.size()));
        }
        double score = 0.0;
        if (precMax != 0 && recMax != 0)
            score = ((1 + kBeta * kBeta) * precMax * recMax) / (recMax + kBeta * kBeta * precMax);
        result.perSample.push_back(score);
        sum += score;
    }
    if (!pairs.empty())
        result.corpus = sum / static_cast<double>(pairs.size());
    return result;
}

} // namespace fmw::eval
