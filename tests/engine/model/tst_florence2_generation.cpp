// Beam search and the generation options on the tiny fixture. The fixture has greedy goldens
// only (tst_florence2_parity checks them); beam search is checked by its defining properties:
// one beam is greedy, every returned score is the length-penalised log-probability of its
// sequence recomputed by a teacher-forced forward, beams never score below greedy, the cache
// changes nothing, and a sample decodes the same alone as in a batch.
#include "engine/engine_test.h"

#include "cpu_features.h"

#include "engine/model/florence2/decoder_cache.h"
#include "engine/model/florence2/generation.h"
#include "tiny_fixture.h"

#include <c10/util/Exception.h>

#include <set>

using namespace tiny;

namespace {

struct Setup {
    Florence2ForConditionalGeneration model = loadTinyModel();
    EncoderOutput encoded;
    Setup()
    {
        torch::NoGradGuard noGrad;
        encoded = model->encode(g("pixel_values").to(testDevice()), g("input_ids").to(testDevice()));
    }
};

Setup &setup()
{
    static Setup s;
    return s;
}

GenerationOptions defaults(int64_t maxNewTokens = 20)
{
    return GenerationOptions::effectiveDefaults(setup().model->config(), maxNewTokens);
}

// Rows [b] of an encoder output.
EncoderOutput rowOf(const EncoderOutput &e, int64_t b)
{
    EncoderOutput r;
    r.lastHiddenState = e.lastHiddenState.slice(0, b, b + 1);
    r.imageFeatures = e.imageFeatures.slice(0, b, b + 1);
    return r;
}

// Drops trailing <pad> columns so rows decoded apart compare with rows decoded together.
at::Tensor trimmed(const at::Tensor &row)
{
    int64_t n = row.size(0);
    while (n > 1 && row[n - 1].item<int64_t>() == 1)
        --n;
    return row.slice(0, 0, n);
}

// True when `f` throws c10::Error (invalid generation options).
template <typename F>
bool throwsC10(F &&f)
{
    try {
        f();
    } catch (const c10::Error &) {
        return true;
    }
    return false;
}

} // namespace

class TestFlorence2Generation : public QObject {
    Q_OBJECT

private slots:
    void effectiveDefaultsComeFromTextConfig();
    void oneBeamEqualsGreedy();
    void scoresEqualTeacherForcedLogProbabilities();
    void beamScoreAtLeastGreedyScore();
    void cacheChangesNothing();
    void sampleAloneMatchesBatch();
    void forcedTokensAndNgramBan();
    void screenedGreedyEqualsLogitArgmax();
    void invalidOptionsAreRejected();
};

void TestFlorence2Generation::effectiveDefaultsComeFromTextConfig()
{
    const GenerationOptions o = defaults();
    QCOMPARE(o.numBeams, int64_t(3));
    QVERIFY(o.earlyStopping);
    QCOMPARE(o.noRepeatNgramSize, int64_t(3));
    QCOMPARE(o.forcedBosTokenId.value_or(-1), int64_t(0));
    QCOMPARE(o.forcedEosTokenId.value_or(-1), int64_t(2));
    QCOMPARE(o.lengthPenalty, 1.0);
}

void TestFlorence2Generation::oneBeamEqualsGreedy()
{
    Setup &s = setup();
    GenerationOptions o = defaults();
    o.numBeams = 1;
    const GenerationResult greedy = generate(s.model, s.encoded, o);
    QVERIFY(at::equal(greedy.sequences, g("gen.greedy_hf_ids")));
    const GenerationResult beam = beamSearch(s.model, s.encoded, o);
    QVERIFY2(at::equal(beam.sequences, greedy.sequences), "beam search with one beam differs from greedy");
    // without processors too
    GenerationOptions plain;
    plain.maxNewTokens = 20;
    plain.earlyStopping = true;
    QVERIFY(at::equal(beamSearch(s.model, s.encoded, plain).sequences, g("gen.greedy_ids")));
}

void TestFlorence2Generation::scoresEqualTeacherForcedLogProbabilities()
{
    Setup &s = setup();
    struct Case {
        const char *name;
        int64_t beams;
        double lengthPenalty;
        bool earlyStopping;
        int64_t maxNewTokens;
    };
    const Case cases[] = {
        {"defaults (3 beams)", 3, 1.0, true, 20},
        {"4 beams, length_penalty 2", 4, 2.0, true, 20},
        {"2 beams, length_penalty 0.5, no early stopping", 2, 0.5, false, 20},
        {"3 beams cut at 6 tokens", 3, 1.0, true, 6},
    };
    for (const Case &c : cases) {
        GenerationOptions o = defaults(c.maxNewTokens);
        o.numBeams = c.beams;
        o.lengthPenalty = c.lengthPenalty;
        o.earlyStopping = c.earlyStopping;
        const GenerationResult r = generate(s.model, s.encoded, o);
        QVERIFY(r.scores.defined());
        QCOMPARE(r.scores.size(0), int64_t(2));
        QVERIFY2(r.sequences.size(1) <= 1 + c.maxNewTokens, c.name);
        const at::Tensor recomputed = sequenceScores(s.model, s.encoded, r.sequences, o);
        for (int64_t b = 0; b < 2; ++b) {
            const double a = r.scores[b].item<double>(), e = recomputed[b].item<double>();
            std::printf("beam %-50s sample %lld: score %.7f, teacher-forced %.7f\n", c.name,
                static_cast<long long>(b), a, e);
            QVERIFY2(std::isfinite(a) && a < 0, c.name);
            QVERIFY2(std::abs(a - e) <= 1e-4 * std::max(1.0, std::abs(e)), c.name);
            // rows start with the decoder start token and end with </s> then <pad>
            QCOMPARE(r.sequences[b][0].item<int64_t>(), int64_t(2));
            QCOMPARE(r.sequences[b][1].item<int64_t>(), int64_t(0)); // forced <s>
        }
    }
}

void TestFlorence2Generation::beamScoreAtLeastGreedyScore()
{
    Setup &s = setup();
    GenerationOptions o = defaults();
    const GenerationResult beam = generate(s.model, s.encoded, o);
    const at::Tensor greedyScores = sequenceScores(s.model, s.encoded, g("gen.greedy_hf_ids"), o);
    for (int64_t b = 0; b < 2; ++b) {
        std::printf("sample %lld: beam-3 score %.6f, greedy score %.6f\n", static_cast<long long>(b),
            beam.scores[b].item<double>(), greedyScores[b].item<double>());
        QVERIFY(beam.scores[b].item<double>() >= greedyScores[b].item<double>() - 1e-6);
    }
}

void TestFlorence2Generation::cacheChangesNothing()
{
    Setup &s = setup();
    for (const int64_t beams : {1, 3}) {
        GenerationOptions o = defaults();
        o.numBeams = beams;
        const GenerationResult cached = generate(s.model, s.encoded, o);
        o.useCache = false;
        const GenerationResult recomputed = generate(s.model, s.encoded, o);
        QVERIFY(at::equal(cached.sequences, recomputed.sequences));
        if (beams > 1)
            QVERIFY(at::allclose(cached.scores, recomputed.scores, 1e-5, 1e-5));
    }
}

void TestFlorence2Generation::sampleAloneMatchesBatch()
{
    Setup &s = setup();
    for (const int64_t beams : {1, 3}) {
        GenerationOptions o = defaults();
        o.numBeams = beams;
        const GenerationResult batch = generate(s.model, s.encoded, o);
        for (int64_t b = 0; b < 2; ++b) {
            const GenerationResult alone = generate(s.model, rowOf(s.encoded, b), o);
            QVERIFY(at::equal(trimmed(alone.sequences[0]), trimmed(batch.sequences[b])));
            if (beams > 1)
                QVERIFY(std::abs(alone.scores[0].item<double>() - batch.scores[b].item<double>()) < 1e-4);
        }
    }
}

void TestFlorence2Generation::forcedTokensAndNgramBan()
{
    Setup &s = setup();
    GenerationOptions o;
    o.maxNewTokens = 5;
    o.forcedBosTokenId = 7;
    o.forcedEosTokenId = 9;
    const at::Tensor ids = generate(s.model, s.encoded, o).sequences;
    for (int64_t b = 0; b < 2; ++b) {
        QCOMPARE(ids[b][1].item<int64_t>(), int64_t(7));
        // </s> may end a row early (then <pad> follows); otherwise the last slot is forced
        const at::Tensor row = ids[b];
        const bool endedEarly = row.slice(0, 1, 5).eq(2).any().item<bool>();
        if (!endedEarly)
            QCOMPARE(row[5].item<int64_t>(), int64_t(9));
    }
    // with n = 2 no bigram repeats in any row (within the generated part and the start token)
    GenerationOptions ban;
    ban.maxNewTokens = 20;
    ban.noRepeatNgramSize = 2;
    for (const int64_t beams : {1, 3}) {
        ban.numBeams = beams;
        const at::Tensor rows = generate(s.model, s.encoded, ban).sequences;
        for (int64_t b = 0; b < rows.size(0); ++b) {
            std::set<std::pair<int64_t, int64_t>> seen;
            const at::Tensor r = trimmed(rows[b]);
            for (int64_t i = 0; i + 1 < r.size(0); ++i)
                QVERIFY2(seen.insert({r[i].item<int64_t>(), r[i + 1].item<int64_t>()}).second, "a bigram repeats");
        }
    }
}

void TestFlorence2Generation::screenedGreedyEqualsLogitArgmax()
{
    // greedy picks its tokens through the int8-screened LM head where it can
    // (LanguageForConditionalGeneration::nextTokens); keeping the step logits computes them all:
    // both give the same sequences, with the n-gram ban and forced tokens too
    Setup &s = setup();
    {
        torch::NoGradGuard noGrad;
        DecoderCache cache(s.model->config().text.decoderLayers, 2);
        const at::Tensor start = at::full({2, 1}, s.model->config().text.decoderStartTokenId, at::kLong);
        const at::Tensor hidden = s.model->decodeHidden(start, s.encoded, &cache);
        const std::vector<int64_t> tokens = s.model->language_model->nextTokens(hidden, {});
        QCOMPARE(!tokens.empty(), cpuHasAvx512Vnni() && testDevice().is_cpu());
        if (!tokens.empty()) {
            const at::Tensor logits = s.model->language_model->lmHead(hidden).to(at::kFloat);
            QCOMPARE(tokens[0], logits[0][0].argmax().item<int64_t>());
            QCOMPARE(tokens[1], logits[1][0].argmax().item<int64_t>());
        }
    }
    std::vector<GenerationOptions> settings(3);
    settings[0].maxNewTokens = 20;
    settings[1].maxNewTokens = 20;
    settings[1].noRepeatNgramSize = 2;
    settings[2].maxNewTokens = 6;
    settings[2].forcedBosTokenId = 7;
    settings[2].forcedEosTokenId = 9;
    for (GenerationOptions o : settings) {
        const at::Tensor screened = generate(s.model, s.encoded, o).sequences;
        o.keepStepLogits = true;
        const GenerationResult full = generate(s.model, s.encoded, o);
        QVERIFY(at::equal(screened, full.sequences));
        QVERIFY(full.stepLogits.defined());
    }
}

void TestFlorence2Generation::invalidOptionsAreRejected()
{
    Setup &s = setup();
    GenerationOptions o;
    o.numBeams = 0;
    QVERIFY(throwsC10([&] { generate(s.model, s.encoded, o); }));
    o = {};
    o.maxNewTokens = 65; // the fixture has 64 decoder positions
    QVERIFY(throwsC10([&] { generate(s.model, s.encoded, o); }));
    o = {};
    o.forcedBosTokenId = 300; // vocabulary is 300
    QVERIFY(throwsC10([&] { generate(s.model, s.encoded, o); }));
    o = {};
    o.maxNewTokens = 64;
    QVERIFY(generate(s.model, s.encoded, o).sequences.size(1) <= 65);
}

FMW_TEST_MAIN(TestFlorence2Generation, effectiveDefaultsComeFromTextConfig, oneBeamEqualsGreedy,
    scoresEqualTeacherForcedLogProbabilities, beamScoreAtLeastGreedyScore, cacheChangesNothing,
    sampleAloneMatchesBatch, forcedTokensAndNgramBan, screenedGreedyEqualsLogitArgmax, invalidOptionsAreRejected)
#ifdef FMW_HAVE_QTTEST
#include "tst_florence2_generation.moc"
#endif
