// The decoding kernels (decoding_kernels.h) against float64 references on every case they take.
// Linear: 1-4 rows, fp32 and bf16 weights and activations, biases of either dtype or none,
// widths that are not multiples of the 16-wide vectors or the 8-row blocks. Attention: 1-4
// queries, key counts and head dims off the vector widths, KV-cache views, broadcast and fully
// masked rows. LayerNorm: 1-4 rows, widths off the vector width, fp32/bf16. Also when they must step aside (gradients, too many rows, strided operands),
// that functional linear()/attention() give the same values whichever path they take, and
// that beams sharing one encoder row in cross-attention equal the rows repeated. ScreenedArgmax:
// the logits' argmax exactly (ties, exclusions, weight changes), and it prunes.
#include "engine/engine_test.h"

#include "cpu_features.h"

#include "engine/model/florence2/bart_attention.h"
#include "engine/model/florence2/decoding_kernels.h"
#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <limits>
#include <string>
#include <vector>

using namespace fmw::florence2;

namespace {

// Largest |got - ref| / bound, where bound allows float32 summation error (fp32 output) or
// one rounding to bf16 plus that (bf16 output). <= 1 passes.
double worstError(const at::Tensor &got, const at::Tensor &x, const at::Tensor &w, const at::Tensor &b)
{
    const at::Tensor xd = x.to(at::kDouble), wd = w.to(at::kDouble);
    const at::Tensor ref = at::linear(xd, wd, b.defined() ? b.to(at::kDouble) : at::Tensor());
    // sum |x||w| (+|b|) bounds the rounding error of any summation order
    at::Tensor magnitude = at::linear(xd.abs(), wd.abs());
    if (b.defined())
        magnitude = magnitude + b.to(at::kDouble).abs();
    at::Tensor bound = magnitude * 1e-6 + 1e-30;
    if (got.scalar_type() == at::kBFloat16)
        bound = bound + ref.abs() * (1.0 / 256.0);
    return ((got.to(at::kDouble) - ref).abs() / bound).max().item<double>();
}

// softmax((q * scale) k^T + mask) v in float64.
at::Tensor attentionReference(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const at::Tensor &mask,
    double scale)
{
    at::Tensor scores = at::matmul(q.to(at::kDouble) * scale, k.to(at::kDouble).transpose(-2, -1));
    if (mask.defined())
        scores = scores + mask.to(at::kDouble);
    return at::matmul(at::softmax(scores, -1), v.to(at::kDouble));
}

// Largest |got - ref| / bound. The weights sum to 1, so max|v| scales every output: float32
// rounding for fp32; for bf16 one output rounding (the kernels compute in fp32 from the bf16
// inputs), or, on LibTorch's bf16 path (no AVX-512), bf16 scores off by |q||k| 2^-8 as well.
double attentionError(const at::Tensor &got, const at::Tensor &ref, const at::Tensor &q, const at::Tensor &k,
    const at::Tensor &v, double scale, bool kernelPath)
{
    const double vmax = v.abs().max().item<double>() + 1e-30;
    double rel = 2e-5;
    if (got.scalar_type() == at::kBFloat16) {
        rel = 1.0 / 128.0;
        if (!kernelPath)
            rel += q.abs().max().item<double>() * k.abs().max().item<double>() * static_cast<double>(q.size(-1))
                * scale / 64.0;
    }
    return (got.to(at::kDouble) - ref).abs().max().item<double>() / (vmax * rel);
}
} // namespace

class TestDecodingKernels : public QObject {
    Q_OBJECT

private slots:
    void appliesWhereTheCpuCan()
    {
        const at::Tensor x = at::randn({1, 1, 32});
        const at::Tensor w = at::randn({8, 32});
        QCOMPARE(fewRowsLinearApplies(x, w, {}), cpuHasAvx512());
    }

    void linearMatchesFloat64Reference()
    {
        // (in, out): below, at and above the 16-wide vectors and the 8-row blocks, and real widths
        const std::vector<std::pair<int64_t, int64_t>> shapes {{1, 1}, {15, 7}, {16, 8}, {17, 13}, {33, 100},
            {768, 769}, {3072, 96}};
        int cases = 0;
        torch::NoGradGuard noGrad;
        for (int64_t rows = 1; rows <= kDecodingKernelMaxRows; ++rows)
            for (const auto &[in, out] : shapes)
                for (int dtypes = 0; dtypes < 3; ++dtypes)
                    for (int biasKind = 0; biasKind < 3; ++biasKind) { // none, fp32, bf16
                        const bool bf16Weight = dtypes >= 1, bf16Input = dtypes == 2;
                        const std::string name = "rows " + std::to_string(rows) + ", " + std::to_string(out) + "x"
                            + std::to_string(in) + (bf16Weight ? ", bf16 weight" : ", fp32 weight")
                            + (bf16Input ? ", bf16 x" : ", fp32 x") + ", bias kind " + std::to_string(biasKind);
                        torch::manual_seed(rows * 1000 + in + out);
                        const at::Tensor x = at::randn({rows, 1, in}).to(bf16Input ? at::kBFloat16 : at::kFloat);
                        const at::Tensor w = at::randn({out, in}).to(bf16Weight ? at::kBFloat16 : at::kFloat);
                        at::Tensor b;
                        if (biasKind > 0)
                            b = at::randn({out}).to(biasKind == 2 ? at::kBFloat16 : at::kFloat);
                        // functional linear() on every machine; the kernel itself where the CPU has it
                        const at::Tensor viaLinear = fmw::florence2::linear(x, w, b);
                        QVERIFY2(viaLinear.scalar_type() == x.scalar_type(), name.c_str());
                        QVERIFY2(viaLinear.sizes().vec() == (std::vector<int64_t> {rows, 1, out}), name.c_str());
                        QVERIFY2(worstError(viaLinear, x, w, b) <= 1.0, ("linear(): " + name).c_str());
                        QVERIFY2(fewRowsLinearApplies(x, w, b) == cpuHasAvx512(), name.c_str());
                        if (cpuHasAvx512()) {
                            const double err = worstError(fewRowsLinear(x, w, b), x, w, b);
                            const std::string what = "fewRowsLinear(): " + name + ": error " + std::to_string(err) + " x the bound";
                            QVERIFY2(err <= 1.0, what.c_str());
                        }
                        ++cases;
                    }
        QCOMPARE(cases, 4 * 7 * 3 * 3);
    }

    void oneDimensionalInput()
    {
        const at::Tensor x = at::randn({40});
        const at::Tensor w = at::randn({24, 40});
        torch::NoGradGuard noGrad;
        const at::Tensor y = fmw::florence2::linear(x, w);
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t> {24}));
        QVERIFY(worstError(y, x, w, {}) <= 1.0);
    }

    void stepsAsideWhenItMust()
    {
        const at::Tensor w = at::randn({8, 32});
        // more rows than it handles
        QVERIFY(!fewRowsLinearApplies(at::randn({kDecodingKernelMaxRows + 1, 32}), w, {}));
        // a gradient to record
        const at::Tensor wGrad = at::randn({8, 32}).requires_grad_();
        QVERIFY(!fewRowsLinearApplies(at::randn({1, 32}), wGrad, {}));
        {
            torch::NoGradGuard noGrad;
            QCOMPARE(fewRowsLinearApplies(at::randn({1, 32}), wGrad, {}), cpuHasAvx512());
        }
        // a strided weight, other dtypes, mismatched widths and biases
        QVERIFY(!fewRowsLinearApplies(at::randn({1, 8}), at::randn({32, 8}).t(), {}));
        QVERIFY(!fewRowsLinearApplies(at::randn({1, 32}, at::kDouble), w.to(at::kDouble), {}));
        QVERIFY(!fewRowsLinearApplies(at::randn({1, 31}), w, {}));
        QVERIFY(!fewRowsLinearApplies(at::randn({1, 32}), w, at::randn({7})));
        QVERIFY(!fewRowsLinearApplies(at::randn({0, 32}), w, {}));
    }

    void layerNormMatchesFloat64Reference()
    {
        torch::NoGradGuard noGrad;
        int cases = 0;
        for (int64_t rows = 1; rows <= kDecodingKernelMaxRows; ++rows)
            for (const int64_t D : {int64_t(1), int64_t(15), int64_t(16), int64_t(17), int64_t(768)})
                for (int dtypes = 0; dtypes < 4; ++dtypes) { // x fp32/bf16 x params fp32/bf16
                    const auto xType = dtypes & 1 ? at::kBFloat16 : at::kFloat;
                    const auto pType = dtypes & 2 ? at::kBFloat16 : at::kFloat;
                    torch::manual_seed(rows * 10 + D + dtypes);
                    // an offset mean, as residual streams have
                    const at::Tensor x = (at::randn({rows, 1, D}) * 3 + 5).to(xType);
                    const at::Tensor w = at::randn({D}).to(pType), b = at::randn({D}).to(pType);
                    const std::string name = "rows " + std::to_string(rows) + ", D " + std::to_string(D) + ", dtypes "
                        + std::to_string(dtypes);
                    const at::Tensor ref = at::layer_norm(x.to(at::kDouble), {D}, w.to(at::kDouble), b.to(at::kDouble), 1e-5);
                    torch::nn::LayerNorm norm(torch::nn::LayerNormOptions({D}).eps(1e-5));
                    norm->weight.set_data(w);
                    norm->bias.set_data(b);
                    const at::Tensor viaLayerNorm = layerNorm(norm, x);
                    QVERIFY2(viaLayerNorm.scalar_type() == xType && viaLayerNorm.sizes() == x.sizes(), name.c_str());
                    // fp32 rounding of |y| ~ |w| + |b|; bf16 output: one rounding of y
                    const at::Tensor bound = (w.abs() + b.abs()).to(at::kDouble) * 1e-5 + 1e-6
                        + (xType == at::kBFloat16 ? ref.abs() / 128.0 : at::zeros_like(ref));
                    const double err = ((viaLayerNorm.to(at::kDouble) - ref).abs() / bound).max().item<double>();
                    QVERIFY2(err <= 1.0, ("layerNorm(): " + name + ": error " + std::to_string(err)).c_str());
                    QVERIFY2(fewRowsLayerNormApplies(x, w, b) == cpuHasAvx512(), name.c_str());
                    ++cases;
                }
        QCOMPARE(cases, 4 * 5 * 4);
        // steps aside: too many rows, a gradient to record, mismatched parameter dtypes
        const at::AutoGradMode gradients(true);
        const at::Tensor w = at::ones({8}), b = at::zeros({8});
        QVERIFY(!fewRowsLayerNormApplies(at::randn({kDecodingKernelMaxRows + 1, 8}), w, b));
        QVERIFY(!fewRowsLayerNormApplies(at::randn({1, 8}), w.clone().requires_grad_(), b));
        QVERIFY(!fewRowsLayerNormApplies(at::randn({1, 8}), w, b.to(at::kBFloat16)));
    }

    void attentionMatchesFloat64Reference()
    {
        // (S keys, d head dim): one key, off the 8-key blocks, the cache sizes decoding sees,
        // head dims below, at and above the 64-column chunk
        const std::vector<std::pair<int64_t, int64_t>> shapes {{1, 8}, {7, 1}, {9, 16}, {64, 64}, {65, 80},
            {590, 64}, {33, 130}};
        torch::NoGradGuard noGrad;
        int cases = 0;
        for (int64_t T = 1; T <= kDecodingKernelMaxRows; ++T)
            for (const auto &[S, d] : shapes)
                for (const bool bf16 : {false, true})
                    for (int maskKind = 0; maskKind < 4; ++maskKind) { // none, [B,1,1,S], [1,1,T,S], [B,H,T,S]
                        const int64_t B = 2, H = 3;
                        const auto dtype = bf16 ? at::kBFloat16 : at::kFloat;
                        torch::manual_seed(T * 100 + S + d + maskKind);
                        // q as BartAttention makes it: heads split from [B, T, H*d] (strided)
                        const at::Tensor q = at::randn({B, T, H, d}).to(dtype).transpose(1, 2);
                        // k, v as the KV cache hands them out: the filled part of a larger buffer
                        const at::Tensor kBuffer = at::randn({B, H, S + 5, d}).to(dtype);
                        const at::Tensor vBuffer = at::randn({B, H, S + 5, d}).to(dtype);
                        const at::Tensor k = kBuffer.narrow(2, 0, S), v = vBuffer.narrow(2, 0, S);
                        at::Tensor mask;
                        if (maskKind == 1)
                            mask = at::where(at::rand({B, 1, 1, S}) < 0.3, -3.0e38, 0.0).to(dtype);
                        else if (maskKind == 2)
                            mask = at::randn({1, 1, T, S}).to(dtype);
                        else if (maskKind == 3)
                            mask = at::randn({B, H, T, S}).to(dtype);
                        if (maskKind == 1)
                            mask.select(0, 1).fill_(-3.0e38); // a fully masked row: uniform weights
                        const double scale = 1.0 / std::sqrt(static_cast<double>(d));
                        const std::string name = "T " + std::to_string(T) + ", S " + std::to_string(S) + ", d "
                            + std::to_string(d) + (bf16 ? ", bf16" : ", fp32") + ", mask kind "
                            + std::to_string(maskKind);
                        const at::Tensor ref = attentionReference(q, k, v, mask, scale);
                        const at::Tensor viaAttention = fmw::florence2::attention(q, k, v, mask, scale, 0.0, false);
                        QVERIFY2(viaAttention.sizes() == q.sizes(), name.c_str());
                        QVERIFY2(viaAttention.scalar_type() == dtype, name.c_str());
                        double err = attentionError(viaAttention, ref, q, k, v, scale, cpuHasAvx512());
                        QVERIFY2(err <= 1.0, ("attention(): " + name + ": error " + std::to_string(err)).c_str());
                        QVERIFY2(fewQueriesAttentionApplies(q, k, v, mask) == cpuHasAvx512(), name.c_str());
                        if (cpuHasAvx512()) {
                            const at::Tensor direct = fewQueriesAttention(q, k, v, mask, scale);
                            err = attentionError(direct, ref, q, k, v, scale, true);
                            QVERIFY2(err <= 1.0,
                                ("fewQueriesAttention(): " + name + ": error " + std::to_string(err)).c_str());
                            // the heads merge without a copy
                            QVERIFY2(direct.transpose(1, 2).is_contiguous(), name.c_str());
                        }
                        ++cases;
                    }
        QCOMPARE(cases, 4 * 7 * 2 * 4);
    }

    void attentionStepsAsideWhenItMust()
    {
        const at::Tensor q = at::randn({1, 2, 1, 16}), k = at::randn({1, 2, 10, 16}), v = at::randn({1, 2, 10, 16});
        QCOMPARE(fewQueriesAttentionApplies(q, k, v, {}), cpuHasAvx512());
        // too many queries (a prompt or training), keys not packed by rows, mixed dtypes,
        // a mask that does not broadcast, a gradient to record
        QVERIFY(!fewQueriesAttentionApplies(at::randn({1, 2, kDecodingKernelMaxRows + 1, 16}), k, v, {}));
        QVERIFY(!fewQueriesAttentionApplies(q, at::randn({1, 2, 16, 10}).transpose(2, 3), v, {}));
        QVERIFY(!fewQueriesAttentionApplies(q, k.to(at::kBFloat16), v, {}));
        QVERIFY(!fewQueriesAttentionApplies(q, k, v, at::zeros({1, 2, 1, 9})));
        QVERIFY(!fewQueriesAttentionApplies(q.clone().requires_grad_(), k, v, {}));
        QVERIFY(!fewQueriesAttentionApplies(q, at::randn({2, 2, 10, 16}), at::randn({2, 2, 10, 16}), {}));
    }

    void switchTurnsTheKernelsOff()
    {
        const at::Tensor x = at::randn({1, 32}), w = at::randn({8, 32});
        const at::Tensor q = at::randn({1, 2, 1, 16}), k = at::randn({1, 2, 10, 16}), v = at::randn({1, 2, 10, 16});
        torch::NoGradGuard noGrad;
        const at::Tensor withKernels = fmw::florence2::linear(x, w);
        const at::Tensor attentionWith = fmw::florence2::attention(q, k, v, {}, 0.25, 0.0, false);
        setDecodingKernelsEnabled(false);
        const bool linearOff = !fewRowsLinearApplies(x, w, {});
        const bool attentionOff = !fewQueriesAttentionApplies(q, k, v, {});
        const at::Tensor without = fmw::florence2::linear(x, w);
        const at::Tensor attentionWithout = fmw::florence2::attention(q, k, v, {}, 0.25, 0.0, false);
        setDecodingKernelsEnabled(true);
        QVERIFY(linearOff);
        QVERIFY(attentionOff);
        QVERIFY(decodingKernelsEnabled());
        QVERIFY(at::allclose(withKernels, without, 1e-5, 1e-5));
        QVERIFY(at::allclose(attentionWith, attentionWithout, 1e-5, 1e-5));
    }

    void beamsShareTheirSamplesCrossAttention()
    {
        // 2 samples x 3 beams against 2 encoder rows equals the rows repeated per beam, with a
        // prompt mask, one token per beam (decoding) and several (no cache)
        torch::manual_seed(7);
        BartAttention attn(BartAttentionOptions {32, 4, 0.0});
        attn->eval();
        torch::NoGradGuard noGrad;
        const int64_t samples = 2, beams = 3, S = 11;
        const at::Tensor encoder = at::randn({samples, S, 32});
        at::Tensor allowed = at::ones({samples, S}, at::kBool);
        allowed[1].narrow(0, 8, 3).fill_(false);
        const at::Tensor sharedMask = additiveMask(allowed.view({samples, 1, 1, S}), at::kFloat);
        const at::Tensor repeatedMask = additiveMask(allowed.repeat_interleave(beams, 0).view({samples * beams, 1, 1, S}),
            at::kFloat);
        for (const int64_t T : {int64_t(1), int64_t(5)}) {
            const at::Tensor hidden = at::randn({samples * beams, T, 32});
            const at::Tensor shared = attn(hidden, encoder, sharedMask);
            const at::Tensor repeated = attn(hidden, encoder.repeat_interleave(beams, 0), repeatedMask);
            QCOMPARE(shared.sizes().vec(), repeated.sizes().vec());
            QVERIFY2(at::allclose(shared, repeated, 1e-5, 1e-5), ("T " + std::to_string(T)).c_str());
        }
    }

    void screenedArgmaxEqualsTheLogitsArgmax()
    {
        // the argmax of fewRowsLinear's logits, exact ties included, after the LM head's
        // rounding, for every operand mix; and the screen computes few logits exactly
        at::manual_seed(7);
        const std::vector<std::pair<int64_t, int64_t>> shapes {{1000, 64}, {777, 100}, {3000, 768}};
        const std::vector<std::pair<at::ScalarType, at::ScalarType>> types {
            {at::kFloat, at::kFloat}, {at::kBFloat16, at::kBFloat16}, {at::kFloat, at::kBFloat16}};
        int64_t cases = 0;
        for (const auto &[N, K] : shapes)
            for (const auto &[xType, wType] : types)
                for (int biasKind = 0; biasKind < 3; ++biasKind)
                    for (int64_t rows = 1; rows <= kDecodingKernelMaxRows; ++rows) {
                        const at::Tensor x = at::randn({rows, 1, K}).to(xType);
                        at::Tensor w = at::randn({N, K}) * 0.05;
                        // rows N/2 and N-1 equal and pointing along x's first row: an exact tie
                        // for the top, which the lower index wins
                        w[N / 2] = x[0][0].to(at::kFloat) * 0.2;
                        w[N - 1] = w[N / 2];
                        // and one 1 % below it, close enough for the bound to keep both candidates
                        w[N / 3] = w[N / 2] * 0.99;
                        w = w.to(wType);
                        at::Tensor b;
                        if (biasKind > 0) {
                            b = at::randn({N}) * 0.1;
                            b[N - 1] = b[N / 2];
                            b[N / 3] = b[N / 2];
                            b = b.to(biasKind == 2 ? at::kBFloat16 : at::kFloat);
                        }
                        const std::string name = std::to_string(N) + "x" + std::to_string(K) + " rows "
                            + std::to_string(rows) + " bias " + std::to_string(biasKind);
                        QCOMPARE(ScreenedArgmax::applies(x, w, b), cpuHasAvx512Vnni());
                        if (!cpuHasAvx512Vnni())
                            continue;
                        ScreenedArgmax screen;
                        const std::vector<int64_t> got = screen.argmax(x, w, b);
                        const at::Tensor expected = fewRowsLinear(x, w, b).to(at::kFloat).reshape({rows, N}).argmax(-1);
                        QVERIFY2(static_cast<int64_t>(got.size()) == rows, name.c_str());
                        for (int64_t m = 0; m < rows; ++m)
                            QVERIFY2(got[static_cast<size_t>(m)] == expected[m].item<int64_t>(), name.c_str());
                        QVERIFY2(got[0] == N / 2, name.c_str());
                        QVERIFY2(screen.lastCandidates() <= rows * N / 10, name.c_str());
                        ++cases;
                    }
        QVERIFY(cases == 0 || cases == 3 * 3 * 3 * kDecodingKernelMaxRows);
    }

    void screenedArgmaxFollowsExclusionsAndWeightChanges()
    {
        if (!cpuHasAvx512Vnni()) {
            QVERIFY(!ScreenedArgmax::applies(at::randn({1, 64}), at::randn({100, 64}), {}));
            return;
        }
        at::manual_seed(11);
        const int64_t N = 2000, K = 96;
        at::Tensor w = at::randn({N, K}) * 0.05;
        const at::Tensor x = at::randn({2, K});
        ScreenedArgmax screen;
        const auto argmaxOf = [&](const at::Tensor &weight, const std::vector<std::vector<int64_t>> &excluded) {
            at::Tensor logits = fewRowsLinear(x, weight, {}).clone();
            for (size_t m = 0; m < excluded.size(); ++m)
                for (const int64_t token : excluded[m])
                    logits[static_cast<int64_t>(m)][token] = -std::numeric_limits<float>::infinity();
            const at::Tensor best = logits.argmax(-1);
            return std::vector<int64_t> {best[0].item<int64_t>(), best[1].item<int64_t>()};
        };
        const std::vector<int64_t> first = screen.argmax(x, w, {});
        QVERIFY(first == argmaxOf(w, {}));
        // the banned tokens, the first choice among them, are passed over
        const std::vector<std::vector<int64_t>> excluded {{first[0], 5, 17}, {first[1]}};
        const std::vector<int64_t> second = screen.argmax(x, w, {}, excluded);
        QVERIFY(second == argmaxOf(w, excluded));
        QVERIFY(second[0] != first[0] && second[1] != first[1]);
        // an in-place update (as an optimizer step makes) is seen: the copy is rebuilt
        {
            torch::NoGradGuard noGrad;
            w.neg_();
        }
        QVERIFY(screen.argmax(x, w, {}) == argmaxOf(w, {}));
        const at::Tensor other = at::randn({N, K}) * 0.05;
        QVERIFY(screen.argmax(x, other, {}) == argmaxOf(other, {}));
        // non-finite values leave the answer to the caller's logits
        at::Tensor bad = x.clone();
        bad[1][3] = std::numeric_limits<float>::quiet_NaN();
        QVERIFY(screen.argmax(bad, w, {}).empty());
        at::Tensor infinite = w.clone();
        infinite[9][0] = std::numeric_limits<float>::infinity();
        QVERIFY(screen.argmax(x, infinite, {}).empty());
        // a zero row: every logit is its bias, the largest of which wins
        const at::Tensor bias = at::randn({N});
        const std::vector<int64_t> zero = screen.argmax(at::zeros({2, K}), w, bias);
        QCOMPARE(zero[0], bias.argmax().item<int64_t>());
    }

    void gradientsStillFlowThroughLinear()
    {
        // training goes through at::linear: the same values and a gradient
        const at::Tensor x = at::randn({2, 32});
        const at::Tensor w = at::randn({8, 32}).requires_grad_();
        const at::Tensor y = fmw::florence2::linear(x, w);
        QVERIFY(y.requires_grad());
        y.sum().backward();
        QVERIFY(at::allclose(w.grad(), x.sum(0).expand({8, 32})));
    }
};

FMW_TEST_MAIN(TestDecodingKernels, appliesWhereTheCpuCan, linearMatchesFloat64Reference, oneDimensionalInput,
    stepsAsideWhenItMust, layerNormMatchesFloat64Reference, attentionMatchesFloat64Reference, attentionStepsAsideWhenItMust, switchTurnsTheKernelsOff,
    beamsShareTheirSamplesCrossAttention, screenedArgmaxEqualsTheLogitsArgmax,
    screenedArgmaxFollowsExclusionsAndWeightChanges, gradientsStillFlowThroughLinear)
#ifdef FMW_HAVE_QTTEST
#include "tst_decoding_kernels.moc"
#endif
