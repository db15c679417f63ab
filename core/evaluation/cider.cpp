#include "evaluation/cider.h"

#include "evaluation/bleu.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace fmw::eval {

namespace {

constexpr int kN = 4;
constexpr double kE = 2.718281828459045; // np.e; upstream raises it to a power rather than calling exp

// counts2vec(): tf-idf weights in the order of the counted n-grams, per-n norms, bigram count.
struct TfIdf {
    std::vector<double> weights;
    std::array<double, kN> norm {};
    long long length = 0;
};

// weightOf[id] = log(N) - log(max(1, df)); n-grams no reference has (df 0, or ids first seen in a
// prediction) get log(N), as upstream's defaultdict does.
void toTfIdf(const std::vector<detail::NGramCount> &counts, const std::vector<double> &weightOf,
    double refLen, TfIdf *v)
{
    v->weights.clear();
    v->norm = {};
    v->length = 0;
    for (const detail::NGramCount &g : counts) {
        const double w = static_cast<double>(g.count) * (g.id < weightOf.size() ? weightOf[g.id] : refLen);
        const int n = static_cast<int>(g.n) - 1;
        v->weights.push_back(w);
        v->norm[n] += w * w;
        if (n == 1)
            v->length += g.count;
    }
    for (double &x : v->norm)
        x = std::sqrt(x);
}

// sim() of the prediction against the reference the counter holds last.
std::array<double, kN> similarity(const std::vector<detail::NGramCount> &hyp, const TfIdf &vh,
    const detail::NGramCounter &refCounter, const TfIdf &vr, double sigma)
{
    std::array<double, kN> val {};
    for (size_t i = 0; i < hyp.size(); ++i) {
        const int j = refCounter.find(hyp[i].id);
        if (j >= 0) {
            const double r = vr.weights[static_cast<size_t>(j)];
            val[hyp[i].n - 1] += std::min(vh.weights[i], r) * r;
        }
    }
    const double delta = static_cast<double>(vh.length - vr.length);
    const double penalty = std::pow(kE, -(delta * delta) / (2 * sigma * sigma));
    for (int n = 0; n < kN; ++n) {
        if (vh.norm[n] != 0 && vr.norm[n] != 0)
            val[n] /= vh.norm[n] * vr.norm[n];
        val[n] *= penalty;
    }
    return val;
}

} // namespace

ScalarScores cider(const std::vector<TextPair> &pairs, TextInput input, double sigma)
{
    if (input == TextInput::Raw)
        return cider(tokenizePairs(pairs), TextInput::Tokenized, sigma);

    ScalarScores result;
    if (pairs.empty())
        return result;

    detail::Vocabulary vocab;
    detail::NGramCounter counter;
    std::vector<uint32_t> words;
    auto count = [&](const std::string &sentence) -> const std::vector<detail::NGramCount> & {
        vocab.splitWhitespace(sentence, &words);
        return counter.count(words, kN);
    };

    // Pass 1: document frequencies over the references. Sentences are counted again in pass 2
    // rather than kept (ids are stable): storing every n-gram list costs more than recounting.
    std::vector<int> df; // by n-gram id
    std::vector<uint32_t> seenIn; // by n-gram id: 1 + index of the last pair that counted it
    for (size_t p = 0; p < pairs.size(); ++p) {
        if (pairs[p].references.empty())
            throw std::invalid_argument("cider: a prediction has no reference");
        for (const std::string &reference : pairs[p].references) {
            const std::vector<detail::NGramCount> &ref = count(reference);
            if (df.size() <= counter.index().size()) {
                df.resize(counter.index().size() * 2 + 1, 0);
                seenIn.resize(df.size(), 0);
            }
            // An n-gram counts once per pair however many references hold it.
            for (const detail::NGramCount &g : ref) {
                if (seenIn[g.id] != p + 1) {
                    seenIn[g.id] = static_cast<uint32_t>(p + 1);
                    ++df[g.id];
                }
            }
        }
    }
    const double refLen = std::log(static_cast<double>(pairs.size()));
    std::vector<double> weightOf(df.size());
    for (size_t id = 0; id < df.size(); ++id)
        weightOf[id] = refLen - std::log(std::max(1.0, static_cast<double>(df[id])));

    // Pass 2: scores.
    result.perSample.reserve(pairs.size());
    double sum = 0.0;
    std::vector<detail::NGramCount> test;
    TfIdf vh;
    TfIdf vr;
    for (const TextPair &pair : pairs) {
        test = count(pair.prediction);
        toTfIdf(test, weightOf, refLen, &vh);
        std::array<double, kN> acc {};
        for (const std::string &reference : pair.references) {
            toTfIdf(count(reference), weightOf, refLen, &vr);
            const std::array<double, kN> s = similarity(test, vh, counter, vr, sigma);
            for (int n = 0; n < kN; ++n)
                acc[n] += s[n];
        }
        double mean = 0.0;
        for (const double x : acc)
            mean += x;
        mean /= kN;
        const double score = mean / static_cast<double>(pair.references.size()) * 10.0;
        result.perSample.push_back(score);
        sum += score;
    }
    result.corpus = sum / static_cast<double>(pairs.size());
    return result;
}

} // namespace fmw::eval
