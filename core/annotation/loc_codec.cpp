#include "annotation/loc_codec.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace fmw::loc {

namespace {

// Upstream computes `size / bins` in float64 and torch narrows that scalar to the float32
// tensor dtype before the element-wise op; every step below mirrors that narrowing.
float binSize(double size)
{
    return static_cast<float>(size / static_cast<double>(kBins));
}

bool isAsciiDigit(char c)
{
    return c >= '0' && c <= '9';
}

// Matches `<loc_\d+>` at `pos`; on success sets *value (saturated) and *end.
bool matchLocToken(const std::string &s, size_t pos, long long *value, size_t *end)
{
    static const char kOpen[] = "<loc_";
    if (s.compare(pos, 5, kOpen) != 0)
        return false;
    size_t p = pos + 5;
    long long v = 0;
    const size_t digitsStart = p;
    while (p < s.size() && isAsciiDigit(s[p])) {
        if (v < std::numeric_limits<long long>::max() / 10)
            v = v * 10 + (s[p] - '0');
        ++p;
    }
    if (p == digitsStart || p >= s.size() || s[p] != '>')
        return false;
    *value = v;
    *end = p + 1;
    return true;
}

// Decodes one UTF-8 code point at `pos` (best effort: an invalid byte counts as itself).
char32_t codePointAt(const std::string &s, size_t pos, size_t *len)
{
    const auto b0 = static_cast<unsigned char>(s[pos]);
    int n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 1;
    if (pos + n > s.size())
        n = 1;
    char32_t cp = n == 1 ? b0 : n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (int i = 1; i < n; ++i)
        cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
    *len = static_cast<size_t>(n);
    return cp;
}

// Python's str.isspace(), which is what both `\s` in `re` and str.strip() use.
bool isPythonSpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
        || c == 0x3000;
}

// Python `s.strip()` on UTF-8 text.
std::string pythonStrip(const std::string &s)
{
    size_t begin = 0;
    while (begin < s.size()) {
        size_t len = 0;
        if (!isPythonSpace(codePointAt(s, begin, &len)))
            break;
        begin += len;
    }
    size_t end = begin;
    for (size_t p = begin; p < s.size();) {
        size_t len = 0;
        const bool space = isPythonSpace(codePointAt(s, p, &len));
        p += len;
        if (!space)
            end = p;
    }
    return s.substr(begin, end - begin);
}

// Upstream's phrase regex `^\s*(.*?)(?=<od>|</od>|<box>|</box>|<bbox>|</bbox>|<loc_)`
// applied to a chunk whose text part is `text` (it has no '<', so the lookahead always hits
// the first loc token). `.` does not match '\n', so a line break after the leading
// white space makes the search fail, and upstream drops the chunk.
bool phraseOf(const std::string &text, std::string *phrase)
{
    size_t p = 0;
    while (p < text.size()) {
        size_t len = 0;
        if (!isPythonSpace(codePointAt(text, p, &len)))
            break;
        p += len;
    }
    if (text.find('\n', p) != std::string::npos)
        return false;
    *phrase = text;
    return true;
}

void removeAll(std::string &s, const std::string &what)
{
    std::string out;
    out.reserve(s.size());
    size_t pos = 0;
    for (size_t hit; (hit = s.find(what, pos)) != std::string::npos; pos = hit + what.size())
        out.append(s, pos, hit - pos);
    out.append(s, pos, std::string::npos);
    s.swap(out);
}

std::string positionText(size_t offset)
{
    return "at character " + std::to_string(offset + 1);
}

Error odError(size_t offset, const std::string &what)
{
    return makeError(ErrorCode::Parse, "<OD> text " + positionText(offset) + ": " + what);
}

bool isAsciiSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string trimAscii(const std::string &s)
{
    size_t b = 0, e = s.size();
    while (b < e && isAsciiSpace(s[b]))
        ++b;
    while (e > b && isAsciiSpace(s[e - 1]))
        --e;
    return s.substr(b, e - b);
}

} // namespace

int quantize(double coordPx, double size)
{
    const float q = std::floor(static_cast<float>(coordPx) / binSize(size));
    if (!(q > 0.0f)) // also maps NaN to 0
        return 0;
    if (q >= static_cast<float>(kMaxBin))
        return kMaxBin;
    return static_cast<int>(q);
}

float dequantize(int bin, double size)
{
    return (static_cast<float>(bin) + 0.5f) * binSize(size);
}

Bins quantizeBox(const BoxPx &box, ImageSize size)
{
    return {quantize(box[0], size.width), quantize(box[1], size.height), quantize(box[2], size.width),
        quantize(box[3], size.height)};
}

BoxPx dequantizeBox(const Bins &bins, ImageSize size)
{
    return {dequantize(bins[0], size.width), dequantize(bins[1], size.height),
        dequantize(bins[2], size.width), dequantize(bins[3], size.height)};
}

std::string locString(const Bins &bins)
{
    std::string s;
    for (int b : bins)
        s += "<loc_" + std::to_string(b) + '>';
    return s;
}

std::string formatOd(const std::vector<OdBox> &boxes)
{
    std::string s;
    for (const OdBox &box : boxes)
        s += box.label + locString(box.bins);
    return s;
}

Result<std::vector<OdBox>> parseOd(const std::string &suffix)
{
    std::vector<OdBox> boxes;
    size_t pos = 0;
    while (pos < suffix.size()) {
        // Label: everything up to the next '<'.
        const size_t labelStart = pos;
        const size_t lt = suffix.find('<', pos);
        const size_t labelEnd = lt == std::string::npos ? suffix.size() : lt;
        const std::string label = trimAscii(suffix.substr(labelStart, labelEnd - labelStart));
        pos = labelEnd;

        std::vector<int> values;
        const size_t locsStart = pos;
        while (pos < suffix.size() && suffix[pos] == '<') {
            long long v = 0;
            size_t end = 0;
            if (!matchLocToken(suffix, pos, &v, &end)) {
                const size_t close = suffix.find('>', pos);
                const std::string token
                    = suffix.substr(pos, close == std::string::npos ? std::string::npos : close - pos + 1);
                return odError(pos, "'" + token + "' is not a <loc_N> token");
            }
            const std::string token = suffix.substr(pos, end - pos);
            const std::string digits = token.substr(5, token.size() - 6);
            if (v > kMaxBin)
                return odError(pos,
                    "'" + token + "' is out of range (locations are 0.." + std::to_string(kMaxBin) + ")");
            if (digits.size() > 1 && digits[0] == '0')
                return odError(
                    pos, "'" + token + "' has leading zeros; write <loc_" + std::to_string(v) + ">");
            values.push_back(static_cast<int>(v));
            pos = end;
        }

        if (label.empty() && !values.empty())
            return odError(
                locsStart, std::to_string(values.size()) + " location token(s) with no label before them");
        if (values.empty()) {
            if (label.empty())
                continue; // only white space left
            return odError(
                labelStart, "label '" + label + "' has no box (expected four <loc_N> tokens after it)");
        }
        if (label.find('\n') != std::string::npos)
            return odError(labelStart, "label '" + label + "' contains a line break");
        if (values.size() % 4 != 0)
            return odError(locsStart,
                "label '" + label + "' is followed by " + std::to_string(values.size())
                    + " location tokens; a box needs a multiple of 4 (x1 y1 x2 y2)");
        for (size_t i = 0; i < values.size(); i += 4) {
            OdBox box {label, {values[i], values[i + 1], values[i + 2], values[i + 3]}};
            const std::string which = "box " + std::to_string(boxes.size() + 1) + " ('" + label + "')";
            if (box.bins[2] < box.bins[0])
                return odError(locsStart,
                    which + " has x2 < x1 (" + std::to_string(box.bins[2]) + " < "
                        + std::to_string(box.bins[0]) + ")");
            if (box.bins[3] < box.bins[1])
                return odError(locsStart,
                    which + " has y2 < y1 (" + std::to_string(box.bins[3]) + " < "
                        + std::to_string(box.bins[1]) + ")");
            boxes.push_back(std::move(box));
        }
    }
    return boxes;
}

OdResult postProcessOd(const std::string &generatedText, ImageSize size)
{
    std::string text = generatedText;
    removeAll(text, "<s>");
    removeAll(text, "</s>");
    removeAll(text, "<pad>");

    OdResult result;
    // re.findall(r'([^<]+(?:<loc_\d+>){4,})', text): a chunk is a maximal run of non-'<'
    // characters followed by at least four loc tokens. Every start inside one run fails or
    // succeeds alike, so a failed run is skipped whole; a run may start right after a '<'.
    size_t pos = 0;
    while (pos < text.size()) {
        if (text[pos] == '<') {
            ++pos;
            continue;
        }
        size_t runEnd = text.find('<', pos);
        if (runEnd == std::string::npos)
            break;
        std::vector<long long> values;
        size_t p = runEnd;
        long long v = 0;
        size_t end = 0;
        while (matchLocToken(text, p, &v, &end)) {
            values.push_back(v);
            p = end;
        }
        if (values.size() < 4) {
            pos = runEnd;
            continue;
        }
        std::string phrase;
        if (phraseOf(text.substr(pos, runEnd - pos), &phrase)) {
            std::string label;
            for (char c : pythonStrip(phrase))
                if (static_cast<unsigned char>(c) < 0x80)
                    label += c;
            // box_pattern finds non-overlapping quadruples; 1-3 leftover locs are ignored.
            for (size_t i = 0; i + 4 <= values.size(); i += 4) {
                BoxPx box;
                for (int k = 0; k < 4; ++k) {
                    const double axis = k % 2 == 0 ? size.width : size.height;
                    box[k] = (static_cast<float>(values[i + k]) + 0.5f) * binSize(axis);
                }
                result.bboxes.push_back(box);
                result.labels.push_back(label);
            }
        }
        pos = p;
    }
    return result;
}

} // namespace fmw::loc
