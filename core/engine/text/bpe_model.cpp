#include "engine/text/bpe_model.h"

#include "engine/text/byte_level.h"
#include "engine/text/utf8.h"

#include <queue>

namespace fmw::text {

namespace {

// Words longer than this are merged every time rather than cached (as HF tokenizers does),
// and the cache is emptied when it reaches kMaxCacheEntries.
constexpr size_t kMaxCachedWordBytes = 256;
constexpr size_t kMaxCacheEntries = 200000;

} // namespace

Result<std::shared_ptr<const BpeModel>> BpeModel::create(
    const Vocab &vocab, const Merges &merges, const std::string &source)
{
    std::shared_ptr<BpeModel> m(new BpeModel());
    int maxId = -1;
    for (const auto &[tok, id] : vocab) {
        if (id < 0)
            return makeError(ErrorCode::Parse,
                "vocabulary entry '" + tok + "' has a negative id " + std::to_string(id), source);
        maxId = std::max(maxId, id);
    }
    m->m_tokens.resize(static_cast<size_t>(maxId + 1));
    m->m_bytes.resize(static_cast<size_t>(maxId + 1));
    m->m_present.assign(static_cast<size_t>(maxId + 1), false);
    m->m_byToken.reserve(vocab.size());
    for (const auto &[tok, id] : vocab) {
        if (m->m_present[id])
            return makeError(ErrorCode::Parse,
                "vocabulary ids must be unique: " + std::to_string(id) + " is used by '" + m->m_tokens[id]
                    + "' and '" + tok + "'",
                source);
        m->m_present[id] = true;
        m->m_tokens[id] = tok;
        if (!ByteLevel::fromByteLevel(tok, &m->m_bytes[id]))
            m->m_bytes[id] = tok;
        m->m_byToken.emplace(tok, id);
    }
    for (int b = 0; b < 256; ++b) {
        std::string ch;
        appendUtf8(ch, ByteLevel::byteToChar(static_cast<unsigned char>(b)));
        auto it = m->m_byToken.find(ch);
        m->m_byteIds[b] = it == m->m_byToken.end() ? -1 : it->second;
    }
    m->m_merges.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const auto &[a, b] = merges[rank];
        auto ia = m->m_byToken.find(a);
        auto ib = m->m_byToken.find(b);
        auto im = m->m_byToken.find(a + b);
        const std::string which = "merge " + std::to_string(rank) + " ('" + a + " " + b + "')";
        if (ia == m->m_byToken.end() || ib == m->m_byToken.end())
            return makeError(ErrorCode::Parse, which + " uses a token that is not in the vocabulary", source);
        if (im == m->m_byToken.end())
            return makeError(ErrorCode::Parse,
                which + " produces '" + a + b + "', which is not in the vocabulary", source);
        // A repeated pair takes its last rank, as in HF tokenizers and GPT-2's dict().
        m->m_merges[pairKey(ia->second, ib->second)] = MergeInfo {static_cast<int>(rank), im->second};
    }
    return std::shared_ptr<const BpeModel>(std::move(m));
}

std::optional<int> BpeModel::idOf(std::string_view byteLevelToken) const
{
    auto it = m_byToken.find(std::string(byteLevelToken));
    if (it == m_byToken.end())
        return std::nullopt;
    return it->second;
}

const std::string *BpeModel::token(int id) const
{
    if (id < 0 || static_cast<size_t>(id) >= m_present.size() || !m_present[id])
        return nullptr;
    return &m_tokens[id];
}

const std::string *BpeModel::bytes(int id) const
{
    if (id < 0 || static_cast<size_t>(id) >= m_present.size() || !m_present[id])
        return nullptr;
    return &m_bytes[id];
}

void BpeModel::tokenize(std::string_view raw, std::vector<int> *ids) const
{
    if (raw.size() == 1) {
        const int id = m_byteIds[static_cast<unsigned char>(raw[0])];
        if (id >= 0)
            ids->push_back(id);
        return;
    }
    if (raw.size() > kMaxCachedWordBytes) {
        mergeWord(raw, ids);
        return;
    }
    std::string key(raw);
    {
        std::lock_guard<std::mutex> lock(m_cacheMutex);
        auto it = m_cache.find(key);
        if (it != m_cache.end()) {
            ids->insert(ids->end(), it->second.begin(), it->second.end());
            return;
        }
    }
    std::vector<int> word;
    mergeWord(raw, &word);
    ids->insert(ids->end(), word.begin(), word.end());
    std::lock_guard<std::mutex> lock(m_cacheMutex);
    if (m_cache.size() >= kMaxCacheEntries)
        m_cache.clear();
    m_cache.emplace(std::move(key), std::move(word));
}

// Merges like HF tokenizers' Word::merge_all: a min-heap of candidate merges ordered by
// (rank, position), stale entries skipped when popped. This merges every non-overlapping
// occurrence of the best pair left to right, as GPT-2's loop does, in O(n log n).
void BpeModel::mergeWord(std::string_view raw, std::vector<int> *ids) const
{
    struct Symbol {
        int id;
        int prev;
        int next;
        bool alive;
    };
    struct Candidate {
        int rank;
        int pos;
        int merged;
        bool operator>(const Candidate &o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };

    std::vector<Symbol> syms;
    syms.reserve(raw.size());
    for (char c : raw) {
        const int id = m_byteIds[static_cast<unsigned char>(c)];
        if (id < 0)
            continue;
        const int idx = static_cast<int>(syms.size());
        syms.push_back({id, idx - 1, idx + 1, true});
    }
    if (syms.empty())
        return;
    syms.back().next = -1;

    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
    auto consider = [&](int left) {
        const int right = syms[left].next;
        if (right < 0)
            return;
        auto it = m_merges.find(pairKey(syms[left].id, syms[right].id));
        if (it != m_merges.end())
            queue.push({it->second.rank, left, it->second.merged});
    };
    for (int i = 0; i + 1 < static_cast<int>(syms.size()); ++i)
        consider(i);

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol &left = syms[top.pos];
        if (!left.alive || left.next < 0)
            continue;
        Symbol &right = syms[left.next];
        auto it = m_merges.find(pairKey(left.id, right.id));
        if (it == m_merges.end() || it->second.merged != top.merged)
            continue;
        left.id = top.merged;
        right.alive = false;
        left.next = right.next;
        if (left.next >= 0)
            syms[left.next].prev = top.pos;
        if (left.prev >= 0)
            consider(left.prev);
        consider(top.pos);
    }
    for (int i = 0; i >= 0; i = syms[i].next)
        ids->push_back(syms[i].id);
}

} // namespace fmw::text
