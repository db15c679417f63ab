#include "engine/text/added_vocabulary.h"

#include "engine/text/unicode_classes.h"
#include "engine/text/utf8.h"

#include <algorithm>

namespace fmw::text {

namespace {

// Code point ending right before byte `pos` of valid UTF-8 `s` (pos > 0).
char32_t codePointBefore(std::string_view s, size_t pos, size_t *start)
{
    size_t p = pos - 1;
    while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80)
        --p;
    size_t len = 0;
    *start = p;
    return decodeUtf8At(s, p, &len);
}

bool isWordChar(char32_t cp)
{
    const CharClass c = charClass(cp);
    return c == CharClass::Letter || c == CharClass::Number || cp == U'_';
}

} // namespace

void AddedVocabulary::Trie::insert(const std::string &s, int token)
{
    if (nodes.empty())
        nodes.emplace_back();
    int node = 0;
    for (char ch : s) {
        const auto b = static_cast<unsigned char>(ch);
        auto &children = nodes[node].children;
        auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(b, -1));
        if (it != children.end() && it->first == b) {
            node = it->second;
            continue;
        }
        const int next = static_cast<int>(nodes.size());
        children.insert(it, {b, next});
        nodes.emplace_back();
        node = next;
    }
    nodes[node].token = token;
}

int AddedVocabulary::Trie::longestAt(std::string_view text, size_t pos, size_t *len) const
{
    int best = -1;
    int node = 0;
    for (size_t p = pos; p < text.size(); ++p) {
        const auto b = static_cast<unsigned char>(text[p]);
        const auto &children = nodes[node].children;
        auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(b, -1));
        if (it == children.end() || it->first != b)
            break;
        node = it->second;
        if (nodes[node].token >= 0) {
            best = nodes[node].token;
            *len = p + 1 - pos;
        }
    }
    return best;
}

void AddedVocabulary::add(const AddedToken &token)
{
    auto byContent = m_byContent.find(token.content);
    auto byId = m_byId.find(token.id);
    if (byContent != m_byContent.end()) {
        m_byId.erase(m_tokens[byContent->second].id);
        m_tokens[byContent->second] = token;
        m_byId[token.id] = byContent->second;
    } else if (byId != m_byId.end()) {
        m_byContent.erase(m_tokens[byId->second].content);
        m_tokens[byId->second] = token;
        m_byContent[token.content] = byId->second;
    } else {
        // A new token only extends its trie; replacements rebuild both.
        const int index = static_cast<int>(m_tokens.size());
        m_byContent[token.content] = m_tokens.size();
        m_byId[token.id] = m_tokens.size();
        m_tokens.push_back(token);
        if (m_raw.nodes.empty())
            rebuild();
        else if (!token.content.empty())
            (token.normalized ? m_normalized : m_raw).insert(token.content, index);
        return;
    }
    rebuild();
}

void AddedVocabulary::rebuild()
{
    m_raw = Trie();
    m_normalized = Trie();
    m_raw.nodes.emplace_back();
    m_normalized.nodes.emplace_back();
    for (size_t i = 0; i < m_tokens.size(); ++i) {
        if (m_tokens[i].content.empty())
            continue;
        (m_tokens[i].normalized ? m_normalized : m_raw).insert(m_tokens[i].content, static_cast<int>(i));
    }
}

const AddedToken *AddedVocabulary::byId(int id) const
{
    auto it = m_byId.find(id);
    return it == m_byId.end() ? nullptr : &m_tokens[it->second];
}

std::optional<int> AddedVocabulary::idOf(std::string_view content) const
{
    auto it = m_byContent.find(std::string(content));
    if (it == m_byContent.end())
        return std::nullopt;
    return m_tokens[it->second].id;
}

void AddedVocabulary::splitWith(
    const Trie &trie, std::string_view text, size_t begin, size_t end, std::vector<Piece> *out) const
{
    const std::string_view part = text.substr(0, end);
    size_t textStart = begin; // start of the plain text not yet emitted
    size_t pos = begin;
    while (pos < end) {
        size_t len = 0;
        const int index = trie.longestAt(part, pos, &len);
        if (index < 0) {
            ++pos;
            continue;
        }
        const AddedToken &tok = m_tokens[static_cast<size_t>(index)];
        size_t start = pos;
        size_t stop = pos + len;
        if (tok.singleWord) {
            size_t prevStart = 0;
            const bool wordBefore = start > 0 && isWordChar(codePointBefore(text, start, &prevStart));
            size_t cpLen = 0;
            const bool wordAfter = stop < text.size() && isWordChar(decodeUtf8At(text, stop, &cpLen));
            if (wordBefore || wordAfter) {
                pos = stop;
                continue;
            }
        }
        if (tok.lstrip) {
            // Absorb white space to the left, but not what an earlier match already took.
            while (start > textStart) {
                size_t prevStart = 0;
                if (!isUnicodeWhitespace(codePointBefore(text, start, &prevStart)))
                    break;
                start = prevStart;
            }
        }
        if (tok.rstrip) {
            while (stop < end) {
                size_t cpLen = 0;
                if (!isUnicodeWhitespace(decodeUtf8At(text, stop, &cpLen)))
                    break;
                stop += cpLen;
            }
        }
        if (textStart < start)
            out->push_back({textStart, start, -1});
        out->push_back({start, stop, tok.id});
        textStart = stop;
        pos = stop;
    }
    if (textStart < end)
        out->push_back({textStart, end, -1});
}

std::vector<AddedVocabulary::Piece> AddedVocabulary::split(std::string_view text) const
{
    std::vector<Piece> first;
    if (m_raw.empty())
        first.push_back({0, text.size(), -1});
    else
        splitWith(m_raw, text, 0, text.size(), &first);
    if (m_normalized.empty())
        return first;
    std::vector<Piece> out;
    out.reserve(first.size());
    for (const Piece &p : first) {
        if (p.id >= 0)
            out.push_back(p);
        else
            splitWith(m_normalized, text, p.begin, p.end, &out);
    }
    return out;
}

} // namespace fmw::text
