#include "evaluation/bleu.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace fmw::eval {

namespace detail {

namespace {

// The ASCII part of Python's str.isspace() (str.split() with no argument).
bool isPySpace(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

} // namespace

uint32_t Vocabulary::idOf(std::string_view word)
{
    const auto it = m_ids.try_emplace(word, static_cast<uint32_t>(m_ids.size() + 1)).first;
    return it->second;
}

void Vocabulary::splitWhitespace(std::string_view sentence, std::vector<uint32_t> *ids)
{
    ids->clear();
    size_t p = 0;
    while (p < sentence.size()) {
        while (p < sentence.size() && isPySpace(sentence[p]))
            ++p;
        const size_t begin = p;
        while (p < sentence.size() && !isPySpace(sentence[p]))
            ++p;
        if (p > begin)
            ids->push_back(idOf(sentence.substr(begin, p - begin)));
    }
}

void Vocabulary::splitSpace(std::string_view sentence, std::vector<uint32_t> *ids)
{
    ids->clear();
    size_t begin = 0;
    for (;;) {
        const size_t end = sentence.find(' ', begin);
        ids->push_back(idOf(sentence.substr(begin, end == std::string_view::npos ? end : end - begin)));
        if (end == std::string_view::npos)
            break;
        begin = end + 1;
    }
}

NGramIndex::NGramIndex()
{
    rehash(1024);
}

uint32_t NGramIndex::intern(uint32_t prefix, uint32_t word)
{
    const uint64_t key = (static_cast<uint64_t>(prefix) << 32) | word; // word >= 1, so key != 0
    const size_t mask = m_slots.size() - 1;
    for (size_t i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> m_shift);; i = (i + 1) & mask) {
        Slot &slot = m_slots[i];
        if (slot.key == key)
            return slot.value;
        if (slot.key == 0) {
            slot = {key, static_cast<uint32_t>(++m_count)};
            const uint32_t id = slot.value;
            if (m_count * 2 > m_slots.size())
                rehash(m_slots.size() * 2);
            return id;
        }
    }
}

void NGramIndex::clear()
{
    std::fill(m_slots.begin(), m_slots.end(), Slot {0, 0});
    m_count = 0;
}

// Power-of-two sizes, Fibonacci hashing, linear probing; at most half full.
void NGramIndex::rehash(size_t slots)
{
    std::vector<Slot> old(slots, Slot {0, 0});
    old.swap(m_slots);
    m_shift = 64;
    for (size_t s = slots; s > 1; s >>= 1)
        --m_shift;
    const size_t mask = slots - 1;
    for (const Slot &slot : old) {
        if (slot.key == 0)
            continue;
        size_t i = static_cast<size_t>((slot.key * 0x9E3779B97F4A7C15ull) >> m_shift);
        while (m_slots[i].key != 0)
            i = (i + 1) & mask;
        m_slots[i] = slot;
    }
}

const std::vector<NGramCount> &NGramCounter::count(const std::vector<uint32_t> &words, int maxN)
{
    m_counts.clear();
    if (++m_generation == 0) { // wrapped: forget every stamp
        std::fill(m_stamp.begin(), m_stamp.end(), 0);
        m_generation = 1;
    }
    m_prev.assign(words.size(), 0);
    for (int k = 1; k <= maxN && static_cast<size_t>(k) <= words.size(); ++k) {
        const size_t grams = words.size() - static_cast<size_t>(k) + 1;
        m_cur.resize(grams);
        for (size_t i = 0; i < grams; ++i)
            m_cur[i] = m_index.intern(m_prev[i], words[i + static_cast<size_t>(k) - 1]);
        if (m_stamp.size() <= m_index.size()) {
            m_stamp.resize(m_index.size() * 2 + 1, 0);
            m_pos.resize(m_stamp.size(), 0);
        }
        for (size_t i = 0; i < grams; ++i) {
            const uint32_t id = m_cur[i];
            if (m_stamp[id] == m_generation) {
                ++m_counts[m_pos[id]].count;
            } else {
                m_stamp[id] = m_generation;
                m_pos[id] = static_cast<uint32_t>(m_counts.size());
                m_counts.push_back({id, static_cast<uint32_t>(k), 1});
            }
        }
        m_prev.swap(m_cur);
    }
    return m_counts;
}

} // namespace detail

namespace {

constexpr int kN = 4;
constexpr double kTiny = 1e-15; // upstream: "so that if guess is 0 still return 0"
constexpr double kSmall = 1e-9;

// Upstream's cook_test() result for one pair.
struct Comps {
    long long testlen = 0;
    long long reflen = 0;
    std::array<long long, kN> guess {};
    std::array<long long, kN> correct {};
};

// Scratch buffers and interning tables shared by the pairs of one call.
struct Workspace {
    detail::Vocabulary vocab;
    detail::NGramCounter counter;
    std::vector<uint32_t> words;
    std::vector<detail::NGramCount> test;
    std::vector<int> maxRef;

    const std::vector<detail::NGramCount> &count(std::string_view sentence)
    {
        vocab.splitWhitespace(sentence, &words);
        return counter.count(words, kN);
    }
};

Comps cookPair(Workspace &ws, const TextPair &pair)
{
    if (pair.references.empty())
        throw std::invalid_argument("bleu: a prediction has no reference");
    // n-gram ids only need to agree within one pair: a small per-pair table stays in cache.
    ws.counter.index().clear();
    ws.test = ws.count(pair.prediction);
    Comps c;
    c.testlen = static_cast<long long>(ws.words.size());
    ws.maxRef.assign(ws.test.size(), 0);
    long long bestDiff = -1;
    for (const std::string &reference : pair.references) {
        const std::vector<detail::NGramCount> &ref = ws.count(reference);
        // "closest": min over (|l - testlen|, l), i.e. ties go to the shorter reference.
        const auto l = static_cast<long long>(ws.words.size());
        const long long diff = std::llabs(l - c.testlen);
        if (bestDiff < 0 || diff < bestDiff || (diff == bestDiff && l < c.reflen)) {
            bestDiff = diff;
            c.reflen = l;
        }
        for (size_t i = 0; i < ws.test.size(); ++i) {
            const int j = ws.counter.find(ws.test[i].id);
            if (j >= 0)
                ws.maxRef[i] = std::max(ws.maxRef[i], ref[static_cast<size_t>(j)].count);
        }
    }
    for (int k = 0; k < kN; ++k)
        c.guess[k] = std::max<long long>(0, c.testlen - k);
    for (size_t i = 0; i < ws.test.size(); ++i)
        c.correct[ws.test[i].n - 1] += std::min(ws.maxRef[i], ws.test[i].count);
    return c;
}

std::array<double, kN> score(const std::array<long long, kN> &correct, const std::array<long long, kN> &guess,
    long long testlen, long long reflen)
{
    std::array<double, kN> out {};
    double product = 1.0;
    for (int k = 0; k < kN; ++k) {
        product *= (static_cast<double>(correct[k]) + kTiny) / (static_cast<double>(guess[k]) + kSmall);
        out[k] = std::pow(product, 1.0 / (k + 1));
    }
    const double ratio = (static_cast<double>(testlen) + kTiny) / (static_cast<double>(reflen) + kSmall);
    if (ratio < 1) {
        const double bp = std::exp(1 - 1 / ratio);
        for (double &v : out)
            v *= bp;
    }
    return out;
}

} // namespace

BleuScores bleu(const std::vector<TextPair> &pairs, TextInput input)
{
    if (input == TextInput::Raw)
        return bleu(tokenizePairs(pairs), TextInput::Tokenized);

    BleuScores result;
    result.perSample.reserve(pairs.size());
    Workspace ws;
    Comps total;
    for (const TextPair &pair : pairs) {
        const Comps c = cookPair(ws, pair);
        result.perSample.push_back(score(c.correct, c.guess, c.testlen, c.reflen));
        total.testlen += c.testlen;
        total.reflen += c.reflen;
        for (int k = 0; k < kN; ++k) {
            total.guess[k] += c.guess[k];
            total.correct[k] += c.correct[k];
        }
    }
    if (!pairs.empty())
        result.corpus = score(total.correct, total.guess, total.testlen, total.reflen);
    return result;
}

std::array<double, 4> sentenceBleu(const TextPair &pair, TextInput input)
{
    return bleu({pair}, input).perSample.front();
}

} // namespace fmw::eval
