#include "engine/text/utf8.h"

namespace fmw::text {

char32_t decodeUtf8At(std::string_view s, size_t pos, size_t *len)
{
    const auto b0 = static_cast<unsigned char>(s[pos]);
    if (b0 < 0x80) {
        *len = 1;
        return b0;
    }
    const size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
    char32_t cp = b0 & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < n; ++i)
        cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
    *len = n;
    return cp;
}

void appendUtf8(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

size_t validSequenceLength(std::string_view s, size_t pos, size_t *maximalPrefix)
{
    const auto b0 = static_cast<unsigned char>(s[pos]);
    *maximalPrefix = 1;
    if (b0 < 0x80)
        return 1;
    // Table 3-7 of the Unicode standard: allowed range of the second byte per lead byte;
    // later bytes are always 80..BF.
    size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        if (b0 == 0xE0)
            lo = 0xA0;
        else if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    for (size_t i = 1; i < need; ++i) {
        if (pos + i >= s.size())
            return 0;
        const auto b = static_cast<unsigned char>(s[pos + i]);
        const unsigned char l = i == 1 ? lo : 0x80;
        const unsigned char h = i == 1 ? hi : 0xBF;
        if (b < l || b > h)
            return 0;
        *maximalPrefix = i + 1;
    }
    return need;
}

bool isValidUtf8(std::string_view s)
{
    size_t pos = 0;
    while (pos < s.size()) {
        if (static_cast<unsigned char>(s[pos]) < 0x80) {
            ++pos;
            continue;
        }
        size_t prefix = 0;
        const size_t n = validSequenceLength(s, pos, &prefix);
        if (n == 0)
            return false;
        pos += n;
    }
    return true;
}

std::string toValidUtf8(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size());
    size_t pos = 0;
    while (pos < bytes.size()) {
        if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
            out += bytes[pos++];
            continue;
        }
        size_t prefix = 0;
        const size_t n = validSequenceLength(bytes, pos, &prefix);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            pos += prefix;
        } else {
            out.append(bytes, pos, n);
            pos += n;
        }
    }
    return out;
}

} // namespace fmw::text
