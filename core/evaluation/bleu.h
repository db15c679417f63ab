#pragma once
// BLEU-1..4 exactly as pycocoevalcap's Bleu(4) (bleu/bleu_scorer.py, compute_score(option="closest")):
//  - n-gram matches clipped by the maximum count over the pair's references;
//  - brevity penalty with the "closest" reference length (ties -> the shorter reference), applied
//    when (testlen + 1e-15) / (reflen + 1e-9) < 1 as exp(1 - 1/ratio);
//  - BLEU-k = (prod_{i<=k} (correct_i + 1e-15) / (guess_i + 1e-9))^(1/k), so a zero match count gives
//    a tiny, not a zero, score, as upstream;
//  - corpus score from the summed counts and lengths of all pairs; per-sample scores are
//    upstream's `score_list` (each pair scored alone, same formula).
// Input sentences are split on whitespace like Python's str.split().

#include "evaluation/text_tokenizer.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fmw::eval {

struct BleuScores {
    std::array<double, 4> corpus {}; // BLEU-1..4 over all pairs
    std::vector<std::array<double, 4>> perSample; // BLEU-1..4 of each pair, in input order
};

// Throws std::invalid_argument when a pair has no reference (upstream asserts); no pairs give
// empty per-sample scores and corpus 0.
BleuScores bleu(const std::vector<TextPair> &pairs, TextInput input = TextInput::Tokenized);
// One pair's BLEU-1..4 (the same as its perSample entry in any corpus).
std::array<double, 4> sentenceBleu(const TextPair &pair, TextInput input = TextInput::Tokenized);

namespace detail {

// Internals shared with rouge.cpp and cider.cpp, not an API.
// An n-gram is interned as (id of its (n-1)-gram prefix, word id) -> id, so every n-gram costs one
// lookup of a 64-bit key and compares as one integer.
class NGramIndex {
public:
    NGramIndex();
    // prefix 0 = the empty prefix (unigrams); word ids start at 1; returned ids start at 1.
    uint32_t intern(uint32_t prefix, uint32_t word);
    size_t size() const { return m_count; }
    // Forgets every n-gram, keeping the memory (per-pair use).
    void clear();

private:
    struct Slot {
        uint64_t key; // 0 = empty
        uint32_t value;
    };
    void rehash(size_t slots);
    std::vector<Slot> m_slots;
    size_t m_count = 0;
    int m_shift = 0;
};

struct NGramCount {
    uint32_t id = 0;
    uint32_t n = 0; // 1..4
    int count = 0;
};

// Interns words for one scoring call; the views must outlive it.
class Vocabulary {
public:
    // Python str.split(): runs of whitespace separate, no empty words.
    void splitWhitespace(std::string_view sentence, std::vector<uint32_t> *ids);
    // Python str.split(" "): every single space separates, empty words included.
    void splitSpace(std::string_view sentence, std::vector<uint32_t> *ids);

private:
    uint32_t idOf(std::string_view word);
    std::unordered_map<std::string_view, uint32_t> m_ids;
};

// Upstream's precook() for one sentence at a time: n-gram counts in upstream's dict order (by n,
// then first occurrence), with a dense id -> position lookup instead of sorting or hashing twice.
class NGramCounter {
public:
    // The result stays valid until the next call.
    const std::vector<NGramCount> &count(const std::vector<uint32_t> &words, int maxN = 4);
    // Position of n-gram `id` in the last result, or -1.
    int find(uint32_t id) const
    {
        return id < m_stamp.size() && m_stamp[id] == m_generation ? static_cast<int>(m_pos[id]) : -1;
    }
    NGramIndex &index() { return m_index; }

private:
    NGramIndex m_index;
    std::vector<uint32_t> m_prev;
    std::vector<uint32_t> m_cur;
    std::vector<uint32_t> m_stamp;
    std::vector<uint32_t> m_pos;
    uint32_t m_generation = 0;
    std::vector<NGramCount> m_counts;
};

} // namespace detail

} // namespace fmw::eval
