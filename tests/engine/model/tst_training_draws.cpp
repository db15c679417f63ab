// Training's random draws with per-sample keys (functional.h): a sample's dropout and drop-path
// masks depend on its key and the call, not on its batch neighbours, its row in the batch,
// the batch's padded length or the heads folded into the batch dimension; the keep rate and
// scale are dropout's; without keys the scope's generator decides, as before.
#include "engine/engine_test.h"

#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>

#include <cmath>
#include <vector>

using namespace fmw::florence2;

namespace {

// The n-th (0-based) dropout mask a fresh scope with these keys gives to ones of `shape`.
at::Tensor dropoutMask(const std::vector<uint64_t> &keys, std::vector<int64_t> shape, double p, int call = 0)
{
    ScopedTrainingGenerator scope(1234, keys);
    at::Tensor out;
    for (int i = 0; i <= call; ++i)
        out = trainingDropout(at::ones(shape), p, true);
    return out;
}

} // namespace

class TestTrainingDraws : public QObject {
    Q_OBJECT
private slots:
    void dropoutFollowsTheSampleNotTheBatch()
    {
        const double p = 0.3;
        // sample key 22 alone, [1, 5, 16]
        const at::Tensor alone = dropoutMask({22}, {1, 5, 16}, p);
        // second of three, padded to 9 tokens: its first 5 tokens get the same mask
        const at::Tensor inBatch = dropoutMask({7, 22, 9}, {3, 9, 16}, p);
        QVERIFY(inBatch[1].slice(0, 0, 5).equal(alone[0]));
        // other samples get other masks
        QVERIFY(!inBatch[0].slice(0, 0, 5).equal(alone[0]));
        // the second call of a scope differs from the first, and is again per sample
        const at::Tensor second = dropoutMask({22}, {1, 5, 16}, p, 1);
        QVERIFY(!second.equal(alone));
        QVERIFY(dropoutMask({5, 22}, {2, 7, 16}, p, 1)[1].slice(0, 0, 5).equal(second[0]));
    }

    void attentionShapesGroupHeadsBySample()
    {
        // [B, heads, T, S]: each sample's block depends on its key alone, and padding of
        // either T or S leaves the real part's mask as it was
        const at::Tensor alone = dropoutMask({3}, {1, 4, 6, 10}, 0.1);
        const at::Tensor padded = dropoutMask({8, 3}, {2, 4, 9, 12}, 0.1);
        QVERIFY(padded[1].slice(1, 0, 6).slice(2, 0, 10).equal(alone[0]));
        // heads folded into the batch (batch-major): each sample's 4 rows follow its key
        const at::Tensor folded = dropoutMask({8, 3}, {8, 6, 10}, 0.1);
        QVERIFY(folded.slice(0, 4, 8).equal(dropoutMask({3}, {4, 6, 10}, 0.1)));
        QVERIFY(!folded.slice(0, 0, 4).equal(folded.slice(0, 4, 8)));
    }

    void keepRateAndScaleAreDropouts()
    {
        const double p = 0.1;
        const at::Tensor mask = dropoutMask({1, 2, 3, 4}, {4, 512, 256}, p);
        const double keep = mask.ne(0).to(at::kDouble).mean().item<double>();
        QVERIFY2(std::abs(keep - 0.9) < 0.003, std::to_string(keep).c_str()); // 524,288 draws
        const at::Tensor kept = mask.masked_select(mask.ne(0));
        QVERIFY(at::allclose(kept, at::full_like(kept, 1.0 / 0.9)));
        // bf16 input: the same mask, rounded as bf16 rounds 1/0.9
        ScopedTrainingGenerator scope(1234, {1, 2, 3, 4});
        const at::Tensor half = trainingDropout(at::ones({4, 512, 256}, at::kBFloat16), p, true);
        QVERIFY(half.scalar_type() == at::kBFloat16);
        QVERIFY(half.ne(0).equal(mask.ne(0)));
        // evaluation and p = 0 leave the input alone
        QVERIFY(trainingDropout(mask, p, false).equal(mask));
        QVERIFY(trainingDropout(mask, 0.0, true).equal(mask));
    }

    void dropPathIsOneDrawPerSample()
    {
        int dropped = 0;
        for (uint64_t key = 0; key < 2000; ++key) {
            at::Tensor alone, pair;
            {
                ScopedTrainingGenerator scope(1, {key});
                alone = dropPath(at::ones({1, 3, 4}), 0.25, true);
            }
            {
                ScopedTrainingGenerator scope(99, {key + 7777, key});
                pair = dropPath(at::ones({2, 5, 4}), 0.25, true);
            }
            // the whole sample is kept (x 1/0.75) or dropped, the same way in either batch
            const double v = alone[0][0][0].item<double>();
            QVERIFY(alone[0].eq(v).all().item<bool>());
            QVERIFY(pair[1].eq(v).all().item<bool>());
            dropped += v == 0.0 ? 1 : 0;
            if (v != 0.0)
                QVERIFY(std::abs(v - 1.0 / 0.75) < 1e-6);
        }
        QVERIFY2(dropped > 440 && dropped < 560, std::to_string(dropped).c_str()); // 500 expected
    }

    void withoutKeysTheGeneratorDecides()
    {
        at::Tensor a, b, c;
        {
            ScopedTrainingGenerator scope(5);
            a = trainingDropout(at::ones({2, 64}), 0.5, true);
        }
        {
            ScopedTrainingGenerator scope(5);
            b = trainingDropout(at::ones({2, 64}), 0.5, true);
        }
        {
            ScopedTrainingGenerator scope(6);
            c = trainingDropout(at::ones({2, 64}), 0.5, true);
        }
        QVERIFY(a.equal(b));
        QVERIFY(!a.equal(c));
        // keys that do not divide the batch are a programming error, said loudly
        ScopedTrainingGenerator scope(5, {1, 2, 3});
        bool threw = false;
        try {
            trainingDropout(at::ones({4, 8}), 0.5, true);
        } catch (const c10::Error &e) {
            threw = std::string(e.what()).find("does not lead with the batch of 3") != std::string::npos;
        }
        QVERIFY(threw);
    }
};

FMW_TEST_MAIN(TestTrainingDraws, dropoutFollowsTheSampleNotTheBatch, attentionShapesGroupHeadsBySample,
    keepRateAndScaleAreDropouts, dropPathIsOneDrawPerSample, withoutKeysTheGeneratorDecides)

#ifdef FMW_HAVE_QTTEST
#include "tst_training_draws.moc"
#endif
