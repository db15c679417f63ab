#pragma once
// Byte-level BPE tokenizer, equivalent to Hugging Face's BartTokenizerFast / RobertaTokenizerFast
// (Rust `tokenizers`) for Florence-2's tokenizer: added-token splitting, GPT-2
// pre-tokenization, byte-level BPE, <s>/</s> wrapping, and decoding with optional removal of
// special tokens and transformers' clean-up of tokenization spaces.
// Behaviour and its corner cases: ../shared/fixtures/florence2-tokenizer/NOTES.md.
// Cheap to copy (shared, immutable state); safe to use from several threads at once.

#include "common/result.h"
#include "engine/text/added_vocabulary.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fmw::text {

class BpeModel;

struct Encoding {
    std::vector<int> ids;
    // Token strings as HF's Encoding.tokens: vocabulary strings in the byte-level alphabet
    // ("Ġchest"), and for added tokens the matched text (" <mask>" when lstrip took a space).
    std::vector<std::string> tokens;
};

class BpeTokenizer {
public:
    // A HF `tokenizer.json` whose model is BPE with a ByteLevel pre-tokenizer, no normalizer,
    // and a RobertaProcessing/BertProcessing post-processor (or none). Truncation and padding
    // settings in the file are ignored, as transformers turns them off on every call.
    static Result<BpeTokenizer> fromTokenizerJson(const std::string &path);

    // GPT-2/BART file form: vocab.json + merges.txt (+ added_tokens.json, whose tokens count as
    // special, + tokenizer_config.json for `added_tokens_decoder` flags and
    // `clean_up_tokenization_spaces`). Empty paths are skipped. <s>, </s>, <pad>, <unk> and
    // <mask> (lstrip) are special tokens when in the vocabulary, as BartTokenizer sets them up.
    static Result<BpeTokenizer> fromVocabAndMerges(const std::string &vocabJson, const std::string &mergesTxt,
        const std::string &addedTokensJson = {}, const std::string &tokenizerConfigJson = {});

    // A model folder: tokenizer.json if present, otherwise vocab.json + merges.txt; plus
    // added_tokens.json and tokenizer_config.json when present.
    static Result<BpeTokenizer> fromDirectory(const std::string &dir);

    // Token ids of `text` (UTF-8; invalid bytes are read as U+FFFD), wrapped in <s> ... </s>
    // when addSpecialTokens.
    std::vector<int> encode(std::string_view text, bool addSpecialTokens = true) const;
    Encoding encodeWithTokens(std::string_view text, bool addSpecialTokens = true) const;

    // Text of `ids`. Unknown ids are dropped (as HF does); invalid UTF-8 produced by partial
    // byte tokens becomes U+FFFD per maximal invalid subsequence. The first overload applies
    // the clean-up setting of tokenizer_config.json (true when unspecified).
    std::string decode(const std::vector<int> &ids, bool skipSpecialTokens = false) const;
    std::string decode(
        const std::vector<int> &ids, bool skipSpecialTokens, bool cleanUpTokenizationSpaces) const;

    std::optional<int> tokenToId(std::string_view token) const;
    // Added-token content or vocabulary string (byte-level alphabet); empty for unknown ids.
    std::string idToToken(int id) const;
    bool isSpecial(int id) const;
    // Distinct ids of the BPE vocabulary and the added tokens (51289 for Florence-2).
    int vocabSize() const;

    int bosTokenId() const; // <s>, -1 if none
    int eosTokenId() const; // </s>, -1 if none
    int padTokenId() const; // <pad>, -1 if none
    bool cleanUpTokenizationSpaces() const;
    const AddedVocabulary &addedVocabulary() const;

    // transformers' `clean_up_tokenization`: " ." -> "." and the like, in upstream's order.
    static std::string cleanUpTokenization(std::string text);

private:
    struct State;
    explicit BpeTokenizer(std::shared_ptr<const State> state);
    void encodeInto(std::string_view text, bool addSpecialTokens, std::vector<int> *ids,
        std::vector<std::string> *tokens) const;

    std::shared_ptr<const State> m_state;
};

} // namespace fmw::text
