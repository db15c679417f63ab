#include "engine/text/florence2_post_processor.h"

#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace fmw::text {

namespace {

// Upstream's regular expressions are re-implemented by hand below. Each helper names the
// pattern it stands for; all of them follow Python `re` semantics on these inputs (`.` stops
// at '\n', `\s` is str.isspace(), findall/finditer restart after each match).

const std::vector<std::string> kPhraseStops
    = {"<od>", "</od>", "<box>", "</box>", "<bbox>", "</bbox>", "<loc_"};
const std::vector<std::string> kPolygonPhraseStops
    = {"<od>", "</od>", "<box>", "</box>", "<bbox>", "</bbox>", "<loc_", "<poly>"};

// _create_black_list_of_phrase_grounding
const std::set<std::string> &groundingBlacklist()
{
    static const std::set<std::string> list = {"it", "I", "me", "mine", "you", "your", "yours", "he", "him",
        "his", "she", "her", "hers", "they", "them", "their", "theirs", "one", "oneself", "we", "us", "our",
        "ours", "its", "myself", "yourself", "himself", "herself", "itself", "ourselves", "yourselves",
        "themselves", "this", "that", "these", "those", "who", "whom", "whose", "which", "what", "all",
        "another", "any", "anybody", "anyone", "anything", "each", "everybody", "everyone", "everything",
        "few", "many", "nobody", "none", "several", "some", "somebody", "someone", "something", "each other",
        "one another", "the image", "image", "images", "the", "a", "an", "a group", "other objects", "lots",
        "a set"};
    return list;
}

void removeAll(std::string &s, std::string_view what)
{
    std::string out;
    out.reserve(s.size());
    size_t pos = 0;
    for (size_t hit; (hit = s.find(what, pos)) != std::string::npos; pos = hit + what.size())
        out.append(s, pos, hit - pos);
    out.append(s, pos, std::string::npos);
    s.swap(out);
}

bool startsWith(std::string_view s, size_t pos, std::string_view prefix)
{
    return s.size() >= pos + prefix.size() && s.compare(pos, prefix.size(), prefix) == 0;
}

// `<loc_(\d+)>` at pos: sets *value (saturated) and *end.
bool matchLoc(std::string_view s, size_t pos, long long *value, size_t *end)
{
    if (!startsWith(s, pos, "<loc_"))
        return false;
    size_t p = pos + 5;
    long long v = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        v = v < std::numeric_limits<long long>::max() / 10 ? v * 10 + (s[p] - '0') : v;
        ++p;
    }
    if (p == pos + 5 || p >= s.size() || s[p] != '>')
        return false;
    *value = v;
    *end = p + 1;
    return true;
}

// One token of the polygon alphabet `<loc_\d+>|<sep>|<poly>|</poly>` at pos; returns its end.
size_t matchPolygonToken(std::string_view s, size_t pos)
{
    long long v = 0;
    size_t end = 0;
    if (matchLoc(s, pos, &v, &end))
        return end;
    for (std::string_view t : {"<sep>", "<poly>", "</poly>"})
        if (startsWith(s, pos, t))
            return pos + t.size();
    return 0;
}

size_t matchLocToken(std::string_view s, size_t pos)
{
    long long v = 0;
    size_t end = 0;
    return matchLoc(s, pos, &v, &end) ? end : 0;
}

using TokenMatcher = size_t (*)(std::string_view, size_t);

// findall of `([^<]+(?:TOKEN){4,})` (withText) or `(?:TOKEN){4,}`: [begin, end) of each chunk.
std::vector<std::pair<size_t, size_t>> findChunks(std::string_view text, bool withText, TokenMatcher token)
{
    std::vector<std::pair<size_t, size_t>> chunks;
    auto tokenRun = [&](size_t p, int *count) {
        *count = 0;
        for (size_t e; (e = token(text, p)) != 0; p = e)
            ++*count;
        return p;
    };
    size_t pos = 0;
    while (pos < text.size()) {
        if (!withText) {
            int count = 0;
            const size_t end = tokenRun(pos, &count);
            if (count >= 4) {
                chunks.emplace_back(pos, end);
                pos = end;
            } else {
                ++pos;
            }
            continue;
        }
        // Every start inside one run of non-'<' characters fails or succeeds alike, so a failed
        // run is skipped whole; a run may begin right after a '<' ("loc_1><loc_2>...").
        if (text[pos] == '<') {
            ++pos;
            continue;
        }
        const size_t runEnd = text.find('<', pos);
        if (runEnd == std::string_view::npos)
            break;
        int count = 0;
        const size_t end = tokenRun(runEnd, &count);
        if (count >= 4) {
            chunks.emplace_back(pos, end);
            pos = end;
        } else {
            pos = runEnd;
        }
    }
    return chunks;
}

// Python str.isspace() on the code point starting at pos of UTF-8 text; *len gets its length.
bool pythonSpaceAt(std::string_view s, size_t pos, size_t *len)
{
    const auto b0 = static_cast<unsigned char>(s[pos]);
    size_t n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 1;
    if (pos + n > s.size())
        n = 1;
    char32_t c = n == 1 ? b0 : n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (size_t i = 1; i < n; ++i)
        c = (c << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
    *len = n;
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
        || c == 0x3000;
}

// str.strip()
std::string pythonStrip(std::string_view s)
{
    size_t begin = 0;
    size_t len = 0;
    while (begin < s.size() && pythonSpaceAt(s, begin, &len))
        begin += len;
    size_t end = begin;
    for (size_t p = begin; p < s.size(); p += len)
        if (!pythonSpaceAt(s, p, &len))
            end = p + len;
    return std::string(s.substr(begin, end - begin));
}

// phrase.encode('ascii', errors='ignore').decode('ascii')
std::string asciiOnly(const std::string &s)
{
    std::string out;
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x80)
            out += c;
    return out;
}

// re.search(r'^\s*(.*?)(?=STOP|STOP|...)', s).group(): the text before the first stop that
// can be reached after the leading white space without crossing a '\n'; nullopt if none.
std::optional<std::string> phraseBeforeStops(std::string_view s, const std::vector<std::string> &stops)
{
    size_t p = 0;
    size_t len = 0;
    while (p < s.size() && pythonSpaceAt(s, p, &len))
        p += len;
    for (; p < s.size(); ++p) {
        for (const std::string &stop : stops)
            if (startsWith(s, p, stop))
                return std::string(s.substr(0, p));
        if (s[p] == '\n')
            return std::nullopt;
    }
    return std::nullopt;
}

// re.finditer(r'<loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)>', s)
std::vector<loc::Bins> locQuadruples(std::string_view s)
{
    std::vector<loc::Bins> out;
    size_t pos = 0;
    while (pos < s.size()) {
        loc::Bins bins {};
        size_t p = pos;
        int k = 0;
        for (; k < 4; ++k) {
            long long v = 0;
            size_t end = 0;
            if (!matchLoc(s, p, &v, &end))
                break;
            bins[k] = static_cast<int>(std::min<long long>(v, std::numeric_limits<int>::max()));
            p = end;
        }
        if (k == 4) {
            out.push_back(bins);
            pos = p;
        } else {
            ++pos;
        }
    }
    return out;
}

// CoordinatesQuantizer/BoxQuantizer.dequantize: even indices are x (width), odd are y (height).
std::vector<float> dequantizeCoords(const std::vector<long long> &bins, loc::ImageSize size)
{
    std::vector<float> out;
    out.reserve(bins.size());
    for (size_t i = 0; i < bins.size(); ++i) {
        const int bin = static_cast<int>(std::min<long long>(bins[i], std::numeric_limits<int>::max()));
        out.push_back(loc::dequantize(bin, i % 2 == 0 ? size.width : size.height));
    }
    return out;
}

// parse_phrase_grounding_from_text_and_spans
void parsePhraseGrounding(std::string text, loc::ImageSize size, Florence2Answer *answer)
{
    removeAll(text, "<s>");
    removeAll(text, "</s>");
    removeAll(text, "<pad>");
    for (const auto &[b, e] : findChunks(text, true, matchLocToken)) {
        const std::string_view chunk = std::string_view(text).substr(b, e - b);
        const std::optional<std::string> group = phraseBeforeStops(chunk, kPhraseStops);
        if (!group)
            continue;
        const std::string phrase = pythonStrip(*group);
        if (groundingBlacklist().count(phrase))
            continue;
        const std::string label = asciiOnly(phrase);
        for (const loc::Bins &bins : locQuadruples(chunk)) {
            answer->bboxes.push_back(loc::dequantizeBox(bins, size));
            answer->bboxLabels.push_back(label);
        }
    }
}

// parse_description_with_bboxes_from_text_and_spans(allow_empty_phrase=True): runs of four or
// more loc tokens, each quadruple a box with an empty label.
void parseBboxes(std::string text, loc::ImageSize size, Florence2Answer *answer)
{
    removeAll(text, "<s>");
    removeAll(text, "</s>");
    removeAll(text, "<pad>");
    for (const auto &[b, e] : findChunks(text, false, matchLocToken)) {
        for (const loc::Bins &bins : locQuadruples(std::string_view(text).substr(b, e - b))) {
            answer->bboxes.push_back(loc::dequantizeBox(bins, size));
            answer->bboxLabels.emplace_back();
        }
    }
}

// parse_ocr_from_text_and_spans: findall of `(.+?)<loc_(\d+)>` x 8 after deleting "<s>"
// (only that: "</s>" stays and can begin the first label).
void parseOcr(std::string text, loc::ImageSize size, Florence2Answer *answer)
{
    removeAll(text, "<s>");
    auto eightLocs = [&](size_t p, std::vector<long long> *values, size_t *end) {
        values->clear();
        for (int k = 0; k < 8; ++k) {
            long long v = 0;
            if (!matchLoc(text, p, &v, &p))
                return false;
            values->push_back(v);
        }
        *end = p;
        return true;
    };
    std::vector<long long> values;
    size_t pos = 0;
    while (pos < text.size()) {
        if (text[pos] == '\n') {
            ++pos;
            continue;
        }
        // The lazy (.+?) takes the shortest non-empty label on this line that eight locs follow;
        // when there is none, no start before the line break can match either.
        size_t q = pos + 1;
        size_t end = 0;
        bool found = false;
        for (; q <= text.size(); ++q) {
            if (text[q - 1] == '\n')
                break;
            if (q < text.size() && text[q] == '<' && eightLocs(q, &values, &end)) {
                found = true;
                break;
            }
        }
        if (!found) {
            pos = q;
            continue;
        }
        const std::vector<float> coords = dequantizeCoords(values, size);
        std::array<float, 8> quad {};
        std::copy(coords.begin(), coords.end(), quad.begin());
        answer->quadBoxes.push_back(quad);
        answer->quadLabels.push_back(text.substr(pos, q - pos));
        pos = end;
    }
}

// re.finditer(r'((?:<loc_\d+>)+)(?:<sep>|$)', s): runs of loc tokens that end at a <sep> or at
// the end of `s`; the values of each run.
std::vector<std::vector<long long>> polygonRuns(std::string_view s)
{
    std::vector<std::vector<long long>> runs;
    size_t pos = 0;
    while (pos < s.size()) {
        std::vector<long long> values;
        size_t p = pos;
        long long v = 0;
        for (size_t end = 0; matchLoc(s, p, &v, &end); p = end)
            values.push_back(v);
        if (values.empty()) {
            ++pos;
            continue;
        }
        if (startsWith(s, p, "<sep>")) {
            runs.push_back(std::move(values));
            pos = p + 5;
        } else if (p == s.size()) {
            runs.push_back(std::move(values));
            pos = p;
        } else {
            pos = p; // later starts inside this run end at the same place and fail too
        }
    }
    return runs;
}

// re.finditer(r'<poly>(.*?)</poly>', s).group(1) for each match.
std::vector<std::string_view> polyGroups(std::string_view s)
{
    std::vector<std::string_view> groups;
    size_t pos = 0;
    while ((pos = s.find("<poly>", pos)) != std::string_view::npos) {
        const size_t inner = pos + 6;
        const size_t close = s.find("</poly>", inner);
        const size_t newline = s.find('\n', inner);
        if (close == std::string_view::npos || (newline != std::string_view::npos && newline < close)) {
            ++pos;
            continue;
        }
        groups.push_back(s.substr(inner, close - inner));
        pos = close + 7;
    }
    return groups;
}

// parse_description_with_polygons_from_text_and_spans (with_box_at_start=False)
void parsePolygons(std::string text, bool allowEmptyPhrase, loc::ImageSize size, Florence2Answer *answer)
{
    removeAll(text, "<s>");
    removeAll(text, "</s>");
    removeAll(text, "<pad>");
    for (const auto &[b, e] : findChunks(text, !allowEmptyPhrase, matchPolygonToken)) {
        const std::string_view chunk = std::string_view(text).substr(b, e - b);
        // re.sub(r'^loc_\d+>', '', chunk, count=1): a chunk may start inside a loc token.
        std::string_view stripped = chunk;
        if (startsWith(chunk, 0, "loc_")) {
            size_t p = 4;
            while (p < chunk.size() && chunk[p] >= '0' && chunk[p] <= '9')
                ++p;
            if (p > 4 && p < chunk.size() && chunk[p] == '>')
                stripped = chunk.substr(p + 1);
        }
        if (stripped.empty() && !allowEmptyPhrase)
            continue;
        const std::optional<std::string> group = phraseBeforeStops(stripped, kPolygonPhraseStops);
        if (!group)
            continue;
        const std::string phrase = pythonStrip(*group);

        std::vector<std::string_view> instances;
        if (chunk.find("<poly>") != std::string_view::npos && chunk.find("</poly>") != std::string_view::npos)
            instances = polyGroups(chunk);
        else
            instances = {chunk};
        for (std::string_view instance : instances) {
            const std::vector<std::vector<long long>> runs = polygonRuns(instance);
            if (runs.empty())
                continue;
            std::vector<std::vector<float>> polygons;
            for (std::vector<long long> run : runs) {
                if (run.size() % 2 == 1)
                    run.pop_back(); // an unpaired last coordinate is dropped
                polygons.push_back(dequantizeCoords(run, size));
            }
            answer->polygons.push_back(std::move(polygons));
            answer->polygonLabels.push_back(phrase);
        }
    }
}

} // namespace

Florence2Answer postProcessGeneration(
    std::string_view generatedText, std::string_view task, loc::ImageSize imageSize)
{
    return postProcessGeneration(generatedText, postProcessKindForTask(task), imageSize);
}

Florence2Answer postProcessGeneration(
    std::string_view generatedText, PostProcessKind kind, loc::ImageSize imageSize)
{
    Florence2Answer answer;
    answer.kind = kind;
    const std::string text(generatedText);
    switch (kind) {
    case PostProcessKind::PureText:
        answer.text = text;
        removeAll(answer.text, "<s>");
        removeAll(answer.text, "</s>");
        break;
    case PostProcessKind::Ocr:
        parseOcr(text, imageSize, &answer);
        break;
    case PostProcessKind::DescriptionWithBboxes: {
        loc::OdResult od = loc::postProcessOd(text, imageSize);
        answer.bboxes = std::move(od.bboxes);
        answer.bboxLabels = std::move(od.labels);
        break;
    }
    case PostProcessKind::PhraseGrounding:
        parsePhraseGrounding(text, imageSize, &answer);
        break;
    case PostProcessKind::Polygons:
        parsePolygons(text, true, imageSize, &answer);
        break;
    case PostProcessKind::DescriptionWithBboxesOrPolygons:
        if (text.find("<poly>") != std::string::npos) {
            parsePolygons(text, false, imageSize, &answer);
        } else {
            loc::OdResult od = loc::postProcessOd(text, imageSize);
            answer.bboxes = std::move(od.bboxes);
            answer.bboxLabels = std::move(od.labels);
        }
        break;
    case PostProcessKind::Bboxes:
        parseBboxes(text, imageSize, &answer);
        break;
    }
    return answer;
}

} // namespace fmw::text
