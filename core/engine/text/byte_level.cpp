#include "engine/text/byte_level.h"

#include "engine/text/unicode_classes.h"
#include "engine/text/utf8.h"

#include <cstdint>

namespace fmw::text {

namespace {

struct ByteTables {
    std::array<char32_t, 256> toChar {};
    std::array<int16_t, 324> toByte {}; // every mapped code point is < 256 + 68
};

// Printable bytes (0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF) stand for themselves; the other 68 map,
// in increasing byte order, to U+0100 + n.
ByteTables makeTables()
{
    ByteTables t;
    t.toByte.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        const char32_t c = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
        t.toChar[b] = c;
        t.toByte[c] = static_cast<int16_t>(b);
    }
    return t;
}

const ByteTables &tables()
{
    static const ByteTables t = makeTables();
    return t;
}

struct CodePoint {
    char32_t cp;
    CharClass cls;
    size_t offset;
};

} // namespace

char32_t ByteLevel::byteToChar(unsigned char b)
{
    return tables().toChar[b];
}

int ByteLevel::charToByte(char32_t cp)
{
    const auto &t = tables().toByte;
    return cp < t.size() ? t[cp] : -1;
}

std::string ByteLevel::toByteLevel(std::string_view raw)
{
    std::string out;
    out.reserve(raw.size() * 2);
    for (char c : raw)
        appendUtf8(out, byteToChar(static_cast<unsigned char>(c)));
    return out;
}

bool ByteLevel::fromByteLevel(std::string_view mapped, std::string *raw)
{
    raw->clear();
    if (!isValidUtf8(mapped))
        return false;
    for (size_t pos = 0; pos < mapped.size();) {
        size_t len = 0;
        const int b = charToByte(decodeUtf8At(mapped, pos, &len));
        if (b < 0)
            return false;
        *raw += static_cast<char>(b);
        pos += len;
    }
    return true;
}

void ByteLevel::split(std::string_view text, std::vector<std::pair<size_t, size_t>> *out)
{
    std::vector<CodePoint> cps;
    cps.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        size_t len = 0;
        const char32_t cp = decodeUtf8At(text, pos, &len);
        cps.push_back({cp, charClass(cp), pos});
        pos += len;
    }
    const size_t n = cps.size();
    auto offset = [&](size_t i) { return i < n ? cps[i].offset : text.size(); };
    auto emit = [&](size_t i, size_t j) { out->emplace_back(offset(i), offset(j)); };
    // Matches ` ?X+` at i for class X; returns the end index or i when it does not match.
    auto optionalSpaceRun = [&](size_t i, CharClass cls) {
        size_t j = i;
        if (cps[i].cp == U' ' && i + 1 < n && cps[i + 1].cls == cls)
            j = i + 1;
        if (cps[j].cls != cls)
            return i;
        while (j < n && cps[j].cls == cls)
            ++j;
        return j;
    };

    size_t i = 0;
    while (i < n) {
        // 's|'t|'re|'ve|'m|'ll|'d (lowercase only, as in the pattern)
        if (cps[i].cp == U'\'' && i + 1 < n) {
            const char32_t a = cps[i + 1].cp;
            if (a == U's' || a == U't' || a == U'm' || a == U'd') {
                emit(i, i + 2);
                i += 2;
                continue;
            }
            if (i + 2 < n) {
                const char32_t b = cps[i + 2].cp;
                if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) {
                    emit(i, i + 3);
                    i += 3;
                    continue;
                }
            }
        }
        size_t j = optionalSpaceRun(i, CharClass::Letter);
        if (j == i)
            j = optionalSpaceRun(i, CharClass::Number);
        if (j == i)
            j = optionalSpaceRun(i, CharClass::Other);
        if (j == i) {
            // White space: \s+(?!\S) leaves the last space of a run to the word after it;
            // a lone space before a non-space falls through to \s+.
            size_t k = i;
            while (k < n && cps[k].cls == CharClass::Space)
                ++k;
            j = (k < n && k - i > 1) ? k - 1 : k;
        }
        emit(i, j);
        i = j;
    }
}

} // namespace fmw::text
