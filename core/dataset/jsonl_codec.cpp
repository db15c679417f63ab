#include "dataset/jsonl_codec.h"

#include <QStringList>

#include <algorithm>
#include <array>
#include <cstring>

namespace fmw::jsonl {

namespace {

constexpr int kMaxDepth = 256; // hostile nesting must not overflow the stack
constexpr std::array<const char *, 3> kFieldNames = {"image", "prefix", "suffix"};

struct FieldSpan {
    qsizetype begin = -1; // value span, quotes included; -1 if absent
    qsizetype end = -1;
    bool isString = false;
};
using Fields = std::array<FieldSpan, 3>;

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Strict JSON scanner over one line. Only the top-level object's three record fields are
// remembered; everything else is validated and skipped.
class Scanner {
public:
    // `columnBase`: bytes before `line` in the file's line, for the columns in messages.
    explicit Scanner(QByteArrayView line, qsizetype columnBase = 0)
        : m_s(line.data())
        , m_n(line.size())
        , m_base(columnBase)
    {
    }

    // Returns false with error() set if the line is not one JSON object.
    bool scanRecordObject(Fields *fields)
    {
        skipWs();
        if (m_i == m_n)
            return fail(QStringLiteral("empty line"));
        if (m_s[m_i] != '{')
            return fail(
                QStringLiteral("a record must be a JSON object starting with '{', found %1").arg(describe()));
        if (!object(fields))
            return false;
        skipWs();
        if (m_i != m_n)
            return fail(QStringLiteral("unexpected %1 after the JSON object").arg(describe()));
        return true;
    }

    const QString &error() const { return m_error; }

private:
    bool fail(const QString &what)
    {
        if (m_error.isEmpty())
            m_error = QStringLiteral("column %1: %2").arg(m_base + m_i + 1).arg(what);
        return false;
    }

    QString describe() const
    {
        if (m_i >= m_n)
            return QStringLiteral("end of line");
        const auto c = static_cast<unsigned char>(m_s[m_i]);
        if (c >= 0x20 && c < 0x7F)
            return QStringLiteral("'%1'").arg(QChar(c));
        return QStringLiteral("byte 0x%1").arg(c, 2, 16, QLatin1Char('0'));
    }

    void skipWs()
    {
        while (m_i < m_n && (m_s[m_i] == ' ' || m_s[m_i] == '\t' || m_s[m_i] == '\r' || m_s[m_i] == '\n'))
            ++m_i;
    }

    bool expect(char c, const char *what)
    {
        if (m_i < m_n && m_s[m_i] == c) {
            ++m_i;
            return true;
        }
        return fail(QStringLiteral("expected %1, found %2").arg(QLatin1String(what), describe()));
    }

    bool hex4(unsigned *out)
    {
        if (m_i + 4 > m_n)
            return fail(QStringLiteral("truncated \\u escape"));
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            const int h = hexValue(m_s[m_i + k]);
            if (h < 0)
                return fail(QStringLiteral("invalid \\u escape"));
            v = (v << 4) | unsigned(h);
        }
        m_i += 4;
        *out = v;
        return true;
    }

    // At the opening quote; leaves m_i after the closing quote.
    bool string(bool *escaped)
    {
        ++m_i;
        while (m_i < m_n) {
            const auto c = static_cast<unsigned char>(m_s[m_i]);
            if (c == '"') {
                ++m_i;
                return true;
            }
            if (c == '\\') {
                *escaped = true;
                ++m_i;
                if (m_i >= m_n)
                    break;
                const char e = m_s[m_i];
                if (e == 'u') {
                    ++m_i;
                    unsigned cu = 0;
                    if (!hex4(&cu))
                        return false;
                    if (cu >= 0xDC00 && cu <= 0xDFFF)
                        return fail(QStringLiteral("\\u escape is an unpaired low surrogate"));
                    if (cu >= 0xD800 && cu <= 0xDBFF) {
                        unsigned low = 0;
                        if (m_i + 2 > m_n || m_s[m_i] != '\\' || m_s[m_i + 1] != 'u')
                            return fail(QStringLiteral("\\u escape is an unpaired high surrogate"));
                        m_i += 2;
                        if (!hex4(&low))
                            return false;
                        if (low < 0xDC00 || low > 0xDFFF)
                            return fail(QStringLiteral("\\u escape is an unpaired high surrogate"));
                    }
                    continue;
                }
                if (!std::strchr("\"\\/bfnrt", e) || e == '\0')
                    return fail(QStringLiteral("invalid escape \\%1 in a string").arg(QLatin1Char(e)));
                ++m_i;
                continue;
            }
            if (c < 0x20)
                return fail(QStringLiteral("control character 0x%1 in a string must be escaped")
                                .arg(c, 2, 16, QLatin1Char('0')));
            ++m_i;
        }
        return fail(QStringLiteral("unterminated string"));
    }

    bool digits()
    {
        const qsizetype start = m_i;
        while (m_i < m_n && m_s[m_i] >= '0' && m_s[m_i] <= '9')
            ++m_i;
        return m_i > start;
    }

    bool number()
    {
        if (m_s[m_i] == '-')
            ++m_i;
        if (m_i < m_n && m_s[m_i] == '0')
            ++m_i;
        else if (!digits())
            return fail(QStringLiteral("invalid number"));
        if (m_i < m_n && m_s[m_i] == '.') {
            ++m_i;
            if (!digits())
                return fail(QStringLiteral("invalid number: digits expected after '.'"));
        }
        if (m_i < m_n && (m_s[m_i] == 'e' || m_s[m_i] == 'E')) {
            ++m_i;
            if (m_i < m_n && (m_s[m_i] == '+' || m_s[m_i] == '-'))
                ++m_i;
            if (!digits())
                return fail(QStringLiteral("invalid number: digits expected in the exponent"));
        }
        return true;
    }

    bool literal(const char *word)
    {
        const auto len = qsizetype(std::strlen(word));
        if (m_i + len <= m_n && std::memcmp(m_s + m_i, word, size_t(len)) == 0) {
            m_i += len;
            return true;
        }
        return fail(QStringLiteral("unexpected %1").arg(describe()));
    }

    bool value()
    {
        if (m_i >= m_n)
            return fail(QStringLiteral("unexpected end of line, a value is missing"));
        bool escaped = false;
        switch (m_s[m_i]) {
        case '{':
            return object(nullptr);
        case '[':
            return array();
        case '"':
            return string(&escaped);
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            if (m_s[m_i] == '-' || (m_s[m_i] >= '0' && m_s[m_i] <= '9'))
                return number();
            return fail(QStringLiteral("unexpected %1, a value is expected").arg(describe()));
        }
    }

    bool enter()
    {
        if (++m_depth > kMaxDepth)
            return fail(QStringLiteral("nested more than %1 levels deep").arg(kMaxDepth));
        ++m_i;
        skipWs();
        return true;
    }

    int fieldOf(qsizetype keyBegin, qsizetype keyEnd, bool escaped) const
    {
        const QByteArrayView raw(m_s + keyBegin + 1, keyEnd - keyBegin - 2);
        for (int f = 0; f < int(kFieldNames.size()); ++f) {
            if (!escaped && raw == QByteArrayView(kFieldNames[size_t(f)]))
                return f;
        }
        if (escaped) {
            const QString key = decodeString(QByteArrayView(m_s + keyBegin, keyEnd - keyBegin));
            for (int f = 0; f < int(kFieldNames.size()); ++f)
                if (key == QLatin1String(kFieldNames[size_t(f)]))
                    return f;
        }
        return -1;
    }

    bool object(Fields *fields)
    {
        if (!enter())
            return false;
        if (m_i < m_n && m_s[m_i] == '}') {
            ++m_i;
            --m_depth;
            return true;
        }
        while (true) {
            if (m_i >= m_n || m_s[m_i] != '"')
                return fail(QStringLiteral("expected a \"key\", found %1").arg(describe()));
            const qsizetype keyBegin = m_i;
            bool keyEscaped = false;
            if (!string(&keyEscaped))
                return false;
            const int field = fields ? fieldOf(keyBegin, m_i, keyEscaped) : -1;
            skipWs();
            if (!expect(':', "':' after the key"))
                return false;
            skipWs();
            const qsizetype valueBegin = m_i;
            if (!value())
                return false;
            if (field >= 0) // a duplicate key: the last one wins, as in every JSON reader
                (*fields)[size_t(field)] = {valueBegin, m_i, m_s[valueBegin] == '"'};
            skipWs();
            if (m_i < m_n && m_s[m_i] == ',') {
                ++m_i;
                skipWs();
                continue;
            }
            if (!expect('}', "',' or '}'"))
                return false;
            --m_depth;
            return true;
        }
    }

    bool array()
    {
        if (!enter())
            return false;
        if (m_i < m_n && m_s[m_i] == ']') {
            ++m_i;
            --m_depth;
            return true;
        }
        while (true) {
            if (!value())
                return false;
            skipWs();
            if (m_i < m_n && m_s[m_i] == ',') {
                ++m_i;
                skipWs();
                continue;
            }
            if (!expect(']', "',' or ']'"))
                return false;
            --m_depth;
            return true;
        }
    }

private:
    const char *m_s;
    qsizetype m_n;
    qsizetype m_base;
    qsizetype m_i = 0;
    int m_depth = 0;
    QString m_error;
};

bool isBlank(QByteArrayView line)
{
    for (char c : line)
        if (c != ' ' && c != '\t' && c != '\r')
            return false;
    return true;
}

} // namespace

std::vector<LineSpan> splitLines(QByteArrayView content)
{
    std::vector<LineSpan> lines;
    const char *data = content.data();
    const qsizetype n = content.size();
    lines.reserve(size_t(n / 256 + 1));
    qsizetype start = 0;
    while (start < n) {
        const void *hit = std::memchr(data + start, '\n', size_t(n - start));
        if (!hit) {
            lines.push_back({start, n - start, LineEnd::None});
            break;
        }
        const qsizetype nl = static_cast<const char *>(hit) - data;
        const bool crlf = nl > start && data[nl - 1] == '\r';
        lines.push_back({start, nl - start - (crlf ? 1 : 0), crlf ? LineEnd::CrLf : LineEnd::Lf});
        start = nl + 1;
    }
    return lines;
}

QByteArrayView terminator(LineEnd end)
{
    switch (end) {
    case LineEnd::Lf:
        return "\n";
    case LineEnd::CrLf:
        return "\r\n";
    case LineEnd::None:
        break;
    }
    return {};
}

qsizetype findInvalidUtf8(QByteArrayView bytes)
{
    const auto *s = reinterpret_cast<const unsigned char *>(bytes.data());
    const qsizetype n = bytes.size();
    qsizetype i = 0;
    while (i < n) {
        // Fast path: eight ASCII bytes at a time.
        if (i + 8 <= n) {
            quint64 word;
            std::memcpy(&word, s + i, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        const unsigned c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int len = 0;
        unsigned lo = 0x80, hi = 0xBF; // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0; // overlong
            else if (c == 0xED)
                hi = 0x9F; // UTF-16 surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90; // overlong
            else if (c == 0xF4)
                hi = 0x8F; // above U+10FFFF
        } else {
            return i;
        }
        if (i + len > n)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (int k = 2; k < len; ++k)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return i;
        i += len;
    }
    return -1;
}

QString decodeString(QByteArrayView quoted)
{
    const char *s = quoted.data() + 1;
    const qsizetype n = quoted.size() - 2;
    const void *slash = std::memchr(s, '\\', size_t(n));
    if (!slash)
        return QString::fromUtf8(s, n);
    QString out;
    out.reserve(n);
    qsizetype runStart = 0;
    for (qsizetype i = 0; i < n;) {
        if (s[i] != '\\') {
            ++i;
            continue;
        }
        out += QString::fromUtf8(s + runStart, i - runStart);
        const char e = s[i + 1];
        i += 2;
        switch (e) {
        case 'b':
            out += QChar(0x08);
            break;
        case 'f':
            out += QChar(0x0C);
            break;
        case 'n':
            out += QChar(0x0A);
            break;
        case 'r':
            out += QChar(0x0D);
            break;
        case 't':
            out += QChar(0x09);
            break;
        case 'u': {
            unsigned v = 0;
            for (int k = 0; k < 4; ++k)
                v = (v << 4) | unsigned(hexValue(s[i + k]));
            i += 4;
            out += QChar(char16_t(v));
            break;
        }
        default:
            out += QChar(QLatin1Char(e));
            break; // " \ /
        }
        runStart = i;
    }
    out += QString::fromUtf8(s + runStart, n - runStart);
    return out;
}

ParsedLine parseLine(QByteArrayView line, bool decode)
{
    ParsedLine out;
    if (isBlank(line)) {
        out.status = ParsedLine::Status::Blank;
        return out;
    }
    const qsizetype bad = findInvalidUtf8(line);
    if (bad >= 0) {
        out.status = ParsedLine::Status::InvalidUtf8;
        out.message = QStringLiteral("column %1: invalid UTF-8 byte 0x%2; the line is kept as is")
                          .arg(bad + 1)
                          .arg(static_cast<unsigned char>(line[bad]), 2, 16, QLatin1Char('0'));
        return out;
    }
    // A UTF-8 byte-order mark at the start of a file is tolerated (and kept).
    QByteArrayView body = line;
    qsizetype offset = 0;
    if (body.startsWith("\xEF\xBB\xBF")) {
        body = body.sliced(3);
        offset = 3;
    }
    Fields fields;
    Scanner scanner(body, offset);
    if (!scanner.scanRecordObject(&fields)) {
        out.status = ParsedLine::Status::Malformed;
        out.message = QStringLiteral("not valid JSON: %1").arg(scanner.error());
        return out;
    }
    QStringList missing;
    QString *targets[] = {&out.image, &out.prefix, &out.suffix};
    Span *spans[] = {&out.imageSpan, &out.prefixSpan, &out.suffixSpan};
    for (size_t f = 0; f < fields.size(); ++f) {
        const FieldSpan &span = fields[f];
        if (span.begin < 0) {
            missing << QStringLiteral("\"%1\" is missing").arg(QLatin1String(kFieldNames[f]));
        } else if (!span.isString) {
            missing << QStringLiteral("\"%1\" is not a string").arg(QLatin1String(kFieldNames[f]));
        } else {
            *spans[f] = {offset + span.begin, span.end - span.begin};
            if (decode)
                *targets[f] = decodeString(body.sliced(span.begin, span.end - span.begin));
        }
    }
    if (!missing.isEmpty()) {
        out.status = ParsedLine::Status::MissingField;
        out.message = missing.join(QStringLiteral("; "));
        out.image.clear();
        out.prefix.clear();
        out.suffix.clear();
        return out;
    }
    out.status = ParsedLine::Status::Record;
    return out;
}

QByteArray jsonString(const QString &s, bool asciiOnly)
{
    QByteArray out;
    out.reserve(s.size() + 2);
    out += '"';
    qsizetype runStart = 0;
    auto flush = [&](qsizetype upTo) {
        if (upTo > runStart)
            out += QStringView(s).sliced(runStart, upTo - runStart).toUtf8();
    };
    static const char kHex[] = "0123456789abcdef";
    for (qsizetype i = 0; i < s.size(); ++i) {
        const char16_t c = s[i].unicode();
        const char *simple = nullptr;
        switch (c) {
        case '"':
            simple = "\\\"";
            break;
        case '\\':
            simple = "\\\\";
            break;
        case '\n':
            simple = "\\n";
            break;
        case '\r':
            simple = "\\r";
            break;
        case '\t':
            simple = "\\t";
            break;
        case '\b':
            simple = "\\b";
            break;
        case '\f':
            simple = "\\f";
            break;
        default:
            break;
        }
        if (!simple && c >= 0x20 && (c < 0x80 || !asciiOnly))
            continue;
        flush(i);
        if (simple) {
            out += simple;
        } else {
            const char u[] = {
                '\\', 'u', kHex[(c >> 12) & 0xF], kHex[(c >> 8) & 0xF], kHex[(c >> 4) & 0xF], kHex[c & 0xF]};
            out.append(u, sizeof u);
        }
        runStart = i + 1;
    }
    flush(s.size());
    out += '"';
    return out;
}

QByteArray serializeRecord(
    QByteArrayView original, const QString &image, const QString &prefix, const QString &suffix)
{
    const QString *values[] = {&image, &prefix, &suffix};
    Fields fields;
    QByteArrayView body = original;
    qsizetype offset = 0;
    if (body.startsWith("\xEF\xBB\xBF")) {
        body = body.sliced(3);
        offset = 3;
    }
    Scanner scanner(body);
    bool usable = !original.isEmpty() && scanner.scanRecordObject(&fields);
    for (const FieldSpan &span : fields)
        usable = usable && span.isString;
    if (!usable) {
        QByteArray out = "{";
        for (size_t f = 0; f < fields.size(); ++f) {
            if (f)
                out += ", ";
            out += '"';
            out += kFieldNames[f];
            out += "\": ";
            out += jsonString(*values[f]);
        }
        return out + '}';
    }

    // json.dumps' default (ensure_ascii): an all-ASCII line that escapes what is not ASCII.
    const bool asciiStyle = original.indexOf("\\u") >= 0
        && std::all_of(
            original.begin(), original.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    QByteArray out(original.data(), original.size());
    // Replace from the rightmost span so earlier offsets stay valid.
    std::array<size_t, 3> order = {0, 1, 2};
    std::sort(
        order.begin(), order.end(), [&](size_t a, size_t b) { return fields[a].begin > fields[b].begin; });
    for (size_t f : order) {
        const FieldSpan &span = fields[f];
        const QByteArrayView quoted = body.sliced(span.begin, span.end - span.begin);
        if (decodeString(quoted) == *values[f])
            continue;
        out.replace(offset + span.begin, span.end - span.begin, jsonString(*values[f], asciiStyle));
    }
    return out;
}

} // namespace fmw::jsonl
