#include "engine/text/bpe_trainer.h"

#include "engine/text/byte_level.h"
#include "engine/text/utf8.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <set>
#include <tuple>
#include <unordered_map>

namespace fmw::text {

namespace {

using OrderedJson = nlohmann::ordered_json;

uint64_t pairKey(int a, int b)
{
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

// The merge loop over the counted pre-tokens (see the header for the rules). Pair counts live
// in a map and, for the choice of the next merge, in an ordered set keyed by
// (-count, left id, right id), kept exact on every change: its first element is the merge.
class MergeLoop {
public:
    MergeLoop(std::vector<std::vector<int>> words, std::vector<int64_t> counts)
        : m_words(std::move(words))
        , m_counts(std::move(counts))
    {
        for (size_t w = 0; w < m_words.size(); ++w)
            addPairs(w, +1);
    }

    // The most frequent pair (ties: smallest ids) and its count; false when no pair is left.
    bool best(int *a, int *b, int64_t *count) const
    {
        if (m_order.empty())
            return false;
        const auto &[negCount, left, right] = *m_order.begin();
        *a = left;
        *b = right;
        *count = -negCount;
        return true;
    }

    // Replaces every occurrence of (a, b) by `merged` and updates the pair counts.
    void merge(int a, int b, int merged)
    {
        const uint64_t key = pairKey(a, b);
        auto it = m_where.find(key);
        if (it == m_where.end())
            return;
        std::vector<size_t> candidates = std::move(it->second);
        m_where.erase(it);
        std::sort(candidates.begin(), candidates.end());
        candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
        for (size_t w : candidates) {
            std::vector<int> &symbols = m_words[w];
            bool present = false;
            for (size_t i = 0; i + 1 < symbols.size() && !present; ++i)
                present = symbols[i] == a && symbols[i + 1] == b;
            if (!present)
                continue; // a stale entry: an earlier merge consumed the pair here
            addPairs(w, -1);
            // Left to right, non-overlapping (tokenizers' Word::merge): "a a a" -> "aa a".
            std::vector<int> out;
            out.reserve(symbols.size());
            for (size_t i = 0; i < symbols.size(); ++i) {
                if (i + 1 < symbols.size() && symbols[i] == a && symbols[i + 1] == b) {
                    out.push_back(merged);
                    ++i;
                } else {
                    out.push_back(symbols[i]);
                }
            }
            symbols.swap(out);
            addPairs(w, +1);
        }
    }

private:
    // Adds (sign +1) or removes (-1) the pairs of word `w`, weighted by its count.
    void addPairs(size_t w, int sign)
    {
        const std::vector<int> &symbols = m_words[w];
        for (size_t i = 0; i + 1 < symbols.size(); ++i) {
            const int a = symbols[i];
            const int b = symbols[i + 1];
            adjust(a, b, sign * m_counts[w]);
            if (sign > 0) {
                std::vector<size_t> &where = m_where[pairKey(a, b)];
                if (where.empty() || where.back() != w)
                    where.push_back(w);
            }
        }
    }

    void adjust(int a, int b, int64_t delta)
    {
        int64_t &count = m_pairCounts[pairKey(a, b)];
        if (count > 0)
            m_order.erase({-count, a, b});
        count += delta;
        if (count > 0)
            m_order.insert({-count, a, b});
    }

    std::vector<std::vector<int>> m_words;
    std::vector<int64_t> m_counts;
    std::unordered_map<uint64_t, int64_t> m_pairCounts;
    std::unordered_map<uint64_t, std::vector<size_t>> m_where; // words that may hold the pair
    std::set<std::tuple<int64_t, int, int>> m_order;
};

OrderedJson addedTokenJson(const AddedToken &t)
{
    OrderedJson j;
    j["id"] = t.id;
    j["content"] = t.content;
    j["single_word"] = t.singleWord;
    j["lstrip"] = t.lstrip;
    j["rstrip"] = t.rstrip;
    j["normalized"] = t.normalized;
    j["special"] = t.special;
    return j;
}

} // namespace

BpeTrainer::BpeTrainer(BpeTrainerOptions options)
    : m_options(std::move(options))
{
    int id = 0;
    for (const std::string &content : m_options.addedTokens) {
        AddedToken t;
        t.id = id++;
        t.content = content;
        m_added.add(t);
    }
}

void BpeTrainer::feed(std::string_view text)
{
    std::string repaired;
    if (!isValidUtf8(text)) {
        repaired = toValidUtf8(text);
        text = repaired;
    }
    std::vector<std::pair<size_t, size_t>> ranges;
    for (const AddedVocabulary::Piece &piece : m_added.split(text)) {
        if (piece.id >= 0)
            continue;
        const std::string_view part = text.substr(piece.begin, piece.end - piece.begin);
        ranges.clear();
        ByteLevel::split(part, &ranges);
        for (const auto &[b, e] : ranges)
            ++m_wordCounts[ByteLevel::toByteLevel(part.substr(b, e - b))];
    }
}

void BpeTrainer::feed(const std::vector<std::string> &texts)
{
    for (const std::string &text : texts)
        feed(text);
}

Result<LearnedBpe> BpeTrainer::train() const
{
    const std::vector<std::string> &specials = m_options.specialTokens;
    const int minimum = static_cast<int>(specials.size()) + 256;
    if (m_options.vocabSize < minimum)
        return makeError(ErrorCode::InvalidArgument,
            "the BPE vocabulary size must be at least " + std::to_string(minimum) + " ("
                + std::to_string(specials.size()) + " special tokens + 256 byte symbols), got "
                + std::to_string(m_options.vocabSize));

    // 1. special tokens, 2. the byte alphabet sorted by code point
    std::vector<std::string> tokens;
    std::unordered_map<std::string, int> ids;
    for (const std::string &s : specials) {
        if (s.empty() || ids.count(s))
            return makeError(
                ErrorCode::InvalidArgument, "special tokens must be non-empty and distinct: '" + s + "'");
        ids.emplace(s, static_cast<int>(tokens.size()));
        tokens.push_back(s);
    }
    std::array<std::pair<char32_t, int>, 256> alphabet;
    for (int b = 0; b < 256; ++b)
        alphabet[b] = {ByteLevel::byteToChar(static_cast<unsigned char>(b)), b};
    std::sort(alphabet.begin(), alphabet.end());
    std::array<int, 256> byteSymbol {};
    for (const auto &[cp, byte] : alphabet) {
        std::string s;
        appendUtf8(s, cp);
        if (ids.count(s))
            return makeError(ErrorCode::InvalidArgument,
                "special token '" + s + "' collides with a byte symbol of the byte-level alphabet");
        byteSymbol[byte] = static_cast<int>(tokens.size());
        ids.emplace(s, static_cast<int>(tokens.size()));
        tokens.push_back(std::move(s));
    }

    // 3. the pre-tokens as byte symbols
    std::vector<std::vector<int>> words;
    std::vector<int64_t> counts;
    words.reserve(m_wordCounts.size());
    for (const auto &[word, count] : m_wordCounts) {
        std::string raw;
        ByteLevel::fromByteLevel(word, &raw); // always succeeds: feed() wrote it with toByteLevel
        std::vector<int> symbols;
        symbols.reserve(raw.size());
        for (char c : raw)
            symbols.push_back(byteSymbol[static_cast<unsigned char>(c)]);
        words.push_back(std::move(symbols));
        counts.push_back(count);
    }

    // 4. merges
    LearnedBpe out;
    MergeLoop loop(std::move(words), std::move(counts));
    const int64_t minFrequency = std::max<int64_t>(m_options.minFrequency, 1);
    int a = 0, b = 0;
    int64_t count = 0;
    while (static_cast<int>(tokens.size()) < m_options.vocabSize && loop.best(&a, &b, &count)) {
        if (count < minFrequency)
            break;
        std::string merged = tokens[a] + tokens[b];
        auto [it, inserted] = ids.emplace(merged, static_cast<int>(tokens.size()));
        if (inserted)
            tokens.push_back(merged);
        out.merges.emplace_back(tokens[a], tokens[b]);
        loop.merge(a, b, it->second);
    }

    out.vocab.reserve(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i)
        out.vocab.emplace_back(tokens[i], static_cast<int>(i));
    return out;
}

namespace florence2_tokens {

const std::vector<std::string> &florenceTokens()
{
    static const std::vector<std::string> tokens = [] {
        std::vector<std::string> t {"<od>", "</od>", "<ocr>", "</ocr>"};
        for (int i = 0; i < 1000; ++i)
            t.push_back("<loc_" + std::to_string(i) + ">");
        // "desciption" is upstream's spelling.
        for (const char *s :
            {"<cap>", "</cap>", "<ncap>", "</ncap>", "<dcap>", "</dcap>", "<grounding>", "</grounding>",
                "<seg>", "</seg>", "<sep>", "<region_cap>", "</region_cap>", "<region_to_desciption>",
                "</region_to_desciption>", "<proposal>", "</proposal>", "<poly>", "</poly>", "<and>"})
            t.emplace_back(s);
        return t;
    }();
    return tokens;
}

std::vector<AddedToken> addedTokens(int learnedVocabSize)
{
    std::vector<AddedToken> out;
    // BartTokenizer's own tokens: normalized, <mask> absorbs the white space before it.
    auto bart = [&](const std::string &content, int id, bool lstrip) {
        AddedToken t;
        t.id = id;
        t.content = content;
        t.lstrip = lstrip;
        t.normalized = true;
        out.push_back(t);
    };
    for (size_t i = 0; i < kSpecialTokens.size(); ++i)
        bart(kSpecialTokens[i], static_cast<int>(i), false);
    bart(kMaskToken, learnedVocabSize, true);
    // Florence2Processor's add_special_tokens(): special, not normalized.
    int id = learnedVocabSize + 1;
    for (const std::string &content : florenceTokens()) {
        AddedToken t;
        t.id = id++;
        t.content = content;
        t.normalized = false;
        out.push_back(t);
    }
    return out;
}

BpeTrainerOptions trainerOptions(int vocabSize, int64_t minFrequency)
{
    BpeTrainerOptions o;
    o.vocabSize = vocabSize;
    o.minFrequency = minFrequency;
    o.specialTokens = kSpecialTokens;
    for (const AddedToken &t : addedTokens(0))
        o.addedTokens.push_back(t.content);
    return o;
}

} // namespace florence2_tokens

std::string florence2TokenizerJson(const LearnedBpe &bpe)
{
    const int learned = static_cast<int>(bpe.vocab.size());
    OrderedJson root;
    root["version"] = "1.0";
    root["truncation"] = nullptr;
    root["padding"] = nullptr;
    OrderedJson added = OrderedJson::array();
    for (const AddedToken &t : florence2_tokens::addedTokens(learned))
        added.push_back(addedTokenJson(t));
    root["added_tokens"] = std::move(added);
    root["normalizer"] = nullptr;
    root["pre_tokenizer"]
        = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
    root["post_processor"] = {{"type", "RobertaProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 0}},
        {"trim_offsets", true}, {"add_prefix_space", false}};
    root["decoder"]
        = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};

    OrderedJson model;
    model["type"] = "BPE";
    model["dropout"] = nullptr;
    model["unk_token"] = nullptr;
    model["continuing_subword_prefix"] = "";
    model["end_of_word_suffix"] = "";
    model["fuse_unk"] = false;
    model["byte_fallback"] = false;
    OrderedJson vocab = OrderedJson::object();
    std::vector<std::pair<std::string, int>> byId(bpe.vocab.begin(), bpe.vocab.end());
    std::sort(byId.begin(), byId.end(), [](const auto &x, const auto &y) { return x.second < y.second; });
    for (const auto &[token, id] : byId)
        vocab[token] = id;
    vocab[florence2_tokens::kMaskToken] = learned; // BART keeps <mask> as the last vocabulary entry
    model["vocab"] = std::move(vocab);
    OrderedJson merges = OrderedJson::array();
    for (const auto &[a, b] : bpe.merges)
        merges.push_back(a + " " + b); // the form every tokenizers version reads
    model["merges"] = std::move(merges);
    root["model"] = std::move(model);
    return root.dump(2) + "\n";
}

std::string florence2TokenizerConfigJson(int modelMaxLength)
{
    OrderedJson j;
    j["tokenizer_class"] = "BartTokenizer";
    j["add_prefix_space"] = false;
    j["bos_token"] = "<s>";
    j["eos_token"] = "</s>";
    j["unk_token"] = "<unk>";
    j["sep_token"] = "</s>";
    j["cls_token"] = "<s>";
    j["pad_token"] = "<pad>";
    j["mask_token"] = "<mask>";
    j["errors"] = "replace";
    j["model_max_length"] = modelMaxLength;
    j["clean_up_tokenization_spaces"] = false;
    return j.dump(2) + "\n";
}

} // namespace fmw::text
