#pragma once
// Tokens added on top of the BPE vocabulary (`<s>`, `<loc_N>`, ...): they are matched in the
// raw text before pre-tokenization and map straight to their ids. Mirrors HF tokenizers'
// AddedVocabulary: leftmost-longest matching, first over the tokens with normalized=false,
// then over the normalized ones in the text left between matches; lstrip/rstrip absorb
// neighbouring white space; single_word requires non-word characters around the match.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fmw::text {

struct AddedToken {
    int id = -1;
    std::string content;
    bool special = true;
    bool lstrip = false;
    bool rstrip = false;
    bool singleWord = false;
    bool normalized = false;
};

class AddedVocabulary {
public:
    // A later token with the same content or id replaces the earlier one.
    void add(const AddedToken &token);

    // A piece of the text: an added token (id >= 0) or plain text to pre-tokenize (id -1).
    struct Piece {
        size_t begin = 0;
        size_t end = 0;
        int id = -1;
    };
    // Splits valid UTF-8 `text` into pieces covering it completely, in order.
    std::vector<Piece> split(std::string_view text) const;

    const AddedToken *byId(int id) const;
    std::optional<int> idOf(std::string_view content) const;
    size_t size() const { return m_tokens.size(); }
    bool empty() const { return m_tokens.empty(); }
    const std::vector<AddedToken> &tokens() const { return m_tokens; }

private:
    // Byte trie over the contents of one group of tokens.
    struct Trie {
        struct Node {
            std::vector<std::pair<unsigned char, int>> children; // sorted by byte
            int token = -1; // index into m_tokens of the token ending here
        };
        std::vector<Node> nodes;
        bool empty() const { return nodes.size() <= 1; }
        void insert(const std::string &s, int token);
        // Longest token starting at `pos`: its index and length, or -1.
        int longestAt(std::string_view text, size_t pos, size_t *len) const;
    };

    void rebuild();
    void splitWith(
        const Trie &trie, std::string_view text, size_t begin, size_t end, std::vector<Piece> *out) const;

    std::vector<AddedToken> m_tokens;
    std::unordered_map<std::string, size_t> m_byContent;
    std::unordered_map<int, size_t> m_byId;
    Trie m_raw; // normalized=false: matched first, on the raw text
    Trie m_normalized; // normalized=true: matched in what the first pass left
};

} // namespace fmw::text
