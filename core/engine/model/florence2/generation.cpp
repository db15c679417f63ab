#include "engine/model/florence2/generation.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <vector>

namespace fmw::florence2 {

GenerationOptions GenerationOptions::effectiveDefaults(const Florence2Config &config, int64_t maxNewTokens)
{
    const GenerationDefaults &d = config.text.generation;
    GenerationOptions o;
    o.maxNewTokens = maxNewTokens;
    o.numBeams = d.numBeams;
    o.lengthPenalty = d.lengthPenalty;
    o.earlyStopping = d.earlyStopping;
    o.noRepeatNgramSize = d.noRepeatNgramSize;
    o.forcedBosTokenId = d.forcedBosTokenId;
    o.forcedEosTokenId = d.forcedEosTokenId;
    return o;
}

namespace {

using Row = std::vector<int64_t>;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// HF's NoRepeatNGram processor: per row, the tokens that would repeat an n-gram. `rows` are
// the decoder ids so far (start token included), curLen their length.
std::vector<std::vector<int64_t>> repeatedNgramTokens(
    const std::vector<Row> &rows, int64_t curLen, const GenerationOptions &o)
{
    const int64_t n = o.noRepeatNgramSize;
    std::vector<std::vector<int64_t>> banned(rows.size());
    if (n <= 0 || curLen + 1 < n)
        return banned;
    for (size_t r = 0; r < rows.size(); ++r) {
        const Row &ids = rows[r];
        // the n-1 latest ids; every earlier n-gram starting with them bans its last id
        const int64_t start = curLen - (n - 1);
        for (int64_t i = 0; i + n <= curLen; ++i) {
            if (std::equal(ids.begin() + i, ids.begin() + i + n - 1, ids.begin() + start))
                banned[r].push_back(ids[static_cast<size_t>(i + n - 1)]);
        }
    }
    return banned;
}

// HF's ForcedBOS and ForcedEOS processors: the token every row must take at this length.
std::optional<int64_t> forcedToken(int64_t curLen, int64_t maxLength, const GenerationOptions &o)
{
    // EOS is applied last in the reference, so it wins when both apply
    if (o.forcedEosTokenId && curLen == maxLength - 1)
        return o.forcedEosTokenId;
    if (o.forcedBosTokenId && curLen == 1)
        return o.forcedBosTokenId;
    return std::nullopt;
}

// The three processors on scores [N, V] (modified in place).
void applyProcessors(at::Tensor &scores, const std::vector<Row> &rows, int64_t curLen, int64_t maxLength,
    const GenerationOptions &o)
{
    const std::vector<std::vector<int64_t>> banned = repeatedNgramTokens(rows, curLen, o);
    std::vector<int64_t> bannedRows, bannedTokens;
    for (size_t r = 0; r < banned.size(); ++r)
        for (const int64_t token : banned[r]) {
            bannedRows.push_back(static_cast<int64_t>(r));
            bannedTokens.push_back(token);
        }
    if (!bannedRows.empty()) {
        const auto longs = at::TensorOptions(at::kLong);
        scores.index_put_({at::tensor(bannedRows, longs).to(scores.device()),
                              at::tensor(bannedTokens, longs).to(scores.device())},
            at::scalar_tensor(kNegInf, scores.options()));
    }
    if (const auto token = forcedToken(curLen, maxLength, o)) {
        scores.fill_(kNegInf);
        scores.select(1, *token).fill_(0.0);
    }
}

at::Tensor lastTokens(const std::vector<Row> &rows, const at::Device &device)
{
    std::vector<int64_t> last;
    last.reserve(rows.size());
    for (const Row &r : rows)
        last.push_back(r.back());
    return at::tensor(last, at::kLong).view({static_cast<int64_t>(rows.size()), 1}).to(device);
}

// Pads rows with `pad` to the longest; [N, L] int64.
at::Tensor toTensor(const std::vector<Row> &rows, int64_t pad)
{
    size_t length = 0;
    for (const Row &r : rows)
        length = std::max(length, r.size());
    at::Tensor out = at::full({static_cast<int64_t>(rows.size()), static_cast<int64_t>(length)}, pad, at::kLong);
    auto a = out.accessor<int64_t, 2>();
    for (size_t i = 0; i < rows.size(); ++i)
        for (size_t j = 0; j < rows[i].size(); ++j)
            a[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = rows[i][j];
    return out;
}

// Logits of the last position for the rows' newest tokens: [N, V] float32.
at::Tensor nextLogits(Florence2ForConditionalGeneration &model, const EncoderOutput &encoded,
    const std::vector<Row> &rows, DecoderCache &cache, bool useCache, int64_t pad)
{
    const at::Device device = encoded.lastHiddenState.device();
    if (useCache) {
        const at::Tensor logits = model->decode(lastTokens(rows, device), encoded, &cache); // [N, 1, V]
        return logits.select(1, 0);
    }
    const at::Tensor logits = model->decode(toTensor(rows, pad).to(device), encoded); // [N, T, V]
    return logits.select(1, logits.size(1) - 1);
}

GenerationResult greedySearch(Florence2ForConditionalGeneration &model, const EncoderOutput &encoded,
    const GenerationOptions &o, int64_t maxLength)
{
    const TextConfig &t = model->config().text;
    const int64_t B = encoded.lastHiddenState.size(0);
    const at::Device device = encoded.lastHiddenState.device();
    std::vector<Row> rows(static_cast<size_t>(B), Row {t.decoderStartTokenId});
    std::vector<bool> finished(static_cast<size_t>(B), false);
    std::vector<at::Tensor> stepLogits;
    DecoderCache cache(t.decoderLayers, maxLength);
    // the next tokens without every logit when nobody looks at them (LanguageForConditional-
    // Generation::nextTokens); the same tokens as the argmax of the logits
    const bool screened = o.useCache && !o.keepStepLogits && !model->hasCallback();
    std::vector<int64_t> nextIds;
    for (int64_t curLen = 1; curLen < maxLength; ++curLen) {
        // scores [B, V] -> nextIds, through the processors
        const auto pick = [&](at::Tensor scores) {
            applyProcessors(scores, rows, curLen, maxLength, o);
            const at::Tensor next = scores.argmax(-1).to(at::kCPU);
            nextIds.assign(next.data_ptr<int64_t>(), next.data_ptr<int64_t>() + next.numel());
        };
        nextIds.clear();
        if (screened) {
            const at::Tensor hidden = model->decodeHidden(lastTokens(rows, device), encoded, &cache); // [B, 1, D]
            if (const auto forced = forcedToken(curLen, maxLength, o))
                nextIds.assign(rows.size(), *forced);
            else
                nextIds = model->language_model->nextTokens(hidden, repeatedNgramTokens(rows, curLen, o));
            if (nextIds.empty())
                pick(model->language_model->lmHead(hidden).to(at::kFloat).select(1, 0));
        } else {
            const at::Tensor scores = nextLogits(model, encoded, rows, cache, o.useCache, t.padTokenId); // [B, V]
            if (o.keepStepLogits)
                stepLogits.push_back(scores.to(at::kCPU, at::kFloat, false, true));
            pick(scores);
        }
        bool all = true;
        for (size_t b = 0; b < rows.size(); ++b) {
            // finished rows continue with <pad>
            const int64_t id = finished[b] ? t.padTokenId : nextIds[b];
            rows[b].push_back(id);
            finished[b] = finished[b] || id == t.eosTokenId;
            all = all && finished[b];
        }
        if (all)
            break;
    }
    GenerationResult result;
    result.sequences = toTensor(rows, t.padTokenId);
    if (o.keepStepLogits && !stepLogits.empty())
        result.stepLogits = at::stack(stepLogits, 1);
    return result;
}

// HF's BeamHypotheses: the best `numBeams` finished hypotheses of one sample.
struct Hypotheses {
    struct Entry {
        double score;
        Row tokens; // start token first, without the closing </s>
        bool closed; // ended by </s> (false: cut at max_length)
    };
    std::vector<Entry> entries;
    double worst = 1e9;
    bool done = false;

    void add(Row tokens, double sumLogprobs, int64_t generatedLength, bool closed, const GenerationOptions &o)
    {
        const double score = sumLogprobs / std::pow(static_cast<double>(generatedLength), o.lengthPenalty);
        if (static_cast<int64_t>(entries.size()) >= o.numBeams && score <= worst)
            return;
        entries.push_back({score, std::move(tokens), closed});
        if (static_cast<int64_t>(entries.size()) > o.numBeams) {
            // drop the worst; the new worst is the second worst
            std::vector<std::pair<double, size_t>> sorted;
            for (size_t i = 0; i < entries.size(); ++i)
                sorted.emplace_back(entries[i].score, i);
            std::sort(sorted.begin(), sorted.end());
            entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(sorted[0].second));
            worst = sorted[1].first;
        } else {
            worst = std::min(score, worst);
        }
    }

    bool isDone(double bestSumLogprobs, int64_t generatedLength, const GenerationOptions &o) const
    {
        if (static_cast<int64_t>(entries.size()) < o.numBeams)
            return false;
        if (o.earlyStopping)
            return true;
        // HF's heuristic: the best open beam, scored at the current length, cannot win
        return worst >= bestSumLogprobs / std::pow(static_cast<double>(generatedLength), o.lengthPenalty);
    }
};

GenerationResult runBeamSearch(Florence2ForConditionalGeneration &model, const EncoderOutput &encoded,
    const GenerationOptions &o, int64_t maxLength)
{
    const TextConfig &t = model->config().text;
    const int64_t B = encoded.lastHiddenState.size(0), K = o.numBeams;
    const int64_t N = B * K;
    // The K beams of a sample share its encoder output (decode() groups them), so the
    // cross-attention keys/values are computed and read once per sample, not once per beam.

    std::vector<Row> rows(static_cast<size_t>(N), Row {t.decoderStartTokenId});
    // only the first beam of a sample is live at the start, so the K beams do not repeat it
    std::vector<double> beamScores(static_cast<size_t>(N), -1e9);
    for (int64_t b = 0; b < B; ++b)
        beamScores[static_cast<size_t>(b * K)] = 0.0;
    std::vector<Hypotheses> hyps(static_cast<size_t>(B));
    DecoderCache cache(t.decoderLayers, maxLength);

    for (int64_t curLen = 1; curLen < maxLength; ++curLen) {
        const at::Tensor logits = nextLogits(model, encoded, rows, cache, o.useCache, t.padTokenId); // [N, V]
        const int64_t V = logits.size(1);
        at::Tensor scores = at::log_softmax(logits, -1);
        applyProcessors(scores, rows, curLen, maxLength, o);
        // + running beam scores, then the best 2K continuations of each sample over its K*V.
        // Each row can give at most 2K of them, so the best 2K of each row, merged, are the
        // same (a third of the cost of topk over K*V, where one vocabulary is 51k).
        const int64_t perRow = std::min(2 * K, V);
        const auto rowTop = scores.topk(perRow, 1, true, true);
        const at::Tensor rowScores = std::get<0>(rowTop).to(at::kCPU, at::kFloat).contiguous();
        const at::Tensor rowIds = std::get<1>(rowTop).to(at::kCPU).contiguous();
        TORCH_CHECK(K * perRow >= 2 * K, "beam search needs a vocabulary of at least 2 tokens");
        const auto rs = rowScores.accessor<float, 2>();
        const auto rid = rowIds.accessor<int64_t, 2>();
        std::vector<std::vector<double>> s(static_cast<size_t>(B));
        std::vector<std::vector<int64_t>> ids(static_cast<size_t>(B));
        for (int64_t b = 0; b < B; ++b) {
            // (score, index into the sample's K*V), in float as scores + running would be
            std::vector<std::pair<float, int64_t>> candidates;
            for (int64_t k = 0; k < K; ++k) {
                const float running = static_cast<float>(beamScores[static_cast<size_t>(b * K + k)]);
                for (int64_t r = 0; r < perRow; ++r)
                    candidates.emplace_back(rs[b * K + k][r] + running, k * V + rid[b * K + k][r]);
            }
            // best first; equal scores by index, as one topk over K*V would list them
            std::partial_sort(candidates.begin(), candidates.begin() + 2 * K, candidates.end(),
                [](const auto &x, const auto &y) { return x.first > y.first || (x.first == y.first && x.second < y.second); });
            for (int64_t r = 0; r < 2 * K; ++r) {
                s[static_cast<size_t>(b)].push_back(static_cast<double>(candidates[static_cast<size_t>(r)].first));
                ids[static_cast<size_t>(b)].push_back(candidates[static_cast<size_t>(r)].second);
            }
        }

        std::vector<int64_t> sourceRows(static_cast<size_t>(N), 0);
        std::vector<int64_t> nextTokens(static_cast<size_t>(N), t.padTokenId);
        std::vector<double> nextScores(static_cast<size_t>(N), 0.0);
        for (int64_t b = 0; b < B; ++b) {
            Hypotheses &h = hyps[static_cast<size_t>(b)];
            if (h.done) {
                // finished samples idle on <pad> from their first row
                for (int64_t k = 0; k < K; ++k)
                    sourceRows[static_cast<size_t>(b * K + k)] = b * K;
                continue;
            }
            int64_t slot = 0;
            for (int64_t rank = 0; rank < 2 * K && slot < K; ++rank) {
                const int64_t token = ids[b][rank] % V;
                const int64_t row = b * K + ids[b][rank] / V;
                if (token == t.eosTokenId) {
                    // </s> below the top K does not close a hypothesis
                    if (rank >= K)
                        continue;
                    h.add(rows[static_cast<size_t>(row)], s[b][rank], curLen, true, o);
                } else {
                    const size_t j = static_cast<size_t>(b * K + slot);
                    sourceRows[j] = row;
                    nextTokens[j] = token;
                    nextScores[j] = s[b][rank];
                    ++slot;
                }
            }
            h.done = h.isDone(s[b][0], curLen, o);
        }
        // the surviving beams' histories, extended
        std::vector<Row> extended(static_cast<size_t>(N));
        for (size_t j = 0; j < extended.size(); ++j) {
            extended[j] = rows[static_cast<size_t>(sourceRows[j])];
            extended[j].push_back(nextTokens[j]);
        }
        rows.swap(extended);
        beamScores = nextScores;
        if (o.useCache)
            cache.reorder(at::tensor(sourceRows, at::kLong).to(encoded.lastHiddenState.device()));
        if (std::all_of(hyps.begin(), hyps.end(), [](const Hypotheses &h) { return h.done; }))
            break;
    }

    // samples cut at max_length: their open beams compete as they are
    for (int64_t b = 0; b < B; ++b) {
        Hypotheses &h = hyps[static_cast<size_t>(b)];
        if (h.done)
            continue;
        for (int64_t k = 0; k < K; ++k) {
            const Row &r = rows[static_cast<size_t>(b * K + k)];
            h.add(r, beamScores[static_cast<size_t>(b * K + k)], static_cast<int64_t>(r.size()) - 1, false, o);
        }
    }
    std::vector<Row> best;
    std::vector<float> bestScores;
    for (const Hypotheses &h : hyps) {
        const auto it = std::max_element(h.entries.begin(), h.entries.end(),
            [](const Hypotheses::Entry &a, const Hypotheses::Entry &c) { return a.score < c.score; });
        Row r = it->tokens;
        if (it->closed && static_cast<int64_t>(r.size()) < maxLength)
            r.push_back(t.eosTokenId);
        best.push_back(std::move(r));
        bestScores.push_back(static_cast<float>(it->score));
    }
    GenerationResult result;
    result.sequences = toTensor(best, t.padTokenId);
    result.scores = at::tensor(bestScores, at::kFloat);
    return result;
}

} // namespace

namespace {
int64_t checkedMaxLength(Florence2ForConditionalGeneration &model, const GenerationOptions &o)
{
    TORCH_CHECK(o.numBeams >= 1, "num_beams must be at least 1, got ", o.numBeams);
    TORCH_CHECK(o.maxNewTokens >= 1, "max_new_tokens must be at least 1, got ", o.maxNewTokens);
    TORCH_CHECK(o.noRepeatNgramSize >= 0, "no_repeat_ngram_size must be >= 0, got ", o.noRepeatNgramSize);
    const TextConfig &t = model->config().text;
    const int64_t maxLength = 1 + o.maxNewTokens;
    // the decoder reads every token but the last: max_position_embeddings of them at most
    TORCH_CHECK(o.maxNewTokens <= t.maxPositionEmbeddings, "max_new_tokens ", o.maxNewTokens,
        " exceeds the model's ", t.maxPositionEmbeddings, " decoder positions");
    for (const auto &forced : {o.forcedBosTokenId, o.forcedEosTokenId})
        TORCH_CHECK(!forced || (*forced >= 0 && *forced < t.vocabSize), "forced token id ", forced.value_or(-1),
            " is outside the vocabulary of ", t.vocabSize);
    return maxLength;
}
} // namespace

GenerationResult generate(
    Florence2ForConditionalGeneration &model, const EncoderOutput &encoded, const GenerationOptions &o)
{
    const int64_t maxLength = checkedMaxLength(model, o);
    c10::InferenceMode inference;
    return o.numBeams == 1 ? greedySearch(model, encoded, o, maxLength) : runBeamSearch(model, encoded, o, maxLength);
}

GenerationResult beamSearch(
    Florence2ForConditionalGeneration &model, const EncoderOutput &encoded, const GenerationOptions &o)
{
    const int64_t maxLength = checkedMaxLength(model, o);
    c10::InferenceMode inference;
    return runBeamSearch(model, encoded, o, maxLength);
}

at::Tensor sequenceScores(Florence2ForConditionalGeneration &model, const EncoderOutput &encoded,
    const at::Tensor &sequences, const GenerationOptions &o)
{
    const TextConfig &t = model->config().text;
    const int64_t maxLength = 1 + o.maxNewTokens;
    c10::InferenceMode inference;
    const at::Device device = encoded.lastHiddenState.device();
    // position i predicts token i+1: [B, L-1, V] log-probabilities
    const at::Tensor seq = sequences.to(at::kCPU, at::kLong).contiguous();
    const at::Tensor logp
        = at::log_softmax(model->decode(seq.slice(1, 0, seq.size(1) - 1).to(device), encoded), -1).to(at::kCPU,
            at::kDouble);
    const auto ids = seq.accessor<int64_t, 2>();
    const auto lp = logp.accessor<double, 3>();
    std::vector<float> out;
    for (int64_t b = 0; b < seq.size(0); ++b) {
        double sum = 0.0;
        int64_t generated = 0;
        for (int64_t i = 1; i < seq.size(1); ++i) {
            // forced tokens score 0, as the forcing processors set them
            const bool forced = (o.forcedBosTokenId && i == 1) || (o.forcedEosTokenId && i == maxLength - 1);
            sum += forced ? 0.0 : lp[b][i - 1][ids[b][i]];
            generated = i;
            if (ids[b][i] == t.eosTokenId)
                break;
        }
        out.push_back(static_cast<float>(sum / std::pow(static_cast<double>(generated), o.lengthPenalty)));
    }
    return at::tensor(out, at::kFloat);
}

} // namespace fmw::florence2
