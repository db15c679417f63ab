// Byte-level BPE tokenizer against the Rust `tokenizers` goldens (300 encodes, 17 decodes),
// both ways of loading it, and the building blocks (Unicode classes, GPT-2 split, lossy UTF-8).
#include "engine/engine_test.h"

#include "engine/engine_fixtures.h"
#include "engine/text/bpe_tokenizer.h"
#include "engine/text/byte_level.h"
#include "engine/text/unicode_classes.h"
#include "engine/text/utf8.h"

#include <cstdio>
#include <fstream>
#include <thread>
#include <unistd.h>

using fmw::text::BpeTokenizer;
using nlohmann::json;

namespace {

const std::string kTokenizerDir = "fixtures/florence2-tokenizer/";

std::string fixture(const std::string &name)
{
    return fmwtest::engineSharedPath(kTokenizerDir + name);
}

// The first few failures of a data-driven loop, one per line, for QVERIFY2.
std::string report(const std::vector<std::string> &failures, size_t total)
{
    std::string s = std::to_string(failures.size()) + " of " + std::to_string(total) + " cases failed";
    for (size_t i = 0; i < failures.size() && i < 5; ++i)
        s += "\n  " + failures[i];
    return s;
}

const BpeTokenizer &florenceTokenizer()
{
    static const auto tok = [] {
        auto t = BpeTokenizer::fromTokenizerJson(fixture("tokenizer.json"));
        if (!t) {
            std::fprintf(stderr, "FAIL: %s\n", t.error().toString().c_str());
            std::abort();
        }
        return *t;
    }();
    return tok;
}

// The mismatching fields of one encode golden row, empty when all match.
std::string encodeMismatch(const BpeTokenizer &tok, const json &row)
{
    const std::string text = row["text"].get<std::string>();
    const fmw::text::Encoding enc = tok.encodeWithTokens(text);
    std::string bad;
    if (enc.ids != row["ids"].get<std::vector<int>>())
        bad += " ids=" + json(enc.ids).dump();
    if (enc.tokens != row["tokens"].get<std::vector<std::string>>())
        bad += " tokens=" + json(enc.tokens).dump();
    if (tok.encode(text, false) != row["ids_no_special"].get<std::vector<int>>())
        bad += " ids_no_special";
    return bad.empty() ? bad : json(text).dump() + ":" + bad;
}

// The mismatching decode variants of a row holding ids and the four decoded strings.
std::string decodeMismatch(const BpeTokenizer &tok, const json &row)
{
    const auto ids = row["ids"].get<std::vector<int>>();
    std::string bad;
    const struct {
        const char *field;
        bool skip;
        bool cleanUp;
    } variants[] = {{"decoded", false, true}, {"decoded_raw", false, false},
        {"decoded_skip_special", true, true}, {"decoded_skip_special_raw", true, false}};
    for (const auto &v : variants) {
        const std::string got = tok.decode(ids, v.skip, v.cleanUp);
        if (got != row[v.field].get<std::string>())
            bad += std::string(" ") + v.field + "=" + json(got).dump();
    }
    return bad.empty() ? bad : row["ids"].dump() + ":" + bad;
}

// A file in /tmp holding `content`, removed when the test function ends.
struct TempFile {
    std::string path;
    TempFile(const std::string &name, const std::string &content)
        : path("/tmp/fmw_tst_text_" + std::to_string(::getpid()) + "_" + name)
    {
        std::ofstream(path, std::ios::binary) << content;
    }
    ~TempFile() { std::remove(path.c_str()); }
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;
};

} // namespace

class TestBpeTokenizer : public QObject {
    Q_OBJECT
private slots:
    void encodesAllGoldens();
    void decodesEncodeGoldens();
    void decodesDecodeGoldens();
    void vocabAndMergesFilesMatchTokenizerJson();
    void specialTokensAndVocabulary();
    void tinyVocabularyMergesAndPairForm();
    void loadErrorsNameTheFile();
    void preTokenizerSplitsLikeGpt2();
    void unicodeClassesAndLossyUtf8();
    void concurrentEncodesAgree();
};

void TestBpeTokenizer::encodesAllGoldens()
{
    const auto rows = fmwtest::readJsonLines(fixture("golden_encode.jsonl"));
    QCOMPARE(rows.size(), size_t(300));
    std::vector<std::string> failures;
    for (const json &row : rows)
        if (const std::string bad = encodeMismatch(florenceTokenizer(), row); !bad.empty())
            failures.push_back(bad);
    QVERIFY2(failures.empty(), report(failures, rows.size()).c_str());
}

void TestBpeTokenizer::decodesEncodeGoldens()
{
    const auto rows = fmwtest::readJsonLines(fixture("golden_encode.jsonl"));
    std::vector<std::string> failures;
    for (const json &row : rows)
        if (const std::string bad = decodeMismatch(florenceTokenizer(), row); !bad.empty())
            failures.push_back(bad);
    QVERIFY2(failures.empty(), report(failures, rows.size()).c_str());
}

void TestBpeTokenizer::decodesDecodeGoldens()
{
    const auto rows = fmwtest::readJsonLines(fixture("golden_decode.jsonl"));
    QCOMPARE(rows.size(), size_t(17));
    std::vector<std::string> failures;
    for (const json &row : rows)
        if (const std::string bad = decodeMismatch(florenceTokenizer(), row); !bad.empty())
            failures.push_back(row["note"].get<std::string>() + ": " + bad);
    QVERIFY2(failures.empty(), report(failures, rows.size()).c_str());
    // The configured clean-up (tokenizer_config.json says true) is the one-argument default.
    QVERIFY(florenceTokenizer().decode({31414, 2156, 232, 479})
        == florenceTokenizer().decode({31414, 2156, 232, 479}, false, true));
}

void TestBpeTokenizer::vocabAndMergesFilesMatchTokenizerJson()
{
    auto files = BpeTokenizer::fromVocabAndMerges(fixture("vocab.json"), fixture("merges.txt"),
        fixture("added_tokens.json"), fixture("tokenizer_config.json"));
    QVERIFY2(files.ok(), files.ok() ? "" : files.error().toString().c_str());
    QCOMPARE(files->vocabSize(), 51289);
    const auto rows = fmwtest::readJsonLines(fixture("golden_encode.jsonl"));
    std::vector<std::string> failures;
    for (const json &row : rows) {
        std::string bad = encodeMismatch(*files, row);
        bad += decodeMismatch(*files, row);
        if (!bad.empty())
            failures.push_back(bad);
    }
    QVERIFY2(failures.empty(), report(failures, rows.size()).c_str());

    // Without tokenizer_config.json the Florence tokens still count as special.
    auto bare = BpeTokenizer::fromVocabAndMerges(
        fixture("vocab.json"), fixture("merges.txt"), fixture("added_tokens.json"));
    QVERIFY(bare.ok());
    QVERIFY(bare->encode("a <mask> b<loc_7>") == florenceTokenizer().encode("a <mask> b<loc_7>"));
    QVERIFY(bare->decode({2, 0, 50276, 27289, 2}, true) == "mass");

    // A folder with tokenizer.json uses it, and takes clean_up_tokenization_spaces from its config.
    auto dir = BpeTokenizer::fromDirectory(fmwtest::engineSharedPath(kTokenizerDir));
    QVERIFY(dir.ok());
    QVERIFY(dir->cleanUpTokenizationSpaces());
    QVERIFY(dir->encode("nodule <loc_100>") == std::vector<int>({0, 282, 1630, 7590, 1437, 50369, 2}));
}

void TestBpeTokenizer::specialTokensAndVocabulary()
{
    const BpeTokenizer &tok = florenceTokenizer();
    QCOMPARE(tok.vocabSize(), 51289);
    QCOMPARE(tok.bosTokenId(), 0);
    QCOMPARE(tok.eosTokenId(), 2);
    QCOMPARE(tok.padTokenId(), 1);
    QCOMPARE(tok.tokenToId("<loc_0>").value_or(-1), 50269);
    QCOMPARE(tok.tokenToId("<loc_999>").value_or(-1), 51268);
    QCOMPARE(tok.tokenToId("<and>").value_or(-1), 51288);
    QCOMPARE(tok.tokenToId("What").value_or(-1), 2264);
    QVERIFY(!tok.tokenToId("<OD>").has_value());
    QVERIFY(tok.idToToken(20920) == "ĠHello");
    QVERIFY(tok.idToToken(51283) == "</region_to_desciption>");
    QVERIFY(tok.idToToken(99999).empty());
    QVERIFY(tok.isSpecial(50300) && tok.isSpecial(0) && !tok.isSpecial(2264));
    // Unknown ids are dropped, as HF does.
    QVERIFY(tok.decode({31414, 99999, -5}) == "Hello");
    QVERIFY(BpeTokenizer::cleanUpTokenization("a , b . c ' d n't e 's") == "a, b. c'dn't e's");
}

void TestBpeTokenizer::tinyVocabularyMergesAndPairForm()
{
    // "aaaa" merges pairwise left to right ("aa" "aa", then "aaaa"); "aaa" leaves "aa" "a".
    const std::string vocab
        = R"({"a": 0, "b": 1, "aa": 2, "aaaa": 3, "ab": 4, "<s>": 5, "</s>": 6, "Ġ": 7, "Ġa": 8})";
    auto make = [&](const std::string &merges) {
        return R"({"version": "1.0", "added_tokens": [{"id": 5, "content": "<s>", "special": true},
            {"id": 6, "content": "</s>", "special": true}], "normalizer": null,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
            "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 6], "cls": ["<s>", 5]},
            "decoder": {"type": "ByteLevel"},
            "model": {"type": "BPE", "dropout": null, "vocab": )"
            + vocab + R"(, "merges": )" + merges + "}}";
    };
    auto strings = BpeTokenizer::fromTokenizerJson(
        TempFile("strings.json", make(R"(["a a", "aa aa", "a b", "Ġ a"])")).path);
    auto pairs = BpeTokenizer::fromTokenizerJson(
        TempFile("pairs.json", make(R"([["a", "a"], ["aa", "aa"], ["a", "b"], ["Ġ", "a"]])")).path);
    QVERIFY2(strings.ok(), strings.ok() ? "" : strings.error().toString().c_str());
    QVERIFY2(pairs.ok(), pairs.ok() ? "" : pairs.error().toString().c_str());
    for (const BpeTokenizer *t : {&*strings, &*pairs}) {
        QVERIFY(t->encode("aaaa") == std::vector<int>({5, 3, 6}));
        QVERIFY(t->encode("aaa", false) == std::vector<int>({2, 0}));
        // Rank order: "a a" (0) beats "a b" (2); "a b" (2) beats "Ġ a" (3).
        QVERIFY(t->encode("aab ab", false) == std::vector<int>({2, 1, 7, 4}));
        QVERIFY(t->decode({5, 3, 8, 6}, true) == "aaaa a");
    }
}

void TestBpeTokenizer::loadErrorsNameTheFile()
{
    auto missing = BpeTokenizer::fromTokenizerJson("/nonexistent/tokenizer.json");
    QVERIFY(!missing.ok());
    QVERIFY(missing.error().code == fmw::ErrorCode::Io);
    QVERIFY(missing.error().path == "/nonexistent/tokenizer.json");

    const TempFile badMergeFile("badmerge.json",
        R"({"pre_tokenizer": {"type": "ByteLevel"},)"
        R"( "model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}})");
    const std::string &badMergePath = badMergeFile.path;
    auto badMerge = BpeTokenizer::fromTokenizerJson(badMergePath);
    QVERIFY(!badMerge.ok());
    QVERIFY(badMerge.error().path == badMergePath);
    QVERIFY2(badMerge.error().message.find("'ab'") != std::string::npos, badMerge.error().message.c_str());

    auto wordPiece = BpeTokenizer::fromTokenizerJson(
        TempFile("wp.json", R"({"model": {"type": "WordPiece", "vocab": {}}})").path);
    QVERIFY(!wordPiece.ok());
    QVERIFY(wordPiece.error().code == fmw::ErrorCode::Unsupported);

    auto notJson = BpeTokenizer::fromTokenizerJson(TempFile("broken.json", "{\"model\": ").path);
    QVERIFY(!notJson.ok());
    QVERIFY(notJson.error().code == fmw::ErrorCode::Parse);

    const TempFile mergesFile("merges.txt", "#version: 0.2\na b\nab\n");
    const std::string &mergesPath = mergesFile.path;
    auto badLine = BpeTokenizer::fromVocabAndMerges(fixture("vocab.json"), mergesPath);
    QVERIFY(!badLine.ok());
    QCOMPARE(badLine.error().line, 3);
    QVERIFY(badLine.error().path == mergesPath);

    auto emptyDir = BpeTokenizer::fromDirectory("/nonexistent-model-dir");
    QVERIFY(!emptyDir.ok());
    QVERIFY(emptyDir.error().message.find("tokenizer.json") != std::string::npos);
}

void TestBpeTokenizer::preTokenizerSplitsLikeGpt2()
{
    const struct {
        const char *text;
        std::vector<std::string> pieces;
    } cases[] = {
        {"a   b", {"a", "  ", " b"}},
        {"IT'S it's we'll", {"IT", "'", "S", " it", "'s", " we", "'ll"}},
        {"x\n\n  y", {"x", "\n\n ", " y"}},
        {"\ny", {"\n", "y"}},
        {"end  ", {"end", "  "}},
        {"1.5cm!! ", {"1", ".", "5", "cm", "!!", " "}},
        {"caf\xC3\xA9 \xE7\xBB\x93\xE8\x8A\x82", {"caf\xC3\xA9", " \xE7\xBB\x93\xE8\x8A\x82"}},
        {"a\xE2\x80\xA8"
         "b",
            {"a", "\xE2\x80\xA8", "b"}}, // U+2028 is \s
        {"a\x1c"
         "b",
            {"a", "\x1c", "b"}}, // U+001C is not \s here
        {"''s", {"''", "s"}},
    };
    std::vector<std::string> failures;
    for (const auto &c : cases) {
        std::vector<std::pair<size_t, size_t>> ranges;
        fmw::text::ByteLevel::split(c.text, &ranges);
        std::vector<std::string> got;
        for (const auto &[b, e] : ranges)
            got.emplace_back(std::string(c.text).substr(b, e - b));
        if (got != c.pieces)
            failures.push_back(json(c.text).dump() + " -> " + json(got).dump());
    }
    QVERIFY2(failures.empty(), report(failures, std::size(cases)).c_str());
    QVERIFY(fmw::text::ByteLevel::toByteLevel(" \n\xA0") == "\xC4\xA0\xC4\x8A\xC5\x82"); // Ġ Ċ ł
}

void TestBpeTokenizer::unicodeClassesAndLossyUtf8()
{
    using fmw::text::CharClass;
    using fmw::text::charClass;
    QVERIFY(charClass(U'a') == CharClass::Letter && charClass(U'\u00E9') == CharClass::Letter);
    QVERIFY(charClass(U'\u7ED3') == CharClass::Letter && charClass(U'\u02B0') == CharClass::Letter); // Lo, Lm
    QVERIFY(charClass(U'7') == CharClass::Number && charClass(U'\u0663') == CharClass::Number);
    QVERIFY(charClass(U'\u00BD') == CharClass::Number && charClass(U'\u216B') == CharClass::Number); // No, Nl
    QVERIFY(charClass(U' ') == CharClass::Space && charClass(U'\u3000') == CharClass::Space);
    QVERIFY(charClass(U'\u0085') == CharClass::Space && charClass(U'\u2029') == CharClass::Space);
    QVERIFY(charClass(U'\u200B') == CharClass::Other && charClass(U'\u001C') == CharClass::Other);
    QVERIFY(charClass(U'\u0301') == CharClass::Other && charClass(U'\U0001F600') == CharClass::Other);
    QVERIFY(charClass(U'\U00020000') == CharClass::Letter && charClass(0x10FFFF) == CharClass::Other);

    using fmw::text::toValidUtf8;
    const std::string r = "\xEF\xBF\xBD";
    QVERIFY(toValidUtf8("ok\xC3\xA9") == "ok\xC3\xA9");
    QVERIFY(toValidUtf8("\xE7\xBB") == r); // truncated: one replacement
    QVERIFY(toValidUtf8("\xF0\x9F\x98"
                        "a")
        == r + "a");
    QVERIFY(toValidUtf8("\xC0\x80") == r + r); // overlong: each byte
    QVERIFY(toValidUtf8("\xED\xA0\x80") == r + r + r); // surrogate
    QVERIFY(toValidUtf8("\xF4\x90\x80\x80") == r + r + r + r);
    QVERIFY(!fmw::text::isValidUtf8("\xFF") && fmw::text::isValidUtf8("\xF4\x8F\xBF\xBF"));
    // Invalid input bytes are read as U+FFFD.
    QVERIFY(florenceTokenizer().encode("a\xFF") == florenceTokenizer().encode("a\xEF\xBF\xBD"));
}

void TestBpeTokenizer::concurrentEncodesAgree()
{
    // A fresh tokenizer so that the threads race to fill its cache.
    auto fresh = BpeTokenizer::fromTokenizerJson(fixture("tokenizer.json"));
    QVERIFY(fresh.ok());
    const auto rows = fmwtest::readJsonLines(fixture("golden_encode.jsonl"));
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (size_t i = 0; i < rows.size(); ++i) {
                const json &row = rows[(i * 7 + static_cast<size_t>(t) * 31) % rows.size()];
                if (fresh->encode(row["text"].get<std::string>()) != row["ids"].get<std::vector<int>>())
                    ++failures[static_cast<size_t>(t)];
            }
        });
    }
    for (std::thread &th : threads)
        th.join();
    QVERIFY(failures == std::vector<int>(4, 0));
}

FMW_TEST_MAIN(TestBpeTokenizer, encodesAllGoldens, decodesEncodeGoldens, decodesDecodeGoldens,
    vocabAndMergesFilesMatchTokenizerJson, specialTokensAndVocabulary, tinyVocabularyMergesAndPairForm,
    loadErrorsNameTheFile, preTokenizerSplitsLikeGpt2, unicodeClassesAndLossyUtf8, concurrentEncodesAgree)
#ifdef FMW_HAVE_QTTEST
#include "tst_bpe_tokenizer.moc"
#endif
