// The vision kernels (vision_kernels.h) against float64 references: fused bias + GELU on fp32
// and bf16 values of every magnitude (including inf and NaN), widths off the 16-wide vectors,
// biases of either dtype or none; the 3x3 depthwise convolution on maps from 1x1 up, channel
// counts off the vector width, fp32/bf16 inputs and weights. Also when they must step aside
// (gradients, odd shapes, the switch), that the modules that use them (DaViT's Mlp and
// depthwise convolution, BART's feed-forward) take them, and give the same values with the
// kernels on or off. The fused window and channel attentions against float64 references.
#include "engine/engine_test.h"

#include "cpu_features.h"

#include "engine/model/florence2/channel_attention.h"
#include "engine/model/florence2/depth_wise_conv2d.h"
#include "engine/model/florence2/functional.h"
#include "engine/model/florence2/mlp.h"
#include "engine/model/florence2/vision_kernels.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace fmw::florence2;

namespace {

// Restores the switch however a test ends.
struct KernelSwitch {
    explicit KernelSwitch(bool on) { setVisionKernelsEnabled(on); }
    ~KernelSwitch() { setVisionKernelsEnabled(true); }
};

// DaViT's Mlp and depthwise convolution and a BART-sized fc1, in one dtype, and their input.
struct Modules {
    Mlp mlp {MlpOptions {40, 160}};
    DepthWiseConv2d dw {DepthWiseConv2dOptions {40, 3, 1, 1, true}};
    LoraLinear fc1 {40, 96};
    at::Tensor x; // [2, 6 * 7, 40]

    explicit Modules(c10::ScalarType dtype)
    {
        mlp->to(dtype);
        dw->to(dtype);
        fc1->to(dtype);
        x = at::randn({2, 6 * 7, 40}).to(dtype);
    }
};

at::Tensor geluReference(const at::Tensor &v)
{
    const at::Tensor d = v.to(at::kDouble);
    return d * 0.5 * (1.0 + at::erf(d * M_SQRT1_2));
}

// Largest |got - ref| / bound: 3e-7 (|v| + 1) covers the erf fit and fp32's roundings (measured
// 2.2e-7 over [-12, 12]; LibTorch's libm path 0.9e-7), and for bf16 output one rounding (2^-9
// relative) as well.
double geluError(const at::Tensor &got, const at::Tensor &v)
{
    const at::Tensor ref = geluReference(v);
    at::Tensor bound = (v.to(at::kDouble).abs() + 1.0) * 3e-7;
    if (got.scalar_type() == at::kBFloat16)
        bound = bound + ref.abs() * (1.0 / 256.0);
    return ((got.to(at::kDouble) - ref).abs() / bound).max().item<double>();
}

// The convolution in float64 and the bound of its rounding: sum |x||w| + |b| times fp32's
// error per operation, plus one bf16 rounding of the result for bf16 output.
double convError(const at::Tensor &got, const at::Tensor &x, const at::Tensor &w, const at::Tensor &b, int64_t H,
    int64_t W)
{
    const int64_t B = x.size(0), C = x.size(2);
    auto nchw = [&](const at::Tensor &t) { return t.to(at::kDouble).transpose(1, 2).reshape({B, C, H, W}); };
    auto tokens = [&](const at::Tensor &t) { return t.flatten(2).transpose(1, 2); };
    const at::Tensor bd = b.defined() ? b.to(at::kDouble) : at::Tensor();
    const at::Tensor ref = tokens(at::conv2d(nchw(x), w.to(at::kDouble), bd, 1, 1, 1, C));
    at::Tensor magnitude = tokens(at::conv2d(nchw(x).abs(), w.to(at::kDouble).abs(), {}, 1, 1, 1, C));
    if (b.defined())
        magnitude = magnitude + bd.abs();
    at::Tensor bound = magnitude * 1e-6 + 1e-30;
    if (got.scalar_type() == at::kBFloat16)
        bound = bound + ref.abs() * (1.0 / 256.0);
    return ((got.to(at::kDouble) - ref).abs() / bound).max().item<double>();
}

// Largest |got - ref| / bound of an attention output against its float64 reference: bound =
// magnitude (the weights applied to |v|) times the weights' relative error from the fp32
// scores plus `sums` (the value sums' roundings), and for bf16 output one rounding more (bf16
// inputs are exact).
double attentionError(const at::Tensor &got, const at::Tensor &ref, const at::Tensor &magnitude,
    const at::Tensor &weightError, double sums)
{
    at::Tensor bound = magnitude * (weightError + sums) + 1e-30;
    if (got.scalar_type() == at::kBFloat16)
        bound = bound + ref.abs() * (1.0 / 256.0);
    return ((got.to(at::kDouble) - ref).abs() / bound).max().item<double>();
}

std::string attentionCase(c10::ScalarType dtype, int64_t N, int64_t d, double err)
{
    return std::string(dtype == at::kFloat ? "fp32" : "bf16") + " N " + std::to_string(N) + " d " + std::to_string(d)
        + ": error " + std::to_string(err) + " x the bound";
}

} // namespace

class TestVisionKernels : public QObject {
    Q_OBJECT

private slots:
    void appliesWhereTheCpuCan()
    {
        torch::NoGradGuard noGrad;
        QCOMPARE(biasGeluApplies(at::randn({4, 32}), at::randn({32})), cpuHasAvx512());
        QCOMPARE(depthwiseConv3x3Applies(at::randn({1, 12, 16}), at::randn({16, 1, 3, 3}), at::randn({16})),
            cpuHasAvx512());
    }

    void biasGeluMatchesFloat64Reference()
    {
        torch::NoGradGuard noGrad;
        // without AVX-512 the callers keep LibTorch's GELU (modulesGiveTheSameValuesEitherWay)
        if (!cpuHasAvx512()) {
            QVERIFY(!biasGeluApplies(at::randn({4, 32}), {}));
            return;
        }
        int cases = 0;
        for (const int64_t D : {int64_t(1), int64_t(7), int64_t(16), int64_t(33), int64_t(2048)})
            for (const auto dtype : {at::kFloat, at::kBFloat16})
                for (int biasKind = 0; biasKind < 3; ++biasKind) { // none, fp32, bf16
                    const std::string name = "D " + std::to_string(D) + (dtype == at::kFloat ? " fp32" : " bf16")
                        + ", bias kind " + std::to_string(biasKind);
                    torch::manual_seed(D * 10 + biasKind);
                    // magnitudes from 1e-3 to 20: erf's small-argument, middle and saturated ranges
                    const at::Tensor x = (at::randn({5, D}) * at::pow(10.0, at::rand({5, D}) * 4.3 - 3.0)).to(dtype);
                    at::Tensor bias;
                    if (biasKind > 0)
                        bias = at::randn({D}).to(biasKind == 1 ? at::kFloat : at::kBFloat16);
                    // the reference sees the same inputs: x and the bias as stored
                    const at::Tensor v = bias.defined() ? x.to(at::kDouble) + bias.to(at::kDouble) : x.to(at::kDouble);
                    const at::Tensor y = x.clone();
                    QVERIFY2(biasGeluApplies(y, bias), name.c_str());
                    biasGeluInPlace(y, bias);
                    QCOMPARE(y.scalar_type(), dtype);
                    const double err = geluError(y, v);
                    QVERIFY2(err <= 1.0, (name + ": error " + std::to_string(err) + " x the bound").c_str());
                    ++cases;
                }
        QCOMPARE(cases, 5 * 2 * 3);
    }

    void biasGeluKeepsInfinitiesAndNaNAsLibTorchDoes()
    {
        torch::NoGradGuard noGrad;
        if (!cpuHasAvx512()) {
            QVERIFY(!biasGeluApplies(at::randn({4, 32}), {}));
            return;
        }
        const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
        const at::Tensor x = at::tensor({inf, -inf, nan, 0.0, -0.0, 40.0, -40.0}, at::kDouble).to(at::kFloat);
        const at::Tensor y = x.clone();
        biasGeluInPlace(y, {});
        const at::Tensor ref = at::gelu(x);
        for (int64_t i = 0; i < x.numel(); ++i) {
            const float got = y[i].item<float>(), want = ref[i].item<float>();
            const std::string what = "x = " + std::to_string(x[i].item<float>()) + ": got " + std::to_string(got)
                + ", LibTorch " + std::to_string(want);
            QVERIFY2((std::isnan(got) && std::isnan(want)) || got == want, what.c_str());
        }
    }

    void depthwiseConvMatchesFloat64Reference()
    {
        torch::NoGradGuard noGrad;
        // without AVX-512 DepthWiseConv2d keeps LibTorch's convolution (modulesGiveTheSameValuesEitherWay)
        if (!cpuHasAvx512()) {
            QVERIFY(!depthwiseConv3x3Applies(at::randn({1, 12, 16}), at::randn({16, 1, 3, 3}), {}));
            return;
        }
        const std::vector<std::pair<int64_t, int64_t>> maps {{1, 1}, {1, 5}, {3, 5}, {7, 7}, {12, 13}};
        int cases = 0;
        for (const auto &[H, W] : maps)
            for (const int64_t C : {int64_t(1), int64_t(16), int64_t(17), int64_t(40)})
                for (int dtypes = 0; dtypes < 3; ++dtypes)
                    for (const bool withBias : {false, true}) {
                        const bool bf16Weight = dtypes >= 1, bf16Input = dtypes == 2;
                        const std::string name = std::to_string(H) + "x" + std::to_string(W) + "x" + std::to_string(C)
                            + (bf16Input ? ", bf16 x" : ", fp32 x") + (bf16Weight ? ", bf16 weight" : ", fp32 weight")
                            + (withBias ? ", bias" : ", no bias");
                        torch::manual_seed(H * 1000 + W * 100 + C);
                        const auto wType = bf16Weight ? at::kBFloat16 : at::kFloat;
                        const at::Tensor x = at::randn({2, H * W, C}).to(bf16Input ? at::kBFloat16 : at::kFloat);
                        const at::Tensor w = at::randn({C, 1, 3, 3}).to(wType);
                        const at::Tensor b = withBias ? at::randn({C}).to(wType) : at::Tensor();
                        QVERIFY2(depthwiseConv3x3Applies(x, w, b), name.c_str());
                        const at::Tensor y = depthwiseConv3x3(x, w, b, H, W);
                        QCOMPARE(y.sizes(), x.sizes());
                        QCOMPARE(y.scalar_type(), x.scalar_type());
                        QVERIFY(y.is_contiguous());
                        const double err = convError(y, x, w, b, H, W);
                        QVERIFY2(err <= 1.0, (name + ": error " + std::to_string(err) + " x the bound").c_str());
                        ++cases;
                    }
        QCOMPARE(cases, 5 * 4 * 3 * 2);
    }

    void stepsAsideWhenItMust()
    {
        const at::Tensor x = at::randn({2, 32}), b = at::randn({32});
        const at::Tensor map = at::randn({1, 12, 16}), w = at::randn({16, 1, 3, 3});
        {
            // gradients to record
            const at::Tensor trainable = at::randn({32}).requires_grad_();
            QVERIFY(!biasGeluApplies(x, trainable));
            QVERIFY(!depthwiseConv3x3Applies(map, at::randn({16, 1, 3, 3}).requires_grad_(), {}));
        }
        torch::NoGradGuard noGrad;
        QVERIFY(!biasGeluApplies(x, at::randn({31}))); // bias width
        QVERIFY(!biasGeluApplies(x.to(at::kHalf), {})); // dtype
        QVERIFY(!depthwiseConv3x3Applies(map, at::randn({16, 1, 5, 5}), {})); // kernel size
        QVERIFY(!depthwiseConv3x3Applies(map, at::randn({8, 1, 3, 3}), {})); // channels
        QVERIFY(!depthwiseConv3x3Applies(map.transpose(1, 2), w, {})); // not token-major
        if (cpuHasAvx512()) {
            // in place needs a contiguous tensor
            bool threw = false;
            try {
                biasGeluInPlace(at::randn({32, 2}).t(), {});
            } catch (const c10::Error &) {
                threw = true;
            }
            QVERIFY(threw);
        }
    }

    void switchTurnsTheKernelsOff()
    {
        torch::NoGradGuard noGrad;
        const KernelSwitch off(false);
        QVERIFY(!visionKernelsEnabled());
        QVERIFY(!biasGeluApplies(at::randn({4, 32}), {}));
        QVERIFY(!depthwiseConv3x3Applies(at::randn({1, 12, 16}), at::randn({16, 1, 3, 3}), {}));
    }

    void windowAttentionMatchesFloat64Reference()
    {
        // q, k, v as the window attention passes them: views of one qkv projection
        // [B, N, 3, H, d] -> [3, B, H, N, d]; window sizes 4 (the demo), 7, 12 (Florence-2) and
        // the odd N = 1 and 250; head dims 16..64; the scores' scale as DaViT's
        torch::NoGradGuard noGrad;
        int cases = 0;
        for (const auto dtype : {at::kFloat, at::kBFloat16})
            for (const int64_t N : {1, 16, 49, 144, 250})
                for (const int64_t d : {16, 32, 48, 64}) {
                    const int64_t B = 3, H = 2;
                    at::Tensor qkv = at::randn({B, N, 3, H, d}).to(dtype).permute({2, 0, 3, 1, 4});
                    // large logits too: the softmax's max shift and exp must hold over a wide range
                    const double scale = (N == 49 ? 4.0 : 1.0) / std::sqrt(static_cast<double>(d));
                    const at::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
                    QCOMPARE(windowAttentionApplies(q, k, v, {}), cpuHasAvx512());
                    if (!cpuHasAvx512())
                        continue;
                    const at::Tensor got = windowAttention(q, k, v, scale);
                    QCOMPARE(got.sizes(), q.sizes());
                    QCOMPARE(got.scalar_type(), dtype);
                    QVERIFY(got.transpose(1, 2).is_contiguous()); // [B, N, H, d] underneath
                    const at::Tensor qd = q.to(at::kDouble) * scale;
                    const at::Tensor w = at::softmax(at::matmul(qd, k.to(at::kDouble).transpose(-2, -1)), -1);
                    const at::Tensor ref = at::matmul(w, v.to(at::kDouble));
                    // |error| per output against sum |p||v|: a score's fp32 error (d + 2 roundings of
                    // sum |q||k|) moves the weights of its row by up to twice the largest one
                    // relatively, plus the exp's, the sums' and the products' roundings
                    const at::Tensor magnitude = at::matmul(w, v.to(at::kDouble).abs());
                    const at::Tensor scoreError
                        = std::get<0>(
                              at::matmul(qd.abs(), k.to(at::kDouble).abs().transpose(-2, -1)).max(-1, true))
                        * (static_cast<double>(d + 2) * std::ldexp(1.0, -24));
                    const double err = attentionError(got, ref, magnitude, scoreError * 2.0, 2e-6);
                    QVERIFY2(err <= 1.0, attentionCase(dtype, N, d, err).c_str());
                    // and what attention() returns for these operands is this kernel's result
                    QVERIFY(at::equal(attention(q, k, v, {}, scale, 0.0, false), got));
                    ++cases;
                }
        QCOMPARE(cases, cpuHasAvx512() ? 40 : 0);
        if (!cpuHasAvx512())
            return;
        // where it steps aside: a mask, fp16 or mixed dtypes, N > 256, a head dim off 16,
        // strided rows, gradients
        const at::Tensor q = at::randn({1, 2, 16, 32});
        QVERIFY(!windowAttentionApplies(q, q, q, at::zeros({1, 1, 16, 16})));
        const at::Tensor half = q.to(at::kHalf);
        QVERIFY(!windowAttentionApplies(half, half, half, {}));
        QVERIFY(!windowAttentionApplies(q, q.to(at::kBFloat16), q, {}));
        const at::Tensor tall = at::randn({1, 1, 257, 32});
        QVERIFY(!windowAttentionApplies(tall, tall, tall, {}));
        const at::Tensor narrow = at::randn({1, 2, 16, 24});
        QVERIFY(!windowAttentionApplies(narrow, narrow, narrow, {}));
        const at::Tensor strided = at::randn({1, 2, 32, 16}).transpose(2, 3);
        QVERIFY(!windowAttentionApplies(strided, strided, strided, {}));
        const at::Tensor cross = at::randn({1, 2, 8, 32});
        QVERIFY(!windowAttentionApplies(q, cross, cross, {}));
        {
            at::AutoGradMode grad(true);
            const at::Tensor trainable = at::randn({1, 2, 16, 32}).requires_grad_();
            QVERIFY(!windowAttentionApplies(trainable, q, q, {}));
        }
        const KernelSwitch off(false);
        QVERIFY(!windowAttentionApplies(q, q, q, {}));
    }

    void channelAttentionMatchesFloat64Reference()
    {
        // q, k, v as DaViT's channel attention takes them from its qkv projection; token counts
        // from 1 to past a few 64-token tiles, head dims 16..64; scale N^-0.5 as DaViT's
        torch::NoGradGuard noGrad;
        int cases = 0;
        for (const auto dtype : {at::kFloat, at::kBFloat16})
            for (const int64_t N : {1, 7, 64, 200, 1000})
                for (const int64_t d : {16, 32, 48, 64}) {
                    const int64_t B = 2, G = 3;
                    const at::Tensor qkv = at::randn({B, N, 3, G, d}).to(dtype).permute({2, 0, 3, 1, 4});
                    const at::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
                    const double scale = 1.0 / std::sqrt(static_cast<double>(N));
                    QCOMPARE(channelAttentionApplies(q, k, v), cpuHasAvx512());
                    if (!cpuHasAvx512())
                        continue;
                    const at::Tensor got = channelAttention(q, k, v, scale);
                    QCOMPARE(got.sizes(), (std::vector<int64_t> {B, N, G * d}));
                    QCOMPARE(got.scalar_type(), dtype);
                    // float64: softmax((q s)^T k) [B, G, d, d] applied to v^T, back to [B, N, G*d]
                    const at::Tensor qd = q.to(at::kDouble) * scale, kd = k.to(at::kDouble), vd = v.to(at::kDouble);
                    const at::Tensor w = at::softmax(at::matmul(qd.transpose(-1, -2), kd), -1);
                    auto tokensMajor = [&](const at::Tensor &t) {
                        return t.transpose(-1, -2).transpose(1, 2).reshape({B, N, G * d});
                    };
                    const at::Tensor ref = tokensMajor(at::matmul(w, vd.transpose(-1, -2)));
                    const at::Tensor magnitude = tokensMajor(at::matmul(w, vd.abs().transpose(-1, -2)));
                    // a score's fp32 error: N + 2 roundings of sum |q||k|, moving its row's
                    // weights by up to twice the largest one relatively; then d products summed
                    const at::Tensor scoreError
                        = std::get<0>(at::matmul(qd.abs().transpose(-1, -2), kd.abs()).max(-1, true))
                        * (static_cast<double>(N + 2) * std::ldexp(1.0, -24));
                    // [B, G, d, 1] per output channel -> [B, N, G*d]
                    const at::Tensor rowError
                        = scoreError.squeeze(-1).unsqueeze(1).expand({B, N, G, d}).reshape({B, N, G * d});
                    const double err = attentionError(got, ref, magnitude, rowError * 2.0, 8e-6);
                    QVERIFY2(err <= 1.0, attentionCase(dtype, N, d, err).c_str());
                    ++cases;
                }
        QCOMPARE(cases, cpuHasAvx512() ? 40 : 0);
        if (!cpuHasAvx512())
            return;
        // the module takes it: ChannelAttention's output is proj(kernel)
        torch::manual_seed(5);
        ChannelAttention module(ChannelAttentionOptions {64, 2, true});
        const at::Tensor x = at::randn({2, 50, 64});
        MapSize size {5, 10};
        const at::Tensor qkv = module->qkv(x).reshape({2, 50, 3, 2, 32}).permute({2, 0, 3, 1, 4});
        QVERIFY(at::equal(module(x, size),
            module->proj(channelAttention(qkv[0], qkv[1], qkv[2], 1.0 / std::sqrt(50.0)))));
        // where it steps aside: fp16, mixed dtypes, a head dim off 16, differing strides, gradients
        const at::Tensor q = at::randn({1, 2, 20, 32});
        QVERIFY(!channelAttentionApplies(q.to(at::kHalf), q.to(at::kHalf), q.to(at::kHalf)));
        QVERIFY(!channelAttentionApplies(q, q.to(at::kBFloat16), q));
        const at::Tensor narrow = at::randn({1, 2, 20, 24});
        QVERIFY(!channelAttentionApplies(narrow, narrow, narrow));
        QVERIFY(!channelAttentionApplies(q, at::randn({1, 20, 2, 32}).transpose(1, 2), q));
        {
            at::AutoGradMode grad(true);
            QVERIFY(!channelAttentionApplies(at::randn({1, 2, 20, 32}).requires_grad_(), q, q));
        }
        const KernelSwitch off(false);
        QVERIFY(!channelAttentionApplies(q, q, q));
    }

    void modulesGiveTheSameValuesEitherWay()
    {
        // DaViT's Mlp and depthwise convolution, BART's fc1 + GELU: kernels on vs LibTorch's ops
        torch::NoGradGuard noGrad;
        for (const auto dtype : {at::kFloat, at::kBFloat16}) {
            const std::string name = dtype == at::kFloat ? "fp32" : "bf16";
            const double tol = dtype == at::kFloat ? 1e-5 : 2e-2;
            torch::manual_seed(7);
            Modules m(dtype);
            std::vector<at::Tensor> outs[2];
            for (const bool on : {true, false}) {
                const KernelSwitch kernels(on);
                MapSize size {6, 7};
                outs[on].push_back(m.mlp(m.x, size));
                outs[on].push_back(m.dw(m.x, size));
                QCOMPARE(size.height, int64_t(6));
                QCOMPARE(size.width, int64_t(7));
                outs[on].push_back(linearActivate(m.fc1, m.x, Activation::Gelu));
            }
            const char *what[] = {"Mlp", "DepthWiseConv2d", "linearActivate"};
            for (size_t i = 0; i < outs[0].size(); ++i) {
                QCOMPARE(outs[1][i].sizes(), outs[0][i].sizes());
                QCOMPARE(outs[1][i].scalar_type(), dtype);
                const at::Tensor a = outs[1][i].to(at::kFloat), b = outs[0][i].to(at::kFloat);
                const double err = (a - b).abs().max().item<double>() / (b.abs().max().item<double>() + 1e-30);
                QVERIFY2(err <= tol, (name + " " + what[i] + ": relative difference " + std::to_string(err)).c_str());
            }
        }
    }

    void modulesTakeTheKernelsWhereTheyApply()
    {
        // bit for bit what the kernels give: LibTorch's GELU and convolution round differently,
        // so a module that silently kept LibTorch's path fails here
        torch::NoGradGuard noGrad;
        for (const auto dtype : {at::kFloat, at::kBFloat16}) {
            const std::string name = dtype == at::kFloat ? "fp32" : "bf16";
            torch::manual_seed(11);
            Modules m(dtype);
            const at::Tensor &x = m.x;
            const auto params = m.mlp->named_parameters();
            QCOMPARE(linearBiasGeluApplies(x, m.fc1->weight, m.fc1->bias), cpuHasAvx512());
            if (!cpuHasAvx512())
                continue;
            auto fused = [](const at::Tensor &in, const at::Tensor &w, const at::Tensor &b) {
                const at::Tensor y = fmw::florence2::linear(in, w, at::Tensor());
                biasGeluInPlace(y, b);
                return y;
            };
            MapSize size {6, 7};
            QVERIFY2(at::equal(linearActivate(m.fc1, m.x, Activation::Gelu), fused(x, m.fc1->weight, m.fc1->bias)),
                (name + " linearActivate").c_str());
            const at::Tensor hidden = fused(x, params["net.fc1.weight"], params["net.fc1.bias"]);
            QVERIFY2(at::equal(m.mlp(x, size), fmw::florence2::linear(hidden, params["net.fc2.weight"], params["net.fc2.bias"])),
                (name + " Mlp").c_str());
            QVERIFY2(at::equal(m.dw(x, size), depthwiseConv3x3(x, m.dw->dw->weight, m.dw->dw->bias, 6, 7)),
                (name + " DepthWiseConv2d").c_str());
        }
    }

    void gradientsStillFlowThroughTheModules()
    {
        // training goes through LibTorch's ops: same values as inference, and gradients
        torch::manual_seed(3);
        Mlp mlp(MlpOptions {16, 32});
        DepthWiseConv2d dw(DepthWiseConv2dOptions {16, 3, 1, 1, true});
        const at::Tensor x = at::randn({1, 9, 16});
        MapSize size {3, 3};
        const at::Tensor y = dw(mlp(x, size), size);
        QVERIFY(y.requires_grad());
        y.sum().backward();
        QVERIFY(dw->dw->weight.grad().defined());
        QVERIFY(mlp->named_parameters()["net.fc1.weight"].grad().abs().sum().item<double>() > 0.0);
        torch::NoGradGuard noGrad;
        const at::Tensor inference = dw(mlp(x, size), size);
        QVERIFY(at::allclose(inference, y.detach(), 1e-5, 1e-5));
    }
};

FMW_TEST_MAIN(TestVisionKernels, appliesWhereTheCpuCan, biasGeluMatchesFloat64Reference,
    windowAttentionMatchesFloat64Reference, channelAttentionMatchesFloat64Reference,
    biasGeluKeepsInfinitiesAndNaNAsLibTorchDoes,
    depthwiseConvMatchesFloat64Reference, stepsAsideWhenItMust, switchTurnsTheKernelsOff,
    modulesGiveTheSameValuesEitherWay, modulesTakeTheKernelsWhereTheyApply,
    gradientsStillFlowThroughTheModules)
#ifdef FMW_HAVE_QTTEST
#include "tst_vision_kernels.moc"
#endif
