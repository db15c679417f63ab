#include "evaluation/word_diff.h"

#include <algorithm>
#include <cstdint>

namespace fmw::eval {

namespace {

std::vector<std::string> splitWords(const std::string &text)
{
    std::vector<std::string> words;
    std::string current;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            if (!current.empty())
                words.push_back(std::move(current));
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty())
        words.push_back(std::move(current));
    return words;
}

constexpr size_t kMaxCells = 4'000'000;

} // namespace

std::vector<DiffOp> diffWords(const std::string &reference, const std::string &generated)
{
    const std::vector<std::string> a = splitWords(reference);
    const std::vector<std::string> b = splitWords(generated);
    std::vector<DiffOp> ops;

    size_t head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head])
        ++head;
    size_t tail = 0;
    while (
        tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
        ++tail;
    for (size_t i = 0; i < head; ++i)
        ops.push_back({DiffOp::Kind::Equal, a[i]});

    const size_t n = a.size() - head - tail;
    const size_t m = b.size() - head - tail;
    if (n > 0 && m > 0 && (n + 1) * (m + 1) <= kMaxCells) {
        // lcs[i][j]: LCS length of a[head+i..] and b[head+j..] (suffix table, so the walk
        // below goes forward).
        std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
        auto at = [&](size_t i, size_t j) -> uint32_t & { return lcs[i * (m + 1) + j]; };
        for (size_t i = n; i-- > 0;) {
            for (size_t j = m; j-- > 0;)
                at(i, j) = a[head + i] == b[head + j] ? at(i + 1, j + 1) + 1
                                                      : std::max(at(i + 1, j), at(i, j + 1));
        }
        size_t i = 0, j = 0;
        while (i < n && j < m) {
            if (a[head + i] == b[head + j]) {
                ops.push_back({DiffOp::Kind::Equal, a[head + i]});
                ++i;
                ++j;
            } else if (at(i + 1, j) >= at(i, j + 1)) {
                ops.push_back({DiffOp::Kind::Removed, a[head + i++]});
            } else {
                ops.push_back({DiffOp::Kind::Added, b[head + j++]});
            }
        }
        for (; i < n; ++i)
            ops.push_back({DiffOp::Kind::Removed, a[head + i]});
        for (; j < m; ++j)
            ops.push_back({DiffOp::Kind::Added, b[head + j]});
    } else {
        for (size_t i = 0; i < n; ++i)
            ops.push_back({DiffOp::Kind::Removed, a[head + i]});
        for (size_t j = 0; j < m; ++j)
            ops.push_back({DiffOp::Kind::Added, b[head + j]});
    }

    for (size_t i = a.size() - tail; i < a.size(); ++i)
        ops.push_back({DiffOp::Kind::Equal, a[i]});
    return ops;
}

std::string htmlEscape(const std::string &text)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string diffHtml(const std::vector<DiffOp> &ops, bool referenceSide)
{
    const DiffOp::Kind shown = referenceSide ? DiffOp::Kind::Removed : DiffOp::Kind::Added;
    std::string html;
    bool first = true;
    for (const DiffOp &op : ops) {
        if (op.kind != DiffOp::Kind::Equal && op.kind != shown)
            continue;
        if (!first)
            html += ' ';
        first = false;
        if (op.kind == DiffOp::Kind::Equal) {
            html += htmlEscape(op.word);
        } else if (referenceSide) {
            html += "<span class=\"removed\" style=\"background-color:#f8c8c8;color:#5a0000;text-decoration:line-through\">"
                + htmlEscape(op.word) + "</span>";
        } else {
            html += "<span class=\"added\" style=\"background-color:#c8f0c8;color:#003a00\">" + htmlEscape(op.word)
                + "</span>";
        }
    }
    return html;
}

} // namespace fmw::eval
