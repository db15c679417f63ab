#include "engine/model/florence2/vision_kernels.h"

#include "engine/model/florence2/cpu_kernel_support.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <atomic>

namespace fmw::florence2 {

using namespace cpu_kernels;

namespace {

std::atomic<bool> g_enabled {true};

#if FMW_X86_KERNELS

// erf(x) = x P(x^2) / Q(x^2) on [-4, 4] and +-1 beyond (where fp32's erf is +-1): the minimax
// rational fit Eigen and XLA use, a few ulp from the true value.
FMW_AVX512 inline __m512 erf16(__m512 x)
{
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4.f)), _mm512_set1_ps(4.f));
    const __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = _mm512_fmadd_ps(x2, _mm512_set1_ps(-2.72614225801306e-10f), _mm512_set1_ps(2.77068142495902e-08f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-2.10102402082508e-06f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-5.69250639462346e-05f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-7.34990630326855e-04f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-2.95459980854025e-03f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-1.60960333262415e-02f));
    p = _mm512_mul_ps(x, p);
    __m512 q = _mm512_fmadd_ps(x2, _mm512_set1_ps(-1.45660718464996e-05f), _mm512_set1_ps(-2.13374055278905e-04f));
    q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-1.68282697438203e-03f));
    q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-7.37332916720468e-03f));
    q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-1.42647390514189e-02f));
    return _mm512_div_ps(p, q);
}

FMW_AVX512 inline __m512 gelu16(__m512 x)
{
    const __m512 e = erf16(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)));
    return _mm512_mul_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.5f)), _mm512_add_ps(e, _mm512_set1_ps(1.f)));
}

// rows [r0, r1) of x [rows, D]; B is void when there is no bias
template <typename T, typename B>
FMW_AVX512 void biasGeluRows(T *x, const B *bias, int64_t D, int64_t r0, int64_t r1)
{
    for (int64_t r = r0; r < r1; ++r) {
        T *row = x + r * D;
        for (int64_t j = 0; j < D; j += 16) {
            const __mmask16 mask = tailMask(D - j);
            __m512 v = load16(row + j, mask);
            if (bias)
                v = _mm512_add_ps(v, load16(bias + j, mask));
            store16(row + j, gelu16(v), mask);
        }
    }
}

template <typename T>
void biasGeluAll(T *x, const at::Tensor &bias, int64_t rows, int64_t D)
{
    // ~64 K values per task: big enough to amortise the hand-off, small enough to balance
    const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(D, 1));
    at::parallel_for(0, rows, grain, [&](int64_t r0, int64_t r1) {
        if (!bias.defined())
            biasGeluRows(x, static_cast<const float *>(nullptr), D, r0, r1);
        else if (bias.scalar_type() == at::kFloat)
            biasGeluRows(x, bias.data_ptr<float>(), D, r0, r1);
        else
            biasGeluRows(x, reinterpret_cast<const uint16_t *>(bias.data_ptr<at::BFloat16>()), D, r0, r1);
    });
}

// Output rows [r0, r1) of the B*H rows of out [B, H, W, C]; wt [9][C] and bias [C] in fp32.
// For each 16-channel slice the nine tap weights stay in registers while the row is swept.
template <typename T>
FMW_AVX512 void depthwiseRows(const T *x, const float *wt, const float *bias, T *out, int64_t H, int64_t W,
    int64_t C, int64_t r0, int64_t r1)
{
    for (int64_t r = r0; r < r1; ++r) {
        const int64_t b = r / H, h = r % H;
        const T *rows[3];
        for (int dy = 0; dy < 3; ++dy) {
            const int64_t hh = h + dy - 1;
            rows[dy] = hh >= 0 && hh < H ? x + (b * H + hh) * W * C : nullptr;
        }
        T *o = out + r * W * C;
        for (int64_t c = 0; c < C; c += 16) {
            const __mmask16 mask = tailMask(C - c);
            __m512 k[9];
            FMW_UNROLL
            for (int t = 0; t < 9; ++t)
                k[t] = _mm512_maskz_loadu_ps(mask, wt + t * C + c);
            const __m512 b0 = _mm512_maskz_loadu_ps(mask, bias + c);
            for (int64_t w = 0; w < W; ++w) {
                __m512 acc = b0;
                FMW_UNROLL
                for (int dy = 0; dy < 3; ++dy) {
                    if (!rows[dy])
                        continue;
                    FMW_UNROLL
                    for (int dx = 0; dx < 3; ++dx) {
                        const int64_t ww = w + dx - 1;
                        if (ww < 0 || ww >= W)
                            continue;
                        acc = _mm512_fmadd_ps(load16(rows[dy] + ww * C + c, mask), k[dy * 3 + dx], acc);
                    }
                }
                store16(o + w * C + c, acc, mask);
            }
        }
    }
}

#endif // FMW_X86_KERNELS

} // namespace

void setVisionKernelsEnabled(bool enabled)
{
    g_enabled.store(enabled);
}

bool visionKernelsEnabled()
{
    return g_enabled.load();
}

namespace {
// biasGeluApplies() for a tensor of this dtype and device whose last dim is `width`
bool biasGeluOperandsApply([[maybe_unused]] c10::ScalarType dtype, [[maybe_unused]] const c10::Device &device,
    [[maybe_unused]] int64_t width, [[maybe_unused]] const at::Tensor &bias)
{
#if FMW_X86_KERNELS
    if (!g_enabled.load() || !cpuHasAvx512() || !device.is_cpu()
        || (dtype != at::kFloat && dtype != at::kBFloat16))
        return false;
    if (!bias.defined())
        return true;
    return bias.dim() == 1 && bias.size(0) == width && bias.device().is_cpu() && isFloatOrBf16(bias)
        && bias.is_contiguous();
#else
    return false;
#endif
}
} // namespace

bool biasGeluApplies(const at::Tensor &x, const at::Tensor &bias)
{
    return x.defined() && x.dim() >= 1 && !anyGradient({&x, &bias})
        && biasGeluOperandsApply(x.scalar_type(), x.device(), x.size(-1), bias);
}

bool linearBiasGeluApplies(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias)
{
    if (!x.defined() || !weight.defined() || weight.dim() != 2 || x.dim() < 1 || x.size(-1) != weight.size(1)
        || !weight.device().is_cpu() || !isFloatOrBf16(weight) || anyGradient({&x, &weight, &bias}))
        return false;
    // the output [..., out] has x's dtype and device
    return biasGeluOperandsApply(x.scalar_type(), x.device(), weight.size(0), bias);
}

void biasGeluInPlace(const at::Tensor &x, const at::Tensor &bias)
{
    TORCH_CHECK(biasGeluApplies(x, bias) && x.is_contiguous(), "biasGeluInPlace: unsupported operands");
#if FMW_X86_KERNELS
    const int64_t D = x.size(-1);
    const int64_t rows = D > 0 ? x.numel() / D : 0;
    if (rows == 0)
        return;
    if (x.scalar_type() == at::kFloat)
        biasGeluAll(x.data_ptr<float>(), bias, rows, D);
    else
        biasGeluAll(reinterpret_cast<uint16_t *>(x.data_ptr<at::BFloat16>()), bias, rows, D);
#endif
}

bool depthwiseConv3x3Applies([[maybe_unused]] const at::Tensor &x, [[maybe_unused]] const at::Tensor &weight,
    [[maybe_unused]] const at::Tensor &bias)
{
#if FMW_X86_KERNELS
    if (!g_enabled.load() || !cpuHasAvx512() || !x.defined() || !weight.defined() || x.dim() != 3)
        return false;
    const int64_t C = x.size(2);
    const bool shapes = weight.dim() == 4 && weight.size(0) == C && weight.size(1) == 1 && weight.size(2) == 3
        && weight.size(3) == 3 && (!bias.defined() || (bias.dim() == 1 && bias.size(0) == C));
    const bool layout = x.device().is_cpu() && weight.device().is_cpu() && isFloatOrBf16(x) && isFloatOrBf16(weight)
        && x.is_contiguous() && (!bias.defined() || (bias.device().is_cpu() && isFloatOrBf16(bias)));
    return shapes && layout && !anyGradient({&x, &weight, &bias});
#else
    return false;
#endif
}

at::Tensor depthwiseConv3x3(
    const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias, int64_t height, int64_t width)
{
    TORCH_CHECK(depthwiseConv3x3Applies(x, weight, bias) && x.size(1) == height * width,
        "depthwiseConv3x3: unsupported operands");
    at::Tensor out = at::empty_like(x);
#if FMW_X86_KERNELS
    const int64_t B = x.size(0), C = x.size(2);
    // taps as [9][C] fp32, so each 16-channel slice of a tap is one load
    const at::Tensor wt = weight.reshape({C, 9}).to(at::kFloat).t().contiguous();
    const at::Tensor b = bias.defined() ? bias.to(at::kFloat).contiguous() : at::zeros({C}, at::kFloat);
    const float *wp = wt.data_ptr<float>(), *bp = b.data_ptr<float>();
    // a task = whole output rows, ~64 K values each
    const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(width * C, 1));
    at::parallel_for(0, B * height, grain, [&](int64_t r0, int64_t r1) {
        if (x.scalar_type() == at::kFloat)
            depthwiseRows(x.data_ptr<float>(), wp, bp, out.data_ptr<float>(), height, width, C, r0, r1);
        else
            depthwiseRows(reinterpret_cast<const uint16_t *>(x.data_ptr<at::BFloat16>()), wp, bp,
                reinterpret_cast<uint16_t *>(out.data_ptr<at::BFloat16>()), height, width, C, r0, r1);
    });
#endif
    return out;
}

} // namespace fmw::florence2
