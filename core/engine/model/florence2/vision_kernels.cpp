#include "engine/model/florence2/vision_kernels.h"

#include "engine/model/florence2/cpu_kernel_support.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

namespace fmw::florence2 {

using namespace cpu_kernels;

namespace {

std::atomic<bool> g_enabled {true};
constexpr int64_t kWindowMaxTokens = 256;
constexpr int64_t kWindowMaxHeadDim = 64;

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

// exp(x) for x <= 0 (scores less their row's maximum): 2^n exp(r) with n = round(x / ln 2)
// and r = x - n ln 2 split in two (Cody-Waite), exp(r) by Cephes' expf polynomial (relative
// error < 2e-7); below -87.3 the result is 0, where fp32's exp is 0 or denormal.
FMW_AVX512 inline __m512 expNonPositive16(__m512 x)
{
    const __mmask16 underflow = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    return _mm512_maskz_mov_ps(static_cast<__mmask16>(~underflow), _mm512_scalef_ps(y, n));
}

// An element as fp32 (bf16 is the upper half of an fp32).
inline float toFloat(float x)
{
    return x;
}
inline float toFloat(uint16_t bf16)
{
    return c10::detail::f32_from_bits(bf16);
}

// The attention kernels' inner product, a register-blocked rank-1 update: for R rows and C
// 16-wide column blocks, out[r][16c..] (+)= sum_t a(r, t) b[t][16c..] with a(r, t) =
// a[r * aRow + t * aCol] broadcast and b's rows loaded 16 at a time. a and b in fp32 or bf16;
// out in fp32 or, without Accumulate, bf16 (summed in fp32, rounded once).
template <int R, int C, bool Accumulate, typename TA, typename TB, typename TO>
FMW_AVX512 void rankUpdateBlock(const TA *a, int64_t aRow, int64_t aCol, const TB *b, int64_t ldb, int64_t steps,
    TO *out, int64_t ldo)
{
    __m512 acc[R][C];
    FMW_UNROLL for (int r = 0; r < R; ++r)
    {
        FMW_UNROLL for (int c = 0; c < C; ++c)
        {
            if constexpr (Accumulate)
                acc[r][c] = _mm512_loadu_ps(out + r * ldo + 16 * c);
            else
                acc[r][c] = _mm512_setzero_ps();
        }
    }
    for (int64_t t = 0; t < steps; ++t) {
        __m512 bv[C];
        FMW_UNROLL for (int c = 0; c < C; ++c) bv[c] = load16(b + t * ldb + 16 * c);
        FMW_UNROLL for (int r = 0; r < R; ++r)
        {
            const __m512 av = _mm512_set1_ps(toFloat(a[r * aRow + t * aCol]));
            FMW_UNROLL for (int c = 0; c < C; ++c) acc[r][c] = _mm512_fmadd_ps(av, bv[c], acc[r][c]);
        }
    }
    FMW_UNROLL for (int r = 0; r < R; ++r)
    {
        FMW_UNROLL for (int c = 0; c < C; ++c) store16(out + r * ldo + 16 * c, acc[r][c], __mmask16(0xFFFF));
    }
}

template <int R>
FMW_AVX512 void scoreRows(const float *q, int64_t d, const float *kt, int64_t ldk, int64_t blocks, float *s)
{
    int64_t c = 0;
    for (; c + 4 <= blocks; c += 4)
        rankUpdateBlock<R, 4, false>(q, d, 1, kt + 16 * c, ldk, d, s + 16 * c, ldk);
    switch (blocks - c) {
    case 3:
        rankUpdateBlock<R, 3, false>(q, d, 1, kt + 16 * c, ldk, d, s + 16 * c, ldk);
        break;
    case 2:
        rankUpdateBlock<R, 2, false>(q, d, 1, kt + 16 * c, ldk, d, s + 16 * c, ldk);
        break;
    case 1:
        rankUpdateBlock<R, 1, false>(q, d, 1, kt + 16 * c, ldk, d, s + 16 * c, ldk);
        break;
    default:
        break;
    }
}

// Rows the rank-1-update block takes at once for C column blocks: 8 x <= 2 or 4 x 4
// accumulators, at most 16 of the 32 registers.
template <int C>
constexpr int kBlockRows = C <= 2 ? 8 : 4;

// out[i][..16C] = sum_t a[i][t] b[t][..16C] for `rows` rows of a (row stride lda, `steps`
// values each), in blocks of kBlockRows<C> rows and single rows for the rest.
template <int C, typename TA, typename TB, typename TO>
FMW_AVX512 void productRows(
    const TA *a, int64_t lda, int64_t rows, const TB *b, int64_t ldb, int64_t steps, TO *out, int64_t ldo)
{
    constexpr int R = kBlockRows<C>;
    int64_t i = 0;
    for (; i + R <= rows; i += R)
        rankUpdateBlock<R, C, false>(a + i * lda, lda, 1, b, ldb, steps, out + i * ldo, ldo);
    for (; i < rows; ++i)
        rankUpdateBlock<1, C, false>(a + i * lda, lda, 1, b, ldb, steps, out + i * ldo, ldo);
}

// One (window, head): q, k, v rows (fp32 or bf16) at their row strides, out rows at ldo.
// Scratch: qs [N][d], kt [d][ld], s [N][ld] with ld = N rounded up to 16.
template <typename T>
FMW_AVX512 void windowAttentionOne(const T *q, int64_t ldq, const T *k, int64_t ldk, const T *v, int64_t ldv,
    T *out, int64_t ldo, int64_t N, int64_t d, float scale, float *qs, float *kt, float *s)
{
    const int64_t blocks = (N + 15) / 16, ld = 16 * blocks;
    // q * scale rounded as the reference does before its product; k transposed, zero columns
    // past N (their scores are computed and ignored)
    for (int64_t i = 0; i < N; ++i)
        for (int64_t t = 0; t < d; ++t)
            qs[i * d + t] = toFloat(q[i * ldq + t]) * scale;
    for (int64_t t = 0; t < d; ++t) {
        for (int64_t j = 0; j < N; ++j)
            kt[t * ld + j] = toFloat(k[j * ldk + t]);
        for (int64_t j = N; j < ld; ++j)
            kt[t * ld + j] = 0.0f;
    }
    int64_t i = 0;
    for (; i + 4 <= N; i += 4)
        scoreRows<4>(qs + i * d, d, kt, ld, blocks, s + i * ld);
    for (; i < N; ++i)
        scoreRows<1>(qs + i * d, d, kt, ld, blocks, s + i * ld);
    // softmax over the first N columns of each row, normalised as the reference's weights are
    for (int64_t r = 0; r < N; ++r) {
        float *row = s + r * ld;
        __m512 mx = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
        for (int64_t j = 0; j < N; j += 16)
            mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(mx, tailMask(N - j), row + j));
        const __m512 rowMax = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
        __m512 sum = _mm512_setzero_ps();
        for (int64_t j = 0; j < N; j += 16) {
            const __mmask16 m = tailMask(N - j);
            const __m512 e = expNonPositive16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + j), rowMax));
            _mm512_mask_storeu_ps(row + j, m, e);
            sum = _mm512_mask_add_ps(sum, m, sum, e);
        }
        const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
        for (int64_t j = 0; j < N; j += 16) {
            const __mmask16 m = tailMask(N - j);
            _mm512_mask_storeu_ps(row + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), inv));
        }
    }
    switch (d / 16) {
    case 1:
        productRows<1>(s, ld, N, v, ldv, N, out, ldo);
        break;
    case 2:
        productRows<2>(s, ld, N, v, ldv, N, out, ldo);
        break;
    case 3:
        productRows<3>(s, ld, N, v, ldv, N, out, ldo);
        break;
    default:
        productRows<4>(s, ld, N, v, ldv, N, out, ldo);
        break;
    }
}

template <int C, typename T>
FMW_AVX512 void channelAttentionOneC(const T *q, const T *k, const T *v, int64_t ld, int64_t N, float scale,
    T *out, int64_t ldo, float *a, float *pt)
{
    constexpr int64_t d = 16 * C;
    constexpr int R = kBlockRows<C>;
    std::fill(a, a + d * d, 0.0f);
    // token tiles small enough that q's and k's rows stay in L1 across the channel blocks
    constexpr int64_t kTile = 64;
    for (int64_t n0 = 0; n0 < N; n0 += kTile) {
        const int64_t rows = std::min(kTile, N - n0);
        // a(r, t) = q[t][i + r]: the tile's q transposed
        for (int64_t i = 0; i < d; i += R)
            rankUpdateBlock<R, C, true>(q + n0 * ld + i, 1, ld, k + n0 * ld, ld, rows, a + i * d, d);
    }
    // softmax over each row of scale * (q^T k), d values each (few: libm's exp is fine);
    // stored transposed, pt[j][i], so that applying it reads whole vectors
    for (int64_t i = 0; i < d; ++i) {
        float *row = a + i * d;
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < d; ++j) {
            row[j] *= scale;
            mx = std::max(mx, row[j]);
        }
        float sum = 0.0f;
        for (int64_t j = 0; j < d; ++j) {
            row[j] = std::exp(row[j] - mx);
            sum += row[j];
        }
        const float inv = 1.0f / sum;
        for (int64_t j = 0; j < d; ++j)
            pt[j * d + i] = row[j] * inv;
    }
    productRows<C>(v, ld, N, pt, d, d, out, ldo);
}

// One (image, group): q, k, v rows of d channels at row stride ld (the qkv projection's width).
template <typename T>
FMW_AVX512 void channelAttentionOne(const T *q, const T *k, const T *v, int64_t ld, int64_t N, int64_t d,
    float scale, T *out, int64_t ldo, float *a, float *pt)
{
    switch (d / 16) {
    case 1:
        channelAttentionOneC<1>(q, k, v, ld, N, scale, out, ldo, a, pt);
        break;
    case 2:
        channelAttentionOneC<2>(q, k, v, ld, N, scale, out, ldo, a, pt);
        break;
    case 3:
        channelAttentionOneC<3>(q, k, v, ld, N, scale, out, ldo, a, pt);
        break;
    default:
        channelAttentionOneC<4>(q, k, v, ld, N, scale, out, ldo, a, pt);
        break;
    }
}

#endif // FMW_X86_KERNELS

#if FMW_X86_KERNELS
// q, k, v [B, H, N, d] of one shape and dtype (fp32 or bf16), on the CPU, d stride 1, d a
// multiple of 16 up to 64, N >= 1, nothing to record for autograd; the kernels enabled here.
bool attentionOperandsApply(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v)
{
    if (!g_enabled.load() || !cpuHasAvx512() || !q.defined() || !k.defined() || !v.defined() || q.dim() != 4
        || k.sizes() != q.sizes() || v.sizes() != q.sizes())
        return false;
    const int64_t d = q.size(3);
    if (q.size(2) < 1 || d < 16 || d > kWindowMaxHeadDim || d % 16 != 0)
        return false;
    for (const at::Tensor *t : {&q, &k, &v}) {
        if (!isFloatOrBf16(*t) || t->scalar_type() != q.scalar_type() || !t->device().is_cpu() || t->stride(3) != 1)
            return false;
    }
    return !anyGradient({&q, &k, &v});
}

// run(q, k, v, out) with the tensors' elements as const float / float or, for bf16, their bits
// as const uint16_t / uint16_t.
template <typename F>
void withElements(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const at::Tensor &out, F &&run)
{
    if (q.scalar_type() == at::kFloat) {
        run(static_cast<const float *>(q.data_ptr<float>()), static_cast<const float *>(k.data_ptr<float>()),
            static_cast<const float *>(v.data_ptr<float>()), out.data_ptr<float>());
    } else {
        auto bits = [](const at::Tensor &t) { return reinterpret_cast<uint16_t *>(t.data_ptr<at::BFloat16>()); };
        run(static_cast<const uint16_t *>(bits(q)), static_cast<const uint16_t *>(bits(k)),
            static_cast<const uint16_t *>(bits(v)), bits(out));
    }
}
#endif

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

bool windowAttentionApplies([[maybe_unused]] const at::Tensor &q, [[maybe_unused]] const at::Tensor &k,
    [[maybe_unused]] const at::Tensor &v, [[maybe_unused]] const at::Tensor &mask)
{
#if FMW_X86_KERNELS
    return !mask.defined() && attentionOperandsApply(q, k, v) && q.size(2) <= kWindowMaxTokens;
#else
    return false;
#endif
}

at::Tensor windowAttention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, double scale)
{
    TORCH_CHECK(windowAttentionApplies(q, k, v, {}), "windowAttention: unsupported operands");
    const int64_t B = q.size(0), H = q.size(1), N = q.size(2), d = q.size(3);
    at::Tensor out = at::empty({B, N, H, d}, q.options());
#if FMW_X86_KERNELS
    const int64_t ld = (N + 15) / 16 * 16;
    const auto scaleF = static_cast<float>(scale);
    auto run = [&](auto *qp, auto *kp, auto *vp, auto *op) {
        at::parallel_for(0, B * H, 1, [&](int64_t begin, int64_t end) {
            // per task: q scaled, k transposed and the scores in fp32; a few hundred KB at most
            std::vector<float> scratch(static_cast<size_t>(N * d + d * ld + N * ld));
            float *qs = scratch.data(), *kt = qs + N * d, *s = kt + d * ld;
            for (int64_t bh = begin; bh < end; ++bh) {
                const int64_t b = bh / H, h = bh % H;
                windowAttentionOne(qp + b * q.stride(0) + h * q.stride(1), q.stride(2),
                    kp + b * k.stride(0) + h * k.stride(1), k.stride(2),
                    vp + b * v.stride(0) + h * v.stride(1), v.stride(2), op + (b * N * H + h) * d, H * d, N,
                    d, scaleF, qs, kt, s);
            }
        });
    };
    withElements(q, k, v, out, run);
#else
    (void)scale;
#endif
    return out.permute({0, 2, 1, 3});
}

bool channelAttentionApplies([[maybe_unused]] const at::Tensor &q, [[maybe_unused]] const at::Tensor &k,
    [[maybe_unused]] const at::Tensor &v)
{
#if FMW_X86_KERNELS
    return attentionOperandsApply(q, k, v) && k.strides() == q.strides() && v.strides() == q.strides();
#else
    return false;
#endif
}

at::Tensor channelAttention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, double scale)
{
    TORCH_CHECK(channelAttentionApplies(q, k, v), "channelAttention: unsupported operands");
    const int64_t B = q.size(0), G = q.size(1), N = q.size(2), d = q.size(3);
    at::Tensor out = at::empty({B, N, G * d}, q.options());
#if FMW_X86_KERNELS
    const auto scaleF = static_cast<float>(scale);
    auto run = [&](auto *qp, auto *kp, auto *vp, auto *op) {
        at::parallel_for(0, B * G, 1, [&](int64_t begin, int64_t end) {
            std::vector<float> scratch(static_cast<size_t>(2 * d * d));
            for (int64_t bg = begin; bg < end; ++bg) {
                const int64_t b = bg / G, g = bg % G;
                const int64_t offset = b * q.stride(0) + g * q.stride(1);
                channelAttentionOne(qp + offset, kp + offset, vp + offset, q.stride(2), N, d, scaleF,
                    op + b * N * G * d + g * d, G * d, scratch.data(), scratch.data() + d * d);
            }
        });
    };
    withElements(q, k, v, out, run);
#else
    (void)scale;
#endif
    return out;
}

} // namespace fmw::florence2
