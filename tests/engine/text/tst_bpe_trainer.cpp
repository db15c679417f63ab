// Byte-level BPE training (BpeTrainer) and the Florence-2 tokenizer.json written from it: merges
// on hand-made corpora equal hand-computed ones, the tokenizer learned from the bundled demo
// captions loads with BpeTokenizer::fromDirectory and round-trips every demo text exactly, its
// special ids and added tokens match the real Florence-2 tokenizer, the processor's prompt and
// <OD> post-processing work with it, and the output is deterministic.
#include "engine/engine_test.h"

#include "engine/engine_fixtures.h"
#include "engine/text/bpe_tokenizer.h"
#include "engine/text/bpe_trainer.h"
#include "engine/text/florence2_processor.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using fmw::text::BpeTokenizer;
using fmw::text::BpeTrainer;
using fmw::text::BpeTrainerOptions;
using fmw::text::LearnedBpe;
using nlohmann::json;
namespace ftok = fmw::text::florence2_tokens;

namespace {

constexpr int kDemoVocabSize = 660; // writeDemoModel's default: 4 specials + 256 bytes + 400 merges

struct Record {
    std::string prefix;
    std::string suffix;
};

// Every record of resources/demo-dataset/*.jsonl, files in name order.
const std::vector<Record> &demoRecords()
{
    static const std::vector<Record> records = [] {
        const std::string dir = std::string(FMW_SOURCE_DIR) + "/resources/demo-dataset";
        std::vector<std::string> files;
        for (const auto &entry : std::filesystem::directory_iterator(dir))
            if (entry.path().extension() == ".jsonl")
                files.push_back(entry.path().string());
        std::sort(files.begin(), files.end());
        if (files.empty()) {
            std::fprintf(stderr, "FAIL: no *.jsonl in %s\n", dir.c_str());
            std::abort();
        }
        std::vector<Record> out;
        for (const std::string &file : files)
            for (const json &row : fmwtest::readJsonLines(file))
                out.push_back({row.at("prefix").get<std::string>(), row.at("suffix").get<std::string>()});
        return out;
    }();
    return records;
}

std::vector<std::string> demoCorpus()
{
    std::vector<std::string> corpus;
    for (const Record &r : demoRecords())
        corpus.push_back(r.suffix);
    return corpus;
}

LearnedBpe learn(const std::vector<std::string> &corpus, const BpeTrainerOptions &options)
{
    BpeTrainer trainer(options);
    trainer.feed(corpus);
    auto learned = trainer.train();
    if (!learned)
        throw std::runtime_error(learned.error().toString());
    return *learned;
}

std::string learnDemoTokenizerJson(const std::vector<std::string> &corpus)
{
    return fmw::text::florence2TokenizerJson(learn(corpus, ftok::trainerOptions(kDemoVocabSize)));
}

// A fresh folder in /tmp, removed with its files when the test function ends.
struct TempDir {
    std::string path;
    TempDir()
    {
        std::string tmpl = "/tmp/fmw_tst_bpe_trainer_XXXXXX";
        if (!::mkdtemp(tmpl.data()))
            throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    void write(const std::string &name, const std::string &content) const
    {
        std::ofstream(path + "/" + name, std::ios::binary) << content;
    }
};

// The demo tokenizer written to a folder and loaded back, as a model folder holds it.
const BpeTokenizer &demoTokenizer()
{
    static const BpeTokenizer tok = [] {
        TempDir dir;
        dir.write("tokenizer.json", learnDemoTokenizerJson(demoCorpus()));
        dir.write("tokenizer_config.json", fmw::text::florence2TokenizerConfigJson(128));
        auto t = BpeTokenizer::fromDirectory(dir.path);
        if (!t) {
            std::fprintf(stderr, "FAIL: %s\n", t.error().toString().c_str());
            std::abort();
        }
        return *t;
    }();
    return tok;
}

std::vector<std::string> mergeStrings(const LearnedBpe &bpe)
{
    std::vector<std::string> out;
    for (const auto &[a, b] : bpe.merges)
        out.push_back(a + " " + b);
    return out;
}

// Id of `token` in a learned vocabulary, -1 if absent.
int idOf(const LearnedBpe &bpe, const std::string &token)
{
    for (const auto &[t, id] : bpe.vocab)
        if (t == token)
            return id;
    return -1;
}

} // namespace

class TestBpeTrainer : public QObject {
    Q_OBJECT
private slots:
    void mergesEqualHandComputedOnes();
    void minFrequencyAndVocabSizeStopTraining();
    void addedTokensAreCutOutOfTheCorpus();
    void rejectsTooSmallVocabulary();
    void demoCaptionsRoundTripExactly();
    void demoCaptionsAreShort();
    void specialIdsAreFlorences();
    void everyLocTokenIsOneToken();
    void addedTokensEqualTheRealTokenizers();
    void processorPromptsAndOdParsingWork();
    void outputIsDeterministic();
};

void TestBpeTrainer::mergesEqualHandComputedOnes()
{
    // Pre-tokens "ab", " ab" (Ġab) and "ba". Pair counts: (a,b) 2, (Ġ,a) 1, (b,a) 1.
    // 1. a b (count 2) -> words [ab] [Ġ ab] [b a]
    // 2. (Ġ,ab) and (b,a) both 1: b (id 4+65) < Ġ (id 4+220), so b a
    // 3. Ġ ab
    BpeTrainerOptions o;
    o.vocabSize = 4 + 256 + 10;
    o.minFrequency = 1;
    const LearnedBpe bpe = learn({"ab ab", "ba"}, o);
    QCOMPARE(mergeStrings(bpe), (std::vector<std::string> {"a b", "b a", "Ġ ab"}));
    QCOMPARE(bpe.vocab.size(), size_t(4 + 256 + 3));
    QCOMPARE(idOf(bpe, "<s>"), 0);
    QCOMPARE(idOf(bpe, "<unk>"), 3);
    QCOMPARE(idOf(bpe, "!"), 4); // the byte alphabet in code-point order: '!' (0x21) first
    QCOMPARE(idOf(bpe, "a"), 4 + 0x61 - 0x21);
    QCOMPARE(idOf(bpe, "Ġ"), 4 + 188 + 0x20); // after the 188 printable bytes, by byte value
    QCOMPARE(idOf(bpe, "ab"), 260);
    QCOMPARE(idOf(bpe, "ba"), 261);
    QCOMPARE(idOf(bpe, "Ġab"), 262);

    // Counts weigh pre-tokens by frequency and count overlapping pairs. Pre-tokens: aaa x2,
    // Ġbc x2, bc x1, so (a,a) 4, (b,c) 3, (Ġ,b) 2.
    // 1. a a: "aaa" merges left to right into [aa a]  2. b c (3)
    // 3. (Ġ,bc) and (aa,a) both 2: Ġ (224) < aa (260), so Ġ bc  4. aa a
    const LearnedBpe second = learn({"aaa bc", "aaa bc", "bc"}, o);
    QCOMPARE(mergeStrings(second), (std::vector<std::string> {"a a", "b c", "Ġ bc", "aa a"}));
}

void TestBpeTrainer::minFrequencyAndVocabSizeStopTraining()
{
    BpeTrainerOptions o;
    o.vocabSize = 4 + 256 + 10;
    o.minFrequency = 2;
    QCOMPARE(mergeStrings(learn({"ab ab", "ba"}, o)), (std::vector<std::string> {"a b"}));
    o.minFrequency = 1;
    o.vocabSize = 4 + 256 + 2;
    QCOMPARE(mergeStrings(learn({"ab ab", "ba"}, o)), (std::vector<std::string> {"a b", "b a"}));
    o.vocabSize = 4 + 256;
    QVERIFY(learn({"ab ab", "ba"}, o).merges.empty());
}

void TestBpeTrainer::addedTokensAreCutOutOfTheCorpus()
{
    BpeTrainer trainer(ftok::trainerOptions(kDemoVocabSize));
    trainer.feed("nodule<loc_1><loc_22><loc_333><loc_999>pleural effusion<loc_0><loc_0><loc_5><loc_5><s>");
    const std::map<std::string, int64_t> expected {{"nodule", 1}, {"pleural", 1}, {"Ġeffusion", 1}};
    QCOMPARE(trainer.wordCounts(), expected);
}

void TestBpeTrainer::rejectsTooSmallVocabulary()
{
    BpeTrainerOptions o;
    o.vocabSize = 259;
    BpeTrainer trainer(o);
    trainer.feed("abc");
    const auto r = trainer.train();
    QVERIFY(!r);
    QVERIFY2(r.error().message.find("at least 260") != std::string::npos, r.error().message.c_str());
}

void TestBpeTrainer::demoCaptionsRoundTripExactly()
{
    const BpeTokenizer &tok = demoTokenizer();
    QVERIFY(!tok.cleanUpTokenizationSpaces());
    std::vector<std::string> failures;
    for (const Record &r : demoRecords()) {
        const std::vector<int> ids = tok.encode(r.suffix);
        if (tok.decode(ids, true) != r.suffix && r.prefix != "<OD>")
            failures.push_back("skip-special: " + r.suffix);
        if (tok.decode(ids, false) != "<s>" + r.suffix + "</s>")
            failures.push_back("with specials: " + r.suffix);
        if (tok.decode(tok.encode(r.suffix, false)) != r.suffix)
            failures.push_back("no specials: " + r.suffix);
    }
    const std::string message = failures.empty()
        ? std::string()
        : std::to_string(failures.size()) + " failed, first: " + failures[0];
    QVERIFY2(failures.empty(), message.c_str());
    QCOMPARE(demoRecords().size(), size_t(129));
}

void TestBpeTrainer::demoCaptionsAreShort()
{
    const BpeTokenizer &tok = demoTokenizer();
    size_t longestCaption = 0;
    size_t total = 0;
    size_t captions = 0;
    for (const Record &r : demoRecords()) {
        const size_t n = tok.encode(r.suffix, false).size();
        if (r.prefix == "<CAPTION>") {
            longestCaption = std::max(longestCaption, n);
            total += n;
            ++captions;
        }
        // A whole demo word is one token once it occurs twice: no text is longer than its words
        // and punctuation, with one token per <loc_N>.
        QVERIFY2(n <= 48, r.suffix.c_str());
    }
    QVERIFY2(longestCaption <= 20, std::to_string(longestCaption).c_str());
    QVERIFY2(total <= 10 * captions, std::to_string(total).c_str());
    // Training stopped at minFrequency: every word seen twice became one token.
    QCOMPARE(tok.encode("Right pneumothorax. Endotracheal tube in place.", false).size(), size_t(8));
}

void TestBpeTrainer::specialIdsAreFlorences()
{
    const BpeTokenizer &tok = demoTokenizer();
    QCOMPARE(tok.tokenToId("<s>").value_or(-1), 0);
    QCOMPARE(tok.tokenToId("<pad>").value_or(-1), 1);
    QCOMPARE(tok.tokenToId("</s>").value_or(-1), 2);
    QCOMPARE(tok.tokenToId("<unk>").value_or(-1), 3);
    QCOMPARE(tok.bosTokenId(), 0);
    QCOMPARE(tok.padTokenId(), 1);
    QCOMPARE(tok.eosTokenId(), 2);
    QVERIFY(tok.isSpecial(0) && tok.isSpecial(1) && tok.isSpecial(2) && tok.isSpecial(3));
    QCOMPARE(tok.encode(""), (std::vector<int> {0, 2}));
    // The byte symbols follow the specials: ids 4..259 are single bytes.
    QCOMPARE(tok.idToToken(4), std::string("!"));
    QCOMPARE(tok.idToToken(259), std::string("\xC5\x83")); // U+0143, the last remapped byte (0xAD)
    // ids are dense: vocabulary, <mask>, then the 1024 Florence tokens.
    const int mask = tok.tokenToId("<mask>").value_or(-1);
    QCOMPARE(tok.vocabSize(), mask + 1 + 1024);
    QCOMPARE(tok.tokenToId("<od>").value_or(-1), mask + 1);
    QCOMPARE(tok.tokenToId("<and>").value_or(-1), mask + 1024);
}

void TestBpeTrainer::everyLocTokenIsOneToken()
{
    const BpeTokenizer &tok = demoTokenizer();
    const int loc0 = tok.tokenToId("<loc_0>").value_or(-1);
    QVERIFY(loc0 > 0);
    for (int n = 0; n < 1000; ++n) {
        const std::string loc = "<loc_" + std::to_string(n) + ">";
        const std::vector<int> ids = tok.encode(loc, false);
        QVERIFY2(ids == std::vector<int> {loc0 + n}, loc.c_str());
        QVERIFY(tok.isSpecial(loc0 + n));
    }
    // Inside text too, as the <OD> targets have them.
    const std::vector<int> ids = tok.encode("nodule<loc_1><loc_2><loc_3><loc_4>", false);
    QCOMPARE(ids.size(), size_t(5));
    QCOMPARE(ids.back(), loc0 + 4);
}

void TestBpeTrainer::addedTokensEqualTheRealTokenizers()
{
    const std::string path = fmwtest::engineSharedPath("fixtures/florence2-tokenizer/tokenizer.json");
    std::ifstream in(path);
    QVERIFY2(in.good(), path.c_str());
    const json real = json::parse(in);
    const json ours = json::parse(learnDemoTokenizerJson(demoCorpus()));
    const json &a = real.at("added_tokens");
    const json &b = ours.at("added_tokens");
    QCOMPARE(a.size(), size_t(1029));
    QCOMPARE(b.size(), a.size());
    // <mask> ends each BPE vocabulary; from there on the ids run in the same order.
    const int realMask = real.at("model").at("vocab").at("<mask>").get<int>();
    const int ourMask = ours.at("model").at("vocab").at("<mask>").get<int>();
    QCOMPARE(realMask + 1, int(real.at("model").at("vocab").size()));
    QCOMPARE(ourMask + 1, int(ours.at("model").at("vocab").size()));
    for (size_t i = 0; i < a.size(); ++i) {
        const std::string what
            = "added token " + std::to_string(i) + ": " + b[i].dump() + " vs " + a[i].dump();
        for (const char *key : {"content", "single_word", "lstrip", "rstrip", "normalized", "special"})
            QVERIFY2(a[i].at(key) == b[i].at(key), what.c_str());
        const int realId = a[i].at("id").get<int>();
        const int ourId = b[i].at("id").get<int>();
        if (realId < 4)
            QVERIFY2(ourId == realId, what.c_str());
        else
            QVERIFY2(ourId - ourMask == realId - realMask, what.c_str());
    }
    // The same pipeline settings as the real file.
    for (const char *key : {"normalizer", "pre_tokenizer", "post_processor", "decoder"})
        QVERIFY2(real.at(key) == ours.at(key), key);
    QCOMPARE(ftok::florenceTokens().size(), size_t(1024));
}

void TestBpeTrainer::processorPromptsAndOdParsingWork()
{
    const BpeTokenizer &tok = demoTokenizer();
    const fmw::text::Florence2Processor processor(tok, fmw::text::ImagePreprocessor());
    for (const char *task : {"<CAPTION>", "<OD>", "<DETAILED_CAPTION>"}) {
        auto ids = processor.promptIds(task);
        QVERIFY(ids.ok());
        QCOMPARE(ids->front(), 0);
        QCOMPARE(ids->back(), 2);
        const std::string prompt = *fmw::text::constructPrompt(task);
        QCOMPARE(tok.decode(*ids, true), prompt);
    }

    // A generation as the model emits it: </s> <s> target </s>.
    const std::string target = "pneumothorax<loc_156><loc_97><loc_457><loc_617>endotracheal "
                               "tube<loc_499><loc_0><loc_523><loc_242>";
    std::vector<int> generated {2, 0};
    for (int id : tok.encode(target, false))
        generated.push_back(id);
    generated.push_back(2);
    QCOMPARE(processor.decodeGenerated(generated), "</s><s>" + target + "</s>");
    const auto answer = processor.postProcess(generated, "<OD>", {1000, 1000});
    QCOMPARE(answer.bboxLabels, (std::vector<std::string> {"pneumothorax", "endotracheal tube"}));
    QCOMPARE(answer.bboxes.size(), size_t(2));
    QCOMPARE(answer.bboxes[0][0], 156.5f);
    QCOMPARE(answer.bboxes[1][3], 242.5f);

    const std::vector<int> caption = tok.encode("Right pneumothorax. Cardiomegaly.");
    std::vector<int> gen {2};
    gen.insert(gen.end(), caption.begin(), caption.end());
    QCOMPARE(processor.postProcess(gen, "<CAPTION>", {256, 256}).text,
        std::string("Right pneumothorax. Cardiomegaly."));
}

void TestBpeTrainer::outputIsDeterministic()
{
    std::vector<std::string> corpus = demoCorpus();
    const std::string first = learnDemoTokenizerJson(corpus);
    QCOMPARE(learnDemoTokenizerJson(corpus), first);
    // The order of the texts does not matter either.
    std::reverse(corpus.begin(), corpus.end());
    QCOMPARE(learnDemoTokenizerJson(corpus), first);
    // And the file is what the model folder loads (merges as "a b", vocabulary in id order).
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse(first);
    QVERIFY(j.at("model").at("merges").at(0).is_string());
    int expected = 0;
    for (const auto &[token, id] : j.at("model").at("vocab").items()) {
        QVERIFY2(id.get<int>() == expected, token.c_str());
        ++expected;
    }
}

FMW_TEST_MAIN(TestBpeTrainer, mergesEqualHandComputedOnes, minFrequencyAndVocabSizeStopTraining,
    addedTokensAreCutOutOfTheCorpus, rejectsTooSmallVocabulary, demoCaptionsRoundTripExactly,
    demoCaptionsAreShort, specialIdsAreFlorences, everyLocTokenIsOneToken, addedTokensEqualTheRealTokenizers,
    processorPromptsAndOdParsingWork, outputIsDeterministic)
#ifdef FMW_HAVE_QTTEST
#include "tst_bpe_trainer.moc"
#endif
