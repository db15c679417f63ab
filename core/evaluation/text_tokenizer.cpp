#include "evaluation/text_tokenizer.h"

#include <algorithm>
#include <cstring>

namespace fmw::eval {

namespace {

// Character classes. Special UTF-8 punctuation is recognised explicitly; any other non-ASCII
// code point counts as a letter (PTBLexer's LETTER is mostly Unicode letters).
enum class Special { None, Space, Quote, Apostrophe, Dash, Ellipsis };

Special specialAt(std::string_view s, size_t p, size_t *len)
{
    const auto b0 = static_cast<unsigned char>(s[p]);
    if (b0 < 0x80)
        return Special::None;
    if (b0 == 0xC2 && p + 1 < s.size()) {
        const auto b1 = static_cast<unsigned char>(s[p + 1]);
        *len = 2;
        if (b1 == 0xA0)
            return Special::Space;
        if (b1 == 0x92) // cp1252 right single quote seen as C1 control
            return Special::Apostrophe;
        if (b1 == 0x91 || b1 == 0x93 || b1 == 0x94)
            return Special::Quote;
        if (b1 == 0x85)
            return Special::Ellipsis;
        return Special::None;
    }
    if (b0 == 0xE2 && p + 2 < s.size() && static_cast<unsigned char>(s[p + 1]) == 0x80) {
        const auto b2 = static_cast<unsigned char>(s[p + 2]);
        *len = 3;
        if (b2 <= 0x8A || b2 == 0xAF)
            return Special::Space;
        if (b2 == 0x99)
            return Special::Apostrophe;
        if (b2 == 0x98 || b2 == 0x9C || b2 == 0x9D)
            return Special::Quote;
        if (b2 == 0x93 || b2 == 0x94)
            return Special::Dash;
        if (b2 == 0xA6)
            return Special::Ellipsis;
    }
    return Special::None;
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isAsciiAlpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isAsciiSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Byte length of the UTF-8 sequence starting with b0 (1 for stray continuation bytes).
size_t utf8Len(unsigned char b0)
{
    return b0 < 0xC0 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
}

// Length of the letter at p, 0 if there is none.
size_t letterAt(std::string_view s, size_t p)
{
    if (p >= s.size())
        return 0;
    if (isAsciiAlpha(s[p]))
        return 1;
    const auto b0 = static_cast<unsigned char>(s[p]);
    if (b0 < 0x80)
        return 0;
    size_t len = 0;
    if (specialAt(s, p, &len) != Special::None)
        return 0;
    return std::min(utf8Len(b0), s.size() - p);
}

size_t alnumAt(std::string_view s, size_t p)
{
    if (p < s.size() && isDigit(s[p]))
        return 1;
    return letterAt(s, p);
}

size_t apostropheAt(std::string_view s, size_t p)
{
    if (p >= s.size())
        return 0;
    if (s[p] == '\'')
        return 1;
    size_t len = 0;
    return specialAt(s, p, &len) == Special::Apostrophe ? len : 0;
}

char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsNoCase(std::string_view s, size_t p, const char *word)
{
    const size_t n = std::strlen(word);
    if (p + n > s.size())
        return false;
    for (size_t i = 0; i < n; ++i)
        if (lower(s[p + i]) != word[i])
            return false;
    return true;
}

size_t wordEnd(std::string_view s, size_t p)
{
    while (size_t n = letterAt(s, p))
        p += n;
    return p;
}

size_t alnumRunEnd(std::string_view s, size_t p)
{
    while (size_t n = alnumAt(s, p))
        p += n;
    return p;
}

size_t digitRunEnd(std::string_view s, size_t p)
{
    while (p < s.size() && isDigit(s[p]))
        ++p;
    return p;
}

// PTB REDAUX: apostrophe + (m|s|d|re|ve|ll); returns its length, 0 if none.
size_t redauxAt(std::string_view s, size_t p)
{
    const size_t a = apostropheAt(s, p);
    if (a == 0)
        return 0;
    const size_t q = p + a;
    for (const char *c : {"re", "ve", "ll", "m", "s", "d"})
        if (equalsNoCase(s, q, c))
            return a + std::strlen(c);
    return 0;
}

// PTB SREDAUX: n + apostrophe + t.
size_t sredauxAt(std::string_view s, size_t p)
{
    if (p >= s.size() || lower(s[p]) != 'n')
        return 0;
    const size_t a = apostropheAt(s, p + 1);
    if (a == 0 || p + 1 + a >= s.size() || lower(s[p + 1 + a]) != 't')
        return 0;
    return 2 + a;
}

// NUM: digits, optionally with inner [.:,] groups; also ".5". Returns the end, p if none.
size_t numEnd(std::string_view s, size_t p)
{
    size_t q = digitRunEnd(s, p);
    while (q + 1 < s.size() && (s[q] == '.' || s[q] == ':' || s[q] == ',') && isDigit(s[q + 1]))
        q = digitRunEnd(s, q + 1);
    return q;
}

// FRAC "1/2" (1-4 digits each side) and DATE "12/05/2020" / "12-05-2020".
size_t fracOrDateEnd(std::string_view s, size_t p)
{
    const size_t d1 = digitRunEnd(s, p);
    if (d1 == p || d1 >= s.size())
        return p;
    // DATE: d{1,2} sep d{1,2} sep d{2,4}
    if (d1 - p <= 2 && (s[d1] == '/' || s[d1] == '-')) {
        const size_t d2 = digitRunEnd(s, d1 + 1);
        if (d2 > d1 + 1 && d2 - d1 - 1 <= 2 && d2 < s.size() && (s[d2] == '/' || s[d2] == '-')) {
            const size_t d3 = digitRunEnd(s, d2 + 1);
            if (d3 - d2 - 1 >= 2)
                return std::min(d3, d2 + 1 + 4);
        }
    }
    if (d1 - p <= 4 && s[d1] == '/') {
        const size_t d2 = digitRunEnd(s, d1 + 1);
        if (d2 > d1 + 1)
            return std::min(d2, d1 + 1 + 4);
    }
    return p;
}

// alnum+ (-alpha+){0,2}
size_t thing3PartEnd(std::string_view s, size_t p)
{
    size_t q = alnumRunEnd(s, p);
    if (q == p)
        return p;
    for (int i = 0; i < 2 && q + 1 < s.size() && s[q] == '-' && letterAt(s, q + 1); ++i)
        q = wordEnd(s, q + 1);
    return q;
}

// THING3: part (/part){1,2}.
size_t thing3End(std::string_view s, size_t p)
{
    size_t q = thing3PartEnd(s, p);
    if (q == p)
        return p;
    int slashes = 0;
    while (slashes < 2 && q + 1 < s.size() && s[q] == '/') {
        const size_t r = thing3PartEnd(s, q + 1);
        if (r == q + 1)
            break;
        q = r;
        ++slashes;
    }
    return slashes > 0 ? q : p;
}

// THING: alnum+ ([_-] alnum+)*
size_t thingEnd(std::string_view s, size_t p)
{
    size_t q = alnumRunEnd(s, p);
    while (q + 1 < s.size() && (s[q] == '-' || s[q] == '_') && alnumAt(s, q + 1))
        q = alnumRunEnd(s, q + 1);
    return q;
}

// HTHING: alnum [alnum%.,]* (-alnum+)+ followed by a character not in [A-Za-z0-9.+] (or the end).
size_t hthingEnd(std::string_view s, size_t p)
{
    size_t q = p;
    while (q < s.size()) {
        if (size_t n = alnumAt(s, q))
            q += n;
        else if (q > p && (s[q] == '%' || s[q] == '.' || s[q] == ','))
            ++q;
        else
            break;
    }
    if (q == p)
        return p;
    size_t best = p;
    while (q + 1 < s.size() && s[q] == '-' && alnumAt(s, q + 1)) {
        q = alnumRunEnd(s, q + 1);
        const bool ctxOk
            = q >= s.size() || !(isAsciiAlpha(s[q]) || isDigit(s[q]) || s[q] == '.' || s[q] == '+');
        if (ctxOk)
            best = q;
    }
    return best;
}

// ACRO: letter (. letter)+, ASCII letters.
size_t acroEnd(std::string_view s, size_t p)
{
    if (p >= s.size() || !isAsciiAlpha(s[p]))
        return p;
    size_t q = p + 1;
    while (q + 1 < s.size() && s[q] == '.' && isAsciiAlpha(s[q + 1]))
        q += 2;
    return q > p + 1 ? q : p;
}

bool isTitleAbbrev(std::string_view s, size_t p, size_t end)
{
    static const char *const kTitles[]
        = {"mr", "mrs", "ms", "dr", "drs", "prof", "profs", "st", "jr", "sr", "vs", "etc"};
    for (const char *t : kTitles)
        if (std::strlen(t) == end - p && equalsNoCase(s, p, t))
            return true;
    return false;
}

struct Candidate {
    size_t matchLen = 0; // including trailing context (decides the longest match)
    size_t consumeLen = 0; // what the token takes from the input
    bool escapeSlash = false;
};

class Scanner {
public:
    explicit Scanner(std::string_view s)
        : m_s(s)
    {
    }

    std::vector<std::string> run()
    {
        while (m_p < m_s.size())
            step();
        return std::move(m_tokens);
    }

private:
    void emit(size_t begin, size_t end, bool escapeSlash = false)
    {
        std::string t;
        t.reserve(end - begin + 2);
        for (size_t i = begin; i < end; ++i) {
            if (escapeSlash && (m_s[i] == '/' || m_s[i] == '*'))
                t.push_back('\\');
            t.push_back(lower(m_s[i]));
            // Latin-1 capitals U+00C0..U+00DE (not U+00D7, the multiplication sign) lower-case like
            // Java's toLowerCase.
            const auto next = i + 1 < end ? static_cast<unsigned char>(m_s[i + 1]) : 0;
            if (static_cast<unsigned char>(m_s[i]) == 0xC3 && next >= 0x80 && next <= 0x9E && next != 0x97) {
                t.push_back(static_cast<char>(next + 0x20));
                ++i;
            }
        }
        m_tokens.push_back(std::move(t));
    }

    void emitText(const char *text) { m_tokens.emplace_back(text); }

    static void offer(Candidate *best, size_t matchLen, size_t consumeLen, bool escape = false)
    {
        if (matchLen > best->matchLen)
            *best = {matchLen, consumeLen, escape};
    }

    // A token starting with a letter or digit: the longest of PTBLexer's word-like rules, earlier
    // rule on ties.
    void scanWordLike()
    {
        const std::string_view s = m_s;
        const size_t p = m_p;
        Candidate best;
        const size_t w = wordEnd(s, p);
        if (w > p) {
            if (size_t r = redauxAt(s, w)) // {WORD}/{REDAUX}
                offer(&best, w - p + r, w - p);
            // {SWORD}/{SREDAUX}: the word minus its final n, when n't follows.
            if (w - p >= 2 && lower(s[w - 1]) == 'n' && lower(s[w - 2]) != 'n') {
                if (size_t r = sredauxAt(s, w - 1))
                    offer(&best, w - 1 - p + r, w - 1 - p);
            }
        }
        if (size_t r = sredauxAt(s, p))
            offer(&best, r, r);
        offer(&best, w - p, w - p);
        offer(&best, numEnd(s, p) - p, numEnd(s, p) - p);
        const size_t fd = fracOrDateEnd(s, p);
        offer(&best, fd - p, fd - p, true);
        const size_t t3 = thing3End(s, p);
        offer(&best, t3 - p, t3 - p, true);
        // ABBREV2: acronym, single letter or title followed by '.'.
        const size_t acro = acroEnd(s, p);
        if (acro > p) {
            if (acro < s.size() && s[acro] == '.')
                offer(&best, acro + 1 - p, acro + 1 - p);
            else
                offer(&best, acro - p, acro - p);
        }
        if (w < s.size() && s[w] == '.' && (w == p + 1 || isTitleAbbrev(s, p, w)) && w > p)
            offer(&best, w + 1 - p, w + 1 - p);
        // {WORD}\./{INSENTP}
        if (w > p && w + 1 < s.size() && s[w] == '.'
            && (s[w + 1] == ',' || s[w + 1] == ';' || s[w + 1] == ':'))
            offer(&best, w + 2 - p, w + 1 - p);
        const size_t h = hthingEnd(s, p);
        offer(&best, h - p, h - p);
        const size_t t = thingEnd(s, p);
        offer(&best, t - p, t - p);
        // [dDoOlL]' + THING: "o'brien", "d'amico" stay one token.
        if (std::strchr("dDoOlL", s[p]) != nullptr) {
            const size_t a = apostropheAt(s, p + 1);
            if (a > 0 && alnumAt(s, p + 1 + a)) {
                const size_t e = thingEnd(s, p + 1 + a);
                offer(&best, e - p, e - p);
            }
        }
        emit(p, p + best.consumeLen, best.escapeSlash);
        m_p += best.consumeLen;
    }

    // [-+]? NUM
    size_t signedNumberLen() const
    {
        const size_t e = numEnd(m_s, m_p + 1);
        return e > m_p + 1 ? e - m_p : 0;
    }

    void step()
    {
        const std::string_view s = m_s;
        const char c = s[m_p];
        if (isAsciiSpace(c) || c == '\0' || c == '\\' || c == '|' || c == 0x7F) {
            ++m_p;
            return;
        }
        size_t len = 0;
        switch (specialAt(s, m_p, &len)) {
        case Special::Space:
        case Special::Quote:
        case Special::Dash:
        case Special::Ellipsis:
            m_p += len;
            return;
        case Special::Apostrophe:
            scanApostrophe();
            return;
        case Special::None:
            break;
        }
        if (alnumAt(s, m_p)) {
            scanWordLike();
            return;
        }
        switch (c) {
        case '\'':
            scanApostrophe();
            return;
        case '.': {
            // ".5" is a number; "...", ". . ." and "." are punctuation pycocoevalcap drops.
            const size_t e = numEnd(s, m_p);
            if (e > m_p) {
                emit(m_p, e);
                m_p = e;
            } else {
                ++m_p;
            }
            return;
        }
        case '-':
        case '+': {
            const size_t num = signedNumberLen();
            size_t run = 1;
            if (c == '-')
                while (m_p + run < s.size() && s[m_p + run] == '-')
                    ++run;
            if (num > run) {
                emit(m_p, m_p + num);
                m_p += num;
            } else {
                // "-", "--" and 3-4 hyphens ("--") are dropped; longer runs stay as written.
                if (c == '+' || run > 4)
                    emit(m_p, m_p + run);
                m_p += run;
            }
            return;
        }
        case '(': {
            const size_t e = numEnd(s, m_p + 1);
            if (e > m_p + 1 && e < s.size() && s[e] == ')') {
                emit(m_p, e + 1);
                m_p = e + 1;
            } else {
                emitText("-lrb-");
                ++m_p;
            }
            return;
        }
        case ')':
            emitText("-rrb-");
            ++m_p;
            return;
        case '[':
            emitText("-lsb-");
            ++m_p;
            return;
        case ']':
            emitText("-rsb-");
            ++m_p;
            return;
        case '{':
            emitText("-lcb-");
            ++m_p;
            return;
        case '}':
            emitText("-rcb-");
            ++m_p;
            return;
        case '/':
            emit(m_p, m_p + 1, true);
            ++m_p;
            return;
        case '*':
        case '@':
        case '#':
        case '_': {
            size_t run = 1;
            while (m_p + run < s.size() && s[m_p + run] == c)
                ++run;
            emit(m_p, m_p + run, true);
            m_p += run;
            return;
        }
        case '"':
        case '`':
        case ',':
        case ';':
        case ':':
        case '?':
        case '!':
            ++m_p;
            return;
        default:
            emit(m_p, m_p + 1);
            ++m_p;
            return;
        }
    }

    // A clitic ('s 'm 'd 're 've 'll) unless a letter follows it; otherwise a quote, dropped.
    void scanApostrophe()
    {
        const size_t r = redauxAt(m_s, m_p);
        if (r > 0 && (m_p + r >= m_s.size() || !isAsciiAlpha(m_s[m_p + r]))) {
            const size_t a = apostropheAt(m_s, m_p);
            std::string t = "'";
            for (size_t i = m_p + a; i < m_p + r; ++i)
                t.push_back(lower(m_s[i]));
            m_tokens.push_back(std::move(t));
            m_p += r;
            return;
        }
        m_p += apostropheAt(m_s, m_p);
    }

    std::string_view m_s;
    size_t m_p = 0;
    std::vector<std::string> m_tokens;
};

} // namespace

std::vector<std::string> tokenizeReport(std::string_view text)
{
    std::vector<std::string> tokens = Scanner(text).run();
    // n't after SWORD keeps the apostrophe form of the input; PTB writes it with "'".
    for (std::string &t : tokens) {
        if (t.size() > 3 && t[0] == 'n' && t.back() == 't' && t.compare(1, 3, "\xE2\x80\x99") == 0)
            t = "n't";
        else if (t.size() == 4 && t[0] == 'n' && t[3] == 't' && t.compare(1, 2, "\xC2\x92") == 0)
            t = "n't";
    }
    return tokens;
}

std::string tokenizeReportJoined(std::string_view text)
{
    const std::vector<std::string> tokens = tokenizeReport(text);
    std::string joined;
    for (const std::string &t : tokens) {
        if (!joined.empty())
            joined.push_back(' ');
        joined += t;
    }
    return joined;
}

std::vector<TextPair> tokenizePairs(const std::vector<TextPair> &raw)
{
    std::vector<TextPair> out;
    out.reserve(raw.size());
    for (const TextPair &pair : raw) {
        TextPair tokenized;
        tokenized.prediction = tokenizeReportJoined(pair.prediction);
        tokenized.references.reserve(pair.references.size());
        for (const std::string &ref : pair.references)
            tokenized.references.push_back(tokenizeReportJoined(ref));
        out.push_back(std::move(tokenized));
    }
    return out;
}

} // namespace fmw::eval
