#pragma once
// The byte-level BPE model: vocabulary, ranked merges and the merge loop, with a cache of
// already-tokenized words. Works on raw bytes internally; vocabulary strings are in the
// byte-level alphabet (see ByteLevel). Thread-safe: the cache is guarded by a mutex.

#include "common/result.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fmw::text {

class BpeModel {
public:
    using Vocab = std::vector<std::pair<std::string, int>>; // token (byte-level) -> id
    using Merges = std::vector<std::pair<std::string, std::string>>; // in rank order

    // Errors (naming `source`) for duplicate ids, negative ids, and merges whose parts or
    // result are not in the vocabulary.
    static Result<std::shared_ptr<const BpeModel>> create(
        const Vocab &vocab, const Merges &merges, const std::string &source);

    // Appends the ids of one pre-token, given as raw UTF-8 bytes. Bytes whose character is
    // missing from the vocabulary are dropped (there is no unknown token in byte-level BPE).
    void tokenize(std::string_view raw, std::vector<int> *ids) const;

    std::optional<int> idOf(std::string_view byteLevelToken) const;
    // Vocabulary string of `id` (byte-level alphabet); nullptr for ids not in the vocabulary.
    const std::string *token(int id) const;
    // The bytes `id` decodes to: the inverse byte map of its string, or the string itself
    // when it holds characters outside the byte alphabet.
    const std::string *bytes(int id) const;
    size_t size() const { return m_byToken.size(); }

private:
    BpeModel() = default;
    void mergeWord(std::string_view raw, std::vector<int> *ids) const;

    struct MergeInfo {
        int rank;
        int merged;
    };
    static uint64_t pairKey(int a, int b)
    {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }

    std::unordered_map<std::string, int> m_byToken;
    std::vector<std::string> m_tokens; // by id; empty where no token has that id
    std::vector<std::string> m_bytes;
    std::vector<bool> m_present;
    std::unordered_map<uint64_t, MergeInfo> m_merges;
    int m_byteIds[256];

    mutable std::mutex m_cacheMutex;
    mutable std::unordered_map<std::string, std::vector<int>> m_cache;
};

} // namespace fmw::text
