#pragma once
// Learns a byte-level BPE vocabulary from example texts, as Hugging Face `tokenizers`' BpeTrainer
// does behind a ByteLevel pre-tokenizer (ByteLevelBPETokenizer.train), and writes the result as a
// Florence-2-shaped tokenizer.json that BpeTokenizer and HF `tokenizers` both load.
//
// Training: texts are cut at the added tokens first (they never reach the BPE model when
// encoding, so their pieces would only waste merges; HF's trainer does not cut them), each
// piece is split by the GPT-2 pattern (ByteLevel::split) and mapped to the byte alphabet, and
// equal pre-tokens are counted. Symbol ids: the special tokens 0..k-1, then the 256 byte
// symbols in code-point order of their characters (HF's compute_alphabet with
// ByteLevel.alphabet()), then each new symbol when first formed. Then, until the vocabulary
// has `vocabSize` entries: take the adjacent pair with the highest count (overlapping
// occurrences counted, weighted by the pre-token's frequency), ties going to the smallest
// (left id, right id), exactly HF's Merge ordering; stop if its count is below minFrequency;
// record the merge and replace every non-overlapping occurrence, left to right, in every
// pre-token. A merge whose result already exists (the same string reached by another split)
// reuses that id, as HF does. Unlike HF, whose lazy queue can merge a pair in only some words
// and learn it again later, every occurrence is merged at once, so no merge repeats; on corpora
// without that quirk the merges equal HF's (checked by hand against tokenizers 0.23 on the demo texts).

#include "common/result.h"
#include "engine/text/added_vocabulary.h"
#include "engine/text/bpe_model.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fmw::text {

struct BpeTrainerOptions {
    // Entries of the learned vocabulary: special tokens + 256 byte symbols + merged symbols
    // (HF BpeTrainer's vocab_size). Training may stop earlier, see minFrequency.
    int vocabSize = 660;
    // A pair seen fewer times than this is never merged (ByteLevelBPETokenizer's default 2).
    int64_t minFrequency = 2;
    // Ids 0.. of the vocabulary, in this order; never merged.
    std::vector<std::string> specialTokens {"<s>", "<pad>", "</s>", "<unk>"};
    // Text equal to one of these is cut out before pre-tokenization (leftmost-longest).
    std::vector<std::string> addedTokens;
};

// A learned byte-level BPE model, in the forms tokenizer.json stores.
struct LearnedBpe {
    BpeModel::Vocab vocab; // byte-level token -> id, ids 0..n-1 in id order
    BpeModel::Merges merges; // in rank order
};

class BpeTrainer {
public:
    explicit BpeTrainer(BpeTrainerOptions options = {});

    // Counts the pre-tokens of one text (UTF-8; invalid bytes read as U+FFFD, as encoding does).
    void feed(std::string_view text);
    void feed(const std::vector<std::string> &texts);

    // Pre-tokens fed so far (byte-level alphabet) with their counts.
    const std::map<std::string, int64_t> &wordCounts() const { return m_wordCounts; }

    // Learns the merges. InvalidArgument when vocabSize cannot hold the special tokens and the
    // 256 byte symbols, or a special token is empty or repeated.
    Result<LearnedBpe> train() const;

private:
    BpeTrainerOptions m_options;
    AddedVocabulary m_added;
    std::map<std::string, int64_t> m_wordCounts; // ordered: training never depends on hashing
};

// Florence-2's tokenizer layout (BartTokenizer + Florence2Processor's tokens), as in
// ../shared/fixtures/florence2-tokenizer: <s> <pad> </s> <unk> are ids 0..3 (the learned
// vocabulary's special tokens), <mask> (lstrip) ends the BPE vocabulary, then the 1024 Florence
// tokens <od> </od> <ocr> </ocr> <loc_0>..<loc_999> <cap> ... <and> follow.
namespace florence2_tokens {

inline const std::vector<std::string> kSpecialTokens {"<s>", "<pad>", "</s>", "<unk>"};
inline const char *const kMaskToken = "<mask>";

// The 1024 tokens Florence2Processor adds, in its order.
const std::vector<std::string> &florenceTokens();

// All 1029 added tokens of a Florence-2 tokenizer whose learned vocabulary (specials, bytes and
// merges, without <mask>) has `learnedVocabSize` entries: ids and flags as in the real one.
std::vector<AddedToken> addedTokens(int learnedVocabSize);

// BpeTrainerOptions for Florence-2: its special tokens, and every added token cut out.
BpeTrainerOptions trainerOptions(int vocabSize, int64_t minFrequency = 2);

} // namespace florence2_tokens

// The HF tokenizer.json of a Florence-2 tokenizer around `bpe` (learned with
// florence2_tokens::trainerOptions): model BPE (vocab + <mask>, merges as "a b"), ByteLevel
// pre-tokenizer (no prefix space) and decoder, RobertaProcessing (<s> ... </s>), no normalizer,
// truncation or padding. Deterministic: the same `bpe` gives the same bytes.
std::string florence2TokenizerJson(const LearnedBpe &bpe);

// tokenizer_config.json for it: BartTokenizer, its special tokens, and
// clean_up_tokenization_spaces false, so that decode(encode(text)) == text for every text.
std::string florence2TokenizerConfigJson(int modelMaxLength);

} // namespace fmw::text
