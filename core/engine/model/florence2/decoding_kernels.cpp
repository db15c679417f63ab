#include "engine/model/florence2/decoding_kernels.h"

#include "engine/model/florence2/cpu_kernel_support.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <vector>

namespace fmw::florence2 {

using namespace cpu_kernels;

namespace {

std::atomic<bool> g_enabled {true};

// Queries are staged on the stack per head.
constexpr int64_t kMaxHeadDim = 256;

// Runs f(chunk) for chunk in [0, chunks) on the intra-op threads, each taking the next chunk
// when done with its last. Static halves leave one thread idle while the other finishes: the
// cores of a shared machine run at different speeds from one moment to the next.
template <typename F>
void forEachChunk(int64_t chunks, const F &f)
{
    std::atomic<int64_t> next {0};
    const int64_t threads = std::min<int64_t>(chunks, at::get_num_threads());
    at::parallel_for(0, threads, 1, [&](int64_t, int64_t) {
        for (int64_t c = next.fetch_add(1); c < chunks; c = next.fetch_add(1))
            f(c);
    });
}

#if FMW_X86_KERNELS

// Rows per chunk for streaming N rows of rowBytes over the intra-op threads: whole blocks of
// `block` rows, up to ~256 KB each (long runs for the prefetchers; 64 KB chunks streamed
// 10-15 % slower, software prefetching measured slower), and a multiple of the thread count in
// all, so that no thread is left with one more chunk than the others (a bf16 768x768 matrix:
// 6 chunks of 128 rows, not 5 of 168).
int64_t balancedChunkRows(int64_t N, int64_t rowBytes, int64_t block)
{
    const int64_t threads = at::get_num_threads();
    int64_t chunks = std::max<int64_t>(1, (N * rowBytes + 262143) / 262144);
    chunks = (chunks + threads - 1) / threads * threads;
    return std::max<int64_t>(block, ((N + chunks - 1) / chunks + block - 1) / block * block);
}

// y[0..3] = the horizontal sums of a[0..3], reduced together: ~3.5 instructions a sum instead of
// _mm512_reduce_add_ps's ~8, which matters when M rows share each weight row (beam search).
// The sums are added in a different order than _mm512_reduce_add_ps; every path uses this one.
FMW_AVX512 inline void storeSums4(const __m512 *a, float *y)
{
    // 128-bit blocks: [a0 b0+b2, a0 b1+b3, a1 b0+b2, a1 b1+b3] and likewise for a2, a3
    const __m512 x01 = _mm512_add_ps(_mm512_shuffle_f32x4(a[0], a[1], 0x44), _mm512_shuffle_f32x4(a[0], a[1], 0xEE));
    const __m512 x23 = _mm512_add_ps(_mm512_shuffle_f32x4(a[2], a[3], 0x44), _mm512_shuffle_f32x4(a[2], a[3], 0xEE));
    // block i: four partial sums of a[i]
    const __m512 blocks = _mm512_add_ps(_mm512_shuffle_f32x4(x01, x23, 0x88), _mm512_shuffle_f32x4(x01, x23, 0xDD));
    // within each block: lane 0 = its total
    const __m512 pairs = _mm512_add_ps(blocks, _mm512_permute_ps(blocks, 0x4E));
    const __m512 totals = _mm512_add_ps(pairs, _mm512_permute_ps(pairs, 0xB1));
    const __m512i firstLanes = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    _mm_storeu_ps(y, _mm512_castps512_ps128(_mm512_permutexvar_ps(firstLanes, totals)));
}

// y[m * ldy + r] = the horizontal sum of acc[r][m], for R weight rows and M rows of x.
template <int M, int R>
FMW_AVX512 inline void storeSums(__m512 (&acc)[R][M], float *y, int64_t ldy)
{
    if constexpr (R % 4 == 0) {
        FMW_UNROLL
        for (int m = 0; m < M; ++m)
            FMW_UNROLL
            for (int r = 0; r < R; r += 4) {
                const __m512 four[4] = {acc[r][m], acc[r + 1][m], acc[r + 2][m], acc[r + 3][m]};
                storeSums4(four, y + m * ldy + r);
            }
    } else {
        // the same order of additions as storeSums4, so that a row's sum does not depend on
        // whether it fell in a block of 8 or in the tail (screenedArgmax relies on it)
        FMW_UNROLL
        for (int r = 0; r < R; ++r)
            FMW_UNROLL
            for (int m = 0; m < M; ++m) {
                const __m512 same[4] = {acc[r][m], acc[r][m], acc[r][m], acc[r][m]};
                float sums[4];
                storeSums4(same, sums);
                y[m * ldy + r] = sums[0];
            }
    }
}

// y[m * ldy + n] = sum_k x[m * K + k] * w[n * K + k] for n in [n0, n1), m < M. R weight rows at
// a time: R streams in flight, and each 16-wide weight load serves all M rows of x (in L1).
template <int M, int R, typename W>
FMW_AVX512 void dotRows(const float *x, int64_t K, const W *w, int64_t n, float *y, int64_t ldy)
{
    __m512 acc[R][M];
    FMW_UNROLL
    for (int r = 0; r < R; ++r)
        FMW_UNROLL
        for (int m = 0; m < M; ++m)
            acc[r][m] = _mm512_setzero_ps();
    const int64_t kMain = K & ~int64_t(15);
    for (int64_t k = 0; k < kMain; k += 16) {
        __m512 wv[R];
        FMW_UNROLL
        for (int r = 0; r < R; ++r) {
            wv[r] = load16(w + (n + r) * K + k);
            // keep it in a register: folded into each FMA it would be loaded M times
            asm("" : "+v"(wv[r]));
        }
        FMW_UNROLL
        for (int m = 0; m < M; ++m) {
            const __m512 xv = _mm512_loadu_ps(x + m * K + k);
            FMW_UNROLL
            for (int r = 0; r < R; ++r)
                acc[r][m] = _mm512_fmadd_ps(wv[r], xv, acc[r][m]);
        }
    }
    if (kMain < K) {
        const auto mask = static_cast<__mmask16>((1u << (K - kMain)) - 1);
        __m512 wv[R];
        FMW_UNROLL
        for (int r = 0; r < R; ++r)
            wv[r] = load16(w + (n + r) * K + kMain, mask);
        FMW_UNROLL
        for (int m = 0; m < M; ++m) {
            const __m512 xv = _mm512_maskz_loadu_ps(mask, x + m * K + kMain);
            FMW_UNROLL
            for (int r = 0; r < R; ++r)
                acc[r][m] = _mm512_fmadd_ps(wv[r], xv, acc[r][m]);
        }
    }
    storeSums<M, R>(acc, y + n, ldy);
}

template <int M, typename W>
FMW_AVX512 void dotRange(const float *x, int64_t K, const W *w, int64_t n0, int64_t n1, float *y, int64_t ldy)
{
    // weight streams in flight: 8 rows stream ~12 % faster than 4 for M = 3 even though their
    // 24 accumulators leave few registers; M = 4 would need 32
    constexpr int R = M <= 3 ? 8 : 4;
    int64_t n = n0;
    for (; n + R <= n1; n += R)
        dotRows<M, R>(x, K, w, n, y, ldy);
    for (; n < n1; ++n)
        dotRows<M, 1>(x, K, w, n, y, ldy);
}

template <typename W>
void dotRangeRows(int64_t rows, const float *x, int64_t K, const W *w, int64_t n0, int64_t n1, float *y, int64_t ldy)
{
    switch (rows) {
    case 1:
        return dotRange<1>(x, K, w, n0, n1, y, ldy);
    case 2:
        return dotRange<2>(x, K, w, n0, n1, y, ldy);
    case 3:
        return dotRange<3>(x, K, w, n0, n1, y, ldy);
    default:
        return dotRange<4>(x, K, w, n0, n1, y, ldy);
    }
}

// y[n] (+= bias[n]) for n in [n0, n1), and, when out is given, out[n] = bf16(y[n]) (storeBf16).
// For the LM head this is 51k values a row.
template <typename B>
FMW_AVX512 void finishRow(float *y, const B *bias, uint16_t *out, int64_t n0, int64_t n1)
{
    for (int64_t n = n0; n < n1; n += 16) {
        const __mmask16 mask = tailMask(n1 - n);
        __m512 v = _mm512_maskz_loadu_ps(mask, y + n);
        if (bias) {
            v = _mm512_add_ps(v, load16(bias + n, mask));
            _mm512_mask_storeu_ps(y + n, mask, v);
        }
        if (out)
            storeBf16(out + n, v, mask);
    }
}

template <typename X, typename P>
FMW_AVX512 void layerNormRow(const X *x, const P *w, const P *b, int64_t D, float eps, float *yf, uint16_t *yb)
{
    __m512 sum = _mm512_setzero_ps();
    for (int64_t n = 0; n < D; n += 16)
        sum = _mm512_add_ps(sum, load16(x + n, tailMask(D - n)));
    const float mean = _mm512_reduce_add_ps(sum) / static_cast<float>(D);
    const __m512 meanV = _mm512_set1_ps(mean);
    __m512 squares = _mm512_setzero_ps();
    for (int64_t n = 0; n < D; n += 16) {
        const __mmask16 mask = tailMask(D - n);
        const __m512 centred = _mm512_maskz_sub_ps(mask, load16(x + n, mask), meanV);
        squares = _mm512_fmadd_ps(centred, centred, squares);
    }
    const float variance = _mm512_reduce_add_ps(squares) / static_cast<float>(D);
    const __m512 rstd = _mm512_set1_ps(1.0f / std::sqrt(variance + eps));
    for (int64_t n = 0; n < D; n += 16) {
        const __mmask16 mask = tailMask(D - n);
        const __m512 normed = _mm512_mul_ps(_mm512_sub_ps(load16(x + n, mask), meanV), rstd);
        const __m512 y = _mm512_fmadd_ps(normed, load16(w + n, mask), load16(b + n, mask));
        if (yb)
            storeBf16(yb + n, y, mask);
        else
            _mm512_mask_storeu_ps(yf + n, mask, y);
    }
}

template <typename X>
void layerNormRowOf(const X *x, const void *w, const void *b, bool bf16Params, int64_t D, float eps, float *yf,
    uint16_t *yb)
{
    if (bf16Params)
        layerNormRow(x, static_cast<const uint16_t *>(w), static_cast<const uint16_t *>(b), D, eps, yf, yb);
    else
        layerNormRow(x, static_cast<const float *>(w), static_cast<const float *>(b), D, eps, yf, yb);
}

// bf16 x and bf16 weights (a bf16 model): vdpbf16ps multiplies 32 bf16 pairs exactly and sums
// them into fp32, so the weights need no widening, which halves the instructions per byte.
#define FMW_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

bool cpuHasAvx512Bf16()
{
    static const bool has = cpuHasAvx512() && __builtin_cpu_supports("avx512bf16");
    return has;
}

// dotRows for bf16 pairs, 32 weights a step. Its own function rather than a dotRows policy:
// it needs the avx512bf16 target, which the other paths must not require, and a function
// cannot inline code compiled for a wider target.
template <int M, int R>
FMW_AVX512_BF16 void dotRowsBf16(const uint16_t *x, int64_t K, const uint16_t *w, int64_t n, float *y, int64_t ldy)
{
    __m512 acc[R][M];
    FMW_UNROLL
    for (int r = 0; r < R; ++r)
        FMW_UNROLL
        for (int m = 0; m < M; ++m)
            acc[r][m] = _mm512_setzero_ps();
    const int64_t kMain = K & ~int64_t(31);
    for (int64_t k = 0; k < kMain; k += 32) {
        __m512i wv[R];
        FMW_UNROLL
        for (int r = 0; r < R; ++r) {
            wv[r] = _mm512_loadu_si512(w + (n + r) * K + k);
            asm("" : "+v"(wv[r]));
        }
        FMW_UNROLL
        for (int m = 0; m < M; ++m) {
            const __m512i xv = _mm512_loadu_si512(x + m * K + k);
            FMW_UNROLL
            for (int r = 0; r < R; ++r)
                acc[r][m] = _mm512_dpbf16_ps(acc[r][m], (__m512bh)wv[r], (__m512bh)xv);
        }
    }
    if (kMain < K) {
        const auto mask = static_cast<__mmask32>((1ull << (K - kMain)) - 1);
        __m512i wv[R];
        FMW_UNROLL
        for (int r = 0; r < R; ++r)
            wv[r] = _mm512_maskz_loadu_epi16(mask, w + (n + r) * K + kMain);
        FMW_UNROLL
        for (int m = 0; m < M; ++m) {
            const __m512i xv = _mm512_maskz_loadu_epi16(mask, x + m * K + kMain);
            FMW_UNROLL
            for (int r = 0; r < R; ++r)
                acc[r][m] = _mm512_dpbf16_ps(acc[r][m], (__m512bh)wv[r], (__m512bh)xv);
        }
    }
    storeSums<M, R>(acc, y + n, ldy);
}

template <int M>
FMW_AVX512_BF16 void dotRangeBf16(
    const uint16_t *x, int64_t K, const uint16_t *w, int64_t n0, int64_t n1, float *y, int64_t ldy)
{
    constexpr int R = M <= 3 ? 8 : 4;
    int64_t n = n0;
    for (; n + R <= n1; n += R)
        dotRowsBf16<M, R>(x, K, w, n, y, ldy);
    for (; n < n1; ++n)
        dotRowsBf16<M, 1>(x, K, w, n, y, ldy);
}

void dotRangeRowsBf16(
    int64_t rows, const uint16_t *x, int64_t K, const uint16_t *w, int64_t n0, int64_t n1, float *y, int64_t ldy)
{
    switch (rows) {
    case 1:
        return dotRangeBf16<1>(x, K, w, n0, n1, y, ldy);
    case 2:
        return dotRangeBf16<2>(x, K, w, n0, n1, y, ldy);
    case 3:
        return dotRangeBf16<3>(x, K, w, n0, n1, y, ldy);
    default:
        return dotRangeBf16<4>(x, K, w, n0, n1, y, ldy);
    }
}

// out[t * ldo + j] = sum_s p[t * S + s] * v[s * d + j] for t < T, j < d: the attention-weighted
// sum of the value rows, each row read once for all T queries. 64 columns (4 vectors) at a time.
template <int T, typename W>
FMW_AVX512 void weightedRows(const float *p, int64_t S, const W *v, int64_t d, float *out, int64_t ldo)
{
    for (int64_t j0 = 0; j0 < d; j0 += 64) {
        __mmask16 masks[4];
        FMW_UNROLL
        for (int c = 0; c < 4; ++c) {
            const int64_t left = d - j0 - 16 * c;
            masks[c] = left >= 16 ? __mmask16(0xFFFF) : left > 0 ? __mmask16((1u << left) - 1) : __mmask16(0);
        }
        __m512 acc[T][4];
        FMW_UNROLL
        for (int t = 0; t < T; ++t)
            FMW_UNROLL
            for (int c = 0; c < 4; ++c)
                acc[t][c] = _mm512_setzero_ps();
        for (int64_t s = 0; s < S; ++s) {
            __m512 rows[4];
            FMW_UNROLL
            for (int c = 0; c < 4; ++c)
                rows[c] = load16(v + s * d + j0 + 16 * c, masks[c]);
            FMW_UNROLL
            for (int t = 0; t < T; ++t) {
                const __m512 weight = _mm512_set1_ps(p[t * S + s]);
                FMW_UNROLL
                for (int c = 0; c < 4; ++c)
                    acc[t][c] = _mm512_fmadd_ps(weight, rows[c], acc[t][c]);
            }
        }
        FMW_UNROLL
        for (int t = 0; t < T; ++t)
            FMW_UNROLL
            for (int c = 0; c < 4; ++c)
                _mm512_mask_storeu_ps(out + t * ldo + j0 + 16 * c, masks[c], acc[t][c]);
    }
}

template <typename W>
void weightedRowsOf(int64_t queries, const float *p, int64_t S, const W *v, int64_t d, float *out, int64_t ldo)
{
    switch (queries) {
    case 1:
        return weightedRows<1>(p, S, v, d, out, ldo);
    case 2:
        return weightedRows<2>(p, S, v, d, out, ldo);
    case 3:
        return weightedRows<3>(p, S, v, d, out, ldo);
    default:
        return weightedRows<4>(p, S, v, d, out, ldo);
    }
}

// int8 screening of the LM head (ScreenedArgmax): u8 x s8 products summed exactly in int32.
#define FMW_AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

bool cpuHasAvx512Vnni()
{
    static const bool has = cpuHasAvx512() && __builtin_cpu_supports("avx512vnni");
    return has;
}

// y[m * ldy + n + r] = sum_k u[m * Kp + k] * q[(n + r) * Kp + k] for r < R, m < M; rows padded
// with zeros to Kp, a multiple of 64.
template <int M, int R>
FMW_AVX512_VNNI void screenRows(const uint8_t *u, int64_t Kp, const int8_t *q, int64_t n, int32_t *y, int64_t ldy)
{
    __m512i acc[R][M];
    FMW_UNROLL
    for (int r = 0; r < R; ++r)
        FMW_UNROLL
        for (int m = 0; m < M; ++m)
            acc[r][m] = _mm512_setzero_si512();
    for (int64_t k = 0; k < Kp; k += 64) {
        __m512i wv[R];
        FMW_UNROLL
        for (int r = 0; r < R; ++r) {
            wv[r] = _mm512_loadu_si512(q + (n + r) * Kp + k);
            asm("" : "+v"(wv[r]));
        }
        FMW_UNROLL
        for (int m = 0; m < M; ++m) {
            const __m512i xv = _mm512_loadu_si512(u + m * Kp + k);
            FMW_UNROLL
            for (int r = 0; r < R; ++r)
                acc[r][m] = _mm512_dpbusd_epi32(acc[r][m], xv, wv[r]);
        }
    }
    FMW_UNROLL
    for (int r = 0; r < R; ++r)
        FMW_UNROLL
        for (int m = 0; m < M; ++m)
            y[m * ldy + n + r] = _mm512_reduce_add_epi32(acc[r][m]);
}

template <int M>
FMW_AVX512_VNNI void screenRange(const uint8_t *u, int64_t Kp, const int8_t *q, int64_t n0, int64_t n1, int32_t *y,
    int64_t ldy)
{
    constexpr int R = M <= 2 ? 8 : 4;
    int64_t n = n0;
    for (; n + R <= n1; n += R)
        screenRows<M, R>(u, Kp, q, n, y, ldy);
    for (; n < n1; ++n)
        screenRows<M, 1>(u, Kp, q, n, y, ldy);
}

void screenRangeRows(int64_t rows, const uint8_t *u, int64_t Kp, const int8_t *q, int64_t n0, int64_t n1, int32_t *y,
    int64_t ldy)
{
    switch (rows) {
    case 1:
        return screenRange<1>(u, Kp, q, n0, n1, y, ldy);
    case 2:
        return screenRange<2>(u, Kp, q, n0, n1, y, ldy);
    case 3:
        return screenRange<3>(u, Kp, q, n0, n1, y, ldy);
    default:
        return screenRange<4>(u, Kp, q, n0, n1, y, ldy);
    }
}

// One weight row as int8 levels q = round(w / scale), scale = max|w| / 127, padded with zeros
// to Kp, with the norms the bounds need, rounded up: fp32 sums of K squares are within
// (K + 16) 2^-24 of the exact sums (relative, as the terms are positive).
struct QuantisedRow {
    float scale = 1.0f, norm = 0.0f, residualNorm = 0.0f;
    int32_t sum = 0;
    bool finite = true;
};

template <typename W>
FMW_AVX512 QuantisedRow quantiseRow(const W *w, int64_t K, int64_t Kp, int8_t *q)
{
    QuantisedRow r;
    __m512 amax = _mm512_setzero_ps(), squares = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k += 16) {
        const __m512 v = load16(w + k, tailMask(K - k));
        amax = _mm512_max_ps(amax, _mm512_abs_ps(v));
        squares = _mm512_fmadd_ps(v, v, squares);
    }
    const float largest = _mm512_reduce_max_ps(amax), sumSquares = _mm512_reduce_add_ps(squares);
    if (!std::isfinite(largest) || !std::isfinite(sumSquares)) {
        r.finite = false;
        return r;
    }
    r.scale = largest > 0.0f ? largest / 127.0f : 1.0f;
    const __m512 scale = _mm512_set1_ps(r.scale), limit = _mm512_set1_ps(127.0f);
    __m512i sum = _mm512_setzero_si512();
    __m512 residual = _mm512_setzero_ps();
    for (int64_t k = 0; k < Kp; k += 16) {
        const __mmask16 mask = k < K ? tailMask(K - k) : __mmask16(0);
        const __m512 v = load16(w + k, mask);
        // nearbyint(w / scale) clamped to +-127, as a scalar loop would
        __m512 level = _mm512_roundscale_ps(_mm512_div_ps(v, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        level = _mm512_max_ps(_mm512_min_ps(level, limit), _mm512_sub_ps(_mm512_setzero_ps(), limit));
        const __m512i levels = _mm512_maskz_cvtps_epi32(mask, level);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(q + k), _mm512_cvtepi32_epi8(levels));
        sum = _mm512_add_epi32(sum, levels);
        // w - scale * q with one rounding; masked lanes are 0 - 0
        const __m512 error = _mm512_maskz_fnmadd_ps(mask, scale, level, v);
        residual = _mm512_fmadd_ps(error, error, residual);
    }
    const double slack = 1.0 + 2.0 * static_cast<double>(K + 16) * std::ldexp(1.0, -24) + std::ldexp(1.0, -20);
    const float up = std::numeric_limits<float>::infinity();
    r.sum = _mm512_reduce_add_epi32(sum);
    r.norm = std::nextafter(static_cast<float>(std::sqrt(static_cast<double>(sumSquares) * slack)), up);
    r.residualNorm = std::nextafter(
        static_cast<float>(std::sqrt(static_cast<double>(_mm512_reduce_add_ps(residual)) * slack)), up);
    return r;
}

// One row of x against the screen: the bounds' per-row terms.
struct ScreenRow {
    float scale = 0; // x ~ scale * (u - 128)
    float normTerm = 0; // multiplies ||w_n||: ||x - x^||_2 plus the fp32 summation bound
    float residualTerm = 0; // multiplies ||w_n - w^_n||: ||x^||_2
};

// L = A - e and U = A + e for tokens [n0, n1) of one row, from the integer sums I (u8 offset
// still in) and the bias; returns max L, or NaN when a bound is not finite. A = scale_x * scale_n * (I - 128 sum q_n) + b_n.
template <typename B>
FMW_AVX512 float screenBounds(const int32_t *I, const int32_t *qSum, const float *scale, const float *norm,
    const float *residual, const B *bias, const ScreenRow &row, int64_t n0, int64_t n1, float *lower, float *upper)
{
    const __m512 xs = _mm512_set1_ps(row.scale), nt = _mm512_set1_ps(row.normTerm),
                 rt = _mm512_set1_ps(row.residualTerm);
    // covers A's own fp32 rounding and the exact path's rounding of sum + bias
    const __m512 relative = _mm512_set1_ps(1.0f / (1 << 20)), tiny = _mm512_set1_ps(1e-30f);
    __m512 best = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    __mmask16 nonFinite = 0;
    for (int64_t n = n0; n < n1; n += 16) {
        const __mmask16 mask = tailMask(n1 - n);
        const __m512i sums = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(mask, I + n),
            _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mask, qSum + n), 7));
        const __m512 b = bias ? load16(bias + n, mask) : _mm512_setzero_ps();
        const __m512 a = _mm512_fmadd_ps(_mm512_mul_ps(xs, _mm512_maskz_loadu_ps(mask, scale + n)),
            _mm512_cvtepi32_ps(sums), b);
        __m512 e = _mm512_fmadd_ps(nt, _mm512_maskz_loadu_ps(mask, norm + n),
            _mm512_mul_ps(rt, _mm512_maskz_loadu_ps(mask, residual + n)));
        e = _mm512_fmadd_ps(relative, _mm512_add_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)), e);
        // 2^-10 of headroom for the rounding of e itself
        e = _mm512_add_ps(_mm512_fmadd_ps(e, _mm512_set1_ps(1.0f / 1024), e), tiny);
        const __m512 lo = _mm512_sub_ps(a, e), hi = _mm512_add_ps(a, e);
        _mm512_mask_storeu_ps(lower + n, mask, lo);
        _mm512_mask_storeu_ps(upper + n, mask, hi);
        best = _mm512_mask_max_ps(best, mask, best, lo);
        // a non-finite bound (NaN or infinite value, bias or norm) turns hi - lo - (hi - lo) NaN
        const __m512 width = _mm512_sub_ps(hi, lo);
        const __m512 zeroIfFinite = _mm512_sub_ps(width, width);
        nonFinite |= _mm512_mask_cmp_ps_mask(mask, zeroIfFinite, zeroIfFinite, _CMP_UNORD_Q);
    }
    return nonFinite ? std::numeric_limits<float>::quiet_NaN() : _mm512_reduce_max_ps(best);
}

// Appends to out the n in [0, N) with hi[n] >= threshold, ascending; false once more than
// `limit` are found.
FMW_AVX512 bool collectAtLeast(const float *hi, int64_t N, float threshold, int64_t limit, std::vector<int64_t> &out)
{
    const __m512 t = _mm512_set1_ps(threshold);
    for (int64_t n = 0; n < N; n += 16) {
        const __mmask16 mask = tailMask(N - n);
        __mmask16 hits = _mm512_mask_cmp_ps_mask(mask, _mm512_maskz_loadu_ps(mask, hi + n), t, _CMP_GE_OQ);
        for (; hits; hits &= static_cast<__mmask16>(hits - 1)) {
            out.push_back(n + __builtin_ctz(hits));
            if (static_cast<int64_t>(out.size()) > limit)
                return false;
        }
    }
    return true;
}

#endif // FMW_X86_KERNELS

} // namespace

void setDecodingKernelsEnabled(bool enabled)
{
    g_enabled.store(enabled);
}

bool decodingKernelsEnabled()
{
    return g_enabled.load();
}

bool fewRowsLinearApplies(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias)
{
#if FMW_X86_KERNELS
    if (!g_enabled.load() || !cpuHasAvx512() || !x.defined() || !weight.defined() || x.dim() < 1 || weight.dim() != 2)
        return false;
    const int64_t in = x.size(-1);
    if (in == 0 || weight.size(1) != in || weight.size(0) == 0)
        return false;
    const int64_t rows = x.numel() / in;
    if (rows < 1 || rows > kDecodingKernelMaxRows)
        return false;
    if (!x.device().is_cpu() || !weight.device().is_cpu() || !isFloatOrBf16(x) || !isFloatOrBf16(weight)
        || !weight.is_contiguous())
        return false;
    if (bias.defined()
        && (!bias.device().is_cpu() || !isFloatOrBf16(bias) || bias.dim() != 1 || bias.size(0) != weight.size(0)))
        return false;
    return !anyGradient({&x, &weight, &bias});
#else
    (void)x;
    (void)weight;
    (void)bias;
    return false;
#endif
}

at::Tensor fewRowsLinear(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias)
{
#if FMW_X86_KERNELS
    TORCH_CHECK(fewRowsLinearApplies(x, weight, bias), "fewRowsLinear: unsupported operands");
    const int64_t K = x.size(-1), N = weight.size(0);
    const int64_t rows = x.numel() / K;
    const bool bf16Pairs = x.scalar_type() == at::kBFloat16 && weight.scalar_type() == at::kBFloat16
        && cpuHasAvx512Bf16();
    const at::Tensor xf = bf16Pairs ? x.contiguous() : x.to(at::kFloat).contiguous();
    const at::Tensor b = bias.defined() ? bias.contiguous() : at::Tensor();
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = N;
    at::Tensor out = at::empty(shape, x.options());
    // bf16 output: sum into fp32 and round once at the end
    at::Tensor sums = x.scalar_type() == at::kFloat ? out : at::empty({rows, N}, x.options().dtype(at::kFloat));

    const void *xp = xf.data_ptr();
    float *yp = sums.data_ptr<float>();
    const void *bp = b.defined() ? b.data_ptr() : nullptr;
    const bool bf16Bias = b.defined() && b.scalar_type() == at::kBFloat16;
    auto *op = x.scalar_type() == at::kBFloat16 ? reinterpret_cast<uint16_t *>(out.data_ptr<c10::BFloat16>()) : nullptr;
    const bool bf16Weight = weight.scalar_type() == at::kBFloat16;
    const void *wp = weight.data_ptr();

    // whole 8-row blocks (dotRange's)
    const int64_t chunkRows = balancedChunkRows(N, K * static_cast<int64_t>(weight.element_size()), 8);
    forEachChunk((N + chunkRows - 1) / chunkRows, [&](int64_t chunk) {
        const int64_t n0 = chunk * chunkRows, n1 = std::min(N, n0 + chunkRows);
        if (bf16Pairs)
            dotRangeRowsBf16(rows, static_cast<const uint16_t *>(xp), K, static_cast<const uint16_t *>(wp), n0, n1,
                yp, N);
        else if (bf16Weight)
            dotRangeRows(rows, static_cast<const float *>(xp), K, static_cast<const uint16_t *>(wp), n0, n1, yp, N);
        else
            dotRangeRows(rows, static_cast<const float *>(xp), K, static_cast<const float *>(wp), n0, n1, yp, N);
        if (bp || op)
            for (int64_t m = 0; m < rows; ++m) {
                uint16_t *o = op ? op + m * N : nullptr;
                if (bf16Bias)
                    finishRow(yp + m * N, static_cast<const uint16_t *>(bp), o, n0, n1);
                else
                    finishRow(yp + m * N, static_cast<const float *>(bp), o, n0, n1);
            }
    });
    return out;
#else
    return at::linear(x, weight, bias);
#endif
}

bool fewRowsLayerNormApplies(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias)
{
#if FMW_X86_KERNELS
    if (!g_enabled.load() || !cpuHasAvx512() || !x.defined() || !weight.defined() || !bias.defined() || x.dim() < 1)
        return false;
    const int64_t D = x.size(-1);
    if (D < 1 || x.numel() / D > kDecodingKernelMaxRows || x.numel() == 0 || !x.is_contiguous())
        return false;
    if (weight.dim() != 1 || bias.dim() != 1 || weight.size(0) != D || bias.size(0) != D || !weight.is_contiguous()
        || !bias.is_contiguous() || weight.scalar_type() != bias.scalar_type())
        return false;
    if (!x.device().is_cpu() || !weight.device().is_cpu() || !bias.device().is_cpu() || !isFloatOrBf16(x)
        || !isFloatOrBf16(weight))
        return false;
    return !anyGradient({&x, &weight, &bias});
#else
    (void)x;
    (void)weight;
    (void)bias;
    return false;
#endif
}

at::Tensor fewRowsLayerNorm(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias, double eps)
{
#if FMW_X86_KERNELS
    TORCH_CHECK(fewRowsLayerNormApplies(x, weight, bias), "fewRowsLayerNorm: unsupported operands");
    const int64_t D = x.size(-1), rows = x.numel() / D;
    at::Tensor out = at::empty_like(x);
    const bool bf16 = x.scalar_type() == at::kBFloat16;
    const bool bf16Params = weight.scalar_type() == at::kBFloat16;
    const auto epsF = static_cast<float>(eps);
    for (int64_t r = 0; r < rows; ++r) {
        if (bf16)
            layerNormRowOf(reinterpret_cast<const uint16_t *>(x.data_ptr<c10::BFloat16>()) + r * D, weight.data_ptr(),
                bias.data_ptr(), bf16Params, D, epsF, nullptr,
                reinterpret_cast<uint16_t *>(out.data_ptr<c10::BFloat16>()) + r * D);
        else
            layerNormRowOf(x.data_ptr<float>() + r * D, weight.data_ptr(), bias.data_ptr(), bf16Params, D, epsF,
                out.data_ptr<float>() + r * D, nullptr);
    }
    return out;
#else
    (void)eps;
    TORCH_CHECK(false, "fewRowsLayerNorm needs an x86-64 build");
    return x;
#endif
}

bool fewQueriesAttentionApplies(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const at::Tensor &mask)
{
#if FMW_X86_KERNELS
    if (!g_enabled.load() || !cpuHasAvx512() || !q.defined() || !k.defined() || !v.defined() || q.dim() != 4
        || k.dim() != 4 || v.dim() != 4)
        return false;
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), d = q.size(3), S = k.size(2);
    if (T < 1 || T > kDecodingKernelMaxRows || d < 1 || d > kMaxHeadDim || S < 1 || B < 1 || H < 1
        || q.stride(3) != 1)
        return false;
    for (const at::Tensor *kv : {&k, &v}) {
        if (kv->size(0) != B || kv->size(1) != H || kv->size(2) != S || kv->size(3) != d)
            return false;
        // packed rows: the kernel walks S rows of d values
        if (kv->stride(3) != 1 || (S > 1 && kv->stride(2) != d))
            return false;
    }
    if (!q.device().is_cpu() || !k.device().is_cpu() || !v.device().is_cpu() || !isFloatOrBf16(q)
        || k.scalar_type() != q.scalar_type() || v.scalar_type() != q.scalar_type())
        return false;
    if (mask.defined()) {
        if (mask.dim() != 4 || !mask.device().is_cpu() || !isFloatOrBf16(mask))
            return false;
        const int64_t target[4] = {B, H, T, S};
        for (int i = 0; i < 4; ++i)
            if (mask.size(i) != 1 && mask.size(i) != target[i])
                return false;
    }
    return !anyGradient({&q, &k, &v, &mask});
#else
    (void)q;
    (void)k;
    (void)v;
    (void)mask;
    return false;
#endif
}

at::Tensor fewQueriesAttention(
    const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const at::Tensor &mask, double scale)
{
#if FMW_X86_KERNELS
    TORCH_CHECK(fewQueriesAttentionApplies(q, k, v, mask), "fewQueriesAttention: unsupported operands");
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), d = q.size(3), S = k.size(2);
    at::Tensor scores = at::empty({B, H, T, S}, q.options().dtype(at::kFloat));
    // a broadcast mask as strides (0 along broadcast dims)
    const at::Tensor m = mask.defined() ? mask.to(at::kFloat).expand({B, H, T, S}) : at::Tensor();
    // q, k and v share the dtype (fewQueriesAttentionApplies)
    const bool bf16 = q.scalar_type() == at::kBFloat16;

    float *sp = scores.data_ptr<float>();
    const c10::BFloat16 *qBf16 = bf16 ? q.data_ptr<c10::BFloat16>() : nullptr;
    const float *qFloat = bf16 ? nullptr : q.data_ptr<float>();
    // the reference multiplies the fp32 query by the scale as a float
    const auto scaleF = static_cast<float>(scale);
    forEachChunk(B * H, [&](int64_t bh) {
        const int64_t b = bh / H, h = bh % H;
        float *rowScores = sp + bh * T * S;
        const int64_t keyOffset = b * k.stride(0) + h * k.stride(1);
        // this head's queries in fp32, scaled first as the reference does
        float qs[kDecodingKernelMaxRows * kMaxHeadDim];
        for (int64_t t = 0; t < T; ++t) {
            const int64_t offset = b * q.stride(0) + h * q.stride(1) + t * q.stride(2);
            for (int64_t j = 0; j < d; ++j)
                qs[t * d + j] = (bf16 ? static_cast<float>(qBf16[offset + j]) : qFloat[offset + j]) * scaleF;
        }
        if (bf16)
            dotRangeRows(T, qs, d, static_cast<const uint16_t *>(k.data_ptr()) + keyOffset, 0, S,
                rowScores, S);
        else
            dotRangeRows(T, qs, d, k.data_ptr<float>() + keyOffset, 0, S, rowScores, S);
        if (m.defined()) {
            const float *mp = m.data_ptr<float>() + b * m.stride(0) + h * m.stride(1);
            for (int64_t t = 0; t < T; ++t)
                for (int64_t s = 0; s < S; ++s)
                    rowScores[t * S + s] += mp[t * m.stride(2) + s * m.stride(3)];
        }
    });
    at::_softmax_out(scores, scores, -1, false);

    // [B, T, H, d]: the heads side by side, as the output projection wants them
    at::Tensor out = at::empty({B, T, H, d}, q.options());
    at::Tensor sums = bf16 ? at::empty({B, T, H, d}, q.options().dtype(at::kFloat)) : out;
    float *op = sums.data_ptr<float>();
    forEachChunk(B * H, [&](int64_t bh) {
        const int64_t b = bh / H, h = bh % H;
        const int64_t valueOffset = b * v.stride(0) + h * v.stride(1);
        float *o = op + (b * T * H + h) * d;
        if (bf16)
            weightedRowsOf(T, sp + bh * T * S, S, static_cast<const uint16_t *>(v.data_ptr()) + valueOffset, d,
                o, H * d);
        else
            weightedRowsOf(T, sp + bh * T * S, S, v.data_ptr<float>() + valueOffset, d, o, H * d);
    });
    if (bf16)
        out.copy_(sums);
    return out.transpose(1, 2);
#else
    (void)scale;
    TORCH_CHECK(false, "fewQueriesAttention needs an x86-64 build");
    return q;
#endif
}

bool ScreenedArgmax::applies(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias)
{
#if FMW_X86_KERNELS
    if (!fewRowsLinearApplies(x, weight, bias) || !cpuHasAvx512Vnni() || weight.is_inference())
        return false;
    // int32 sums of u8 x s8 products stay exact up to 2^31 / (255 * 127) values a row
    return x.size(-1) <= 65536 && (x.dim() == 2 || (x.dim() == 3 && x.size(1) == 1));
#else
    (void)x;
    (void)weight;
    (void)bias;
    return false;
#endif
}

void ScreenedArgmax::rebuild(const at::Tensor &weight)
{
#if FMW_X86_KERNELS
    const int64_t N = weight.size(0), K = weight.size(1), Kp = (K + 63) / 64 * 64;
    // every byte is written below (padding included): no zeroing pass over ~40 MB
    m_q.resize(static_cast<size_t>(N * Kp));
    m_scale.resize(static_cast<size_t>(N));
    m_norm.resize(static_cast<size_t>(N));
    m_residualNorm.resize(static_cast<size_t>(N));
    m_qSum.resize(static_cast<size_t>(N));
    const bool bf16 = weight.scalar_type() == at::kBFloat16;
    const void *wp = weight.data_ptr();
    std::atomic<bool> finite {true};
    at::parallel_for(0, N, 256, [&](int64_t n0, int64_t n1) {
        for (int64_t n = n0; n < n1; ++n) {
            const QuantisedRow r = bf16
                ? quantiseRow(static_cast<const uint16_t *>(wp) + n * K, K, Kp, m_q.data() + n * Kp)
                : quantiseRow(static_cast<const float *>(wp) + n * K, K, Kp, m_q.data() + n * Kp);
            if (!r.finite)
                finite = false;
            m_scale[static_cast<size_t>(n)] = r.scale;
            m_qSum[static_cast<size_t>(n)] = r.sum;
            m_norm[static_cast<size_t>(n)] = r.norm;
            m_residualNorm[static_cast<size_t>(n)] = r.residualNorm;
        }
    });
    m_usable = finite.load();
    m_data = weight.data_ptr();
    m_version = weight._version();
    m_shape = weight.sizes().vec();
    m_dtype = weight.scalar_type();
#else
    (void)weight;
#endif
}

std::vector<int64_t> ScreenedArgmax::argmax(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias,
    const std::vector<std::vector<int64_t>> &excluded)
{
#if FMW_X86_KERNELS
    TORCH_CHECK(applies(x, weight, bias), "ScreenedArgmax: unsupported operands");
    const std::lock_guard<std::mutex> lock(m_mutex);
    if (weight.data_ptr() != m_data || weight._version() != m_version || weight.sizes() != at::IntArrayRef(m_shape)
        || weight.scalar_type() != m_dtype)
        rebuild(weight);
    m_lastCandidates = 0;
    if (!m_usable)
        return {};
    const int64_t K = x.size(-1), N = weight.size(0), Kp = (K + 63) / 64 * 64;
    const int64_t rows = x.numel() / K;
    TORCH_CHECK(excluded.empty() || static_cast<int64_t>(excluded.size()) == rows, "ScreenedArgmax: ",
        excluded.size(), " excluded lists for ", rows, " rows");

    // x as fp32 for the bounds; the exact path reads it as fewRowsLinear does
    const bool bf16Pairs = x.scalar_type() == at::kBFloat16 && weight.scalar_type() == at::kBFloat16
        && cpuHasAvx512Bf16();
    const at::Tensor xf = x.reshape({rows, K}).to(at::kFloat).contiguous();
    const at::Tensor xExact = bf16Pairs ? x.reshape({rows, K}).contiguous() : xf;
    const float *xp = xf.data_ptr<float>();

    // x ~ scale * (u - 128), u in [1, 255]; the bounds' terms in double, rounded up
    // buffers kept between calls (the lock serialises calls): no allocation, no zeroing per step
    std::vector<uint8_t> &u = m_u;
    u.assign(static_cast<size_t>(rows * Kp), 0);
    std::vector<ScreenRow> screenRows(static_cast<size_t>(rows));
    const double summation = (2.0 * static_cast<double>(K) + 64.0) * std::ldexp(1.0, -24);
    for (int64_t m = 0; m < rows; ++m) {
        const float *row = xp + m * K;
        float amax = 0.0f;
        for (int64_t k = 0; k < K; ++k)
            amax = std::max(amax, std::abs(row[k]));
        if (!std::isfinite(amax))
            return {};
        const float scale = amax / 127.0f;
        double error = 0.0, quantised = 0.0, norm = 0.0;
        for (int64_t k = 0; k < K; ++k) {
            const float level = scale > 0.0f ? std::min(127.0f, std::max(-127.0f, std::nearbyint(row[k] / scale))) : 0.0f;
            u[static_cast<size_t>(m * Kp + k)] = static_cast<uint8_t>(static_cast<int>(level) + 128);
            const double approx = static_cast<double>(scale) * level;
            error += (row[k] - approx) * (row[k] - approx);
            quantised += approx * approx;
            norm += static_cast<double>(row[k]) * row[k];
        }
        const float up = std::numeric_limits<float>::infinity();
        ScreenRow &r = screenRows[static_cast<size_t>(m)];
        r.scale = scale;
        r.normTerm = std::nextafter(static_cast<float>(std::sqrt(error) + summation * std::sqrt(norm)), up);
        r.residualTerm = std::nextafter(static_cast<float>(std::sqrt(quantised)), up);
    }

    // one pass over the int8 copy: integer sums, then each token's bounds and each chunk's best
    // lower bound (excluded tokens get -inf bounds)
    std::vector<int32_t> &sums = m_sums;
    std::vector<float> &lower = m_lower, &upper = m_upper;
    sums.resize(static_cast<size_t>(rows * N));
    lower.resize(static_cast<size_t>(rows * N));
    upper.resize(static_cast<size_t>(rows * N));
    const at::Tensor b = bias.defined() ? bias.contiguous() : at::Tensor();
    const bool bf16Bias = b.defined() && b.scalar_type() == at::kBFloat16;
    // whole 16-token blocks (screenBounds' vectors), int8 rows of Kp bytes
    const int64_t chunkRows = balancedChunkRows(N, Kp, 16);
    const int64_t chunks = (N + chunkRows - 1) / chunkRows;
    std::vector<float> chunkBest(static_cast<size_t>(chunks * rows));
    forEachChunk(chunks, [&](int64_t chunk) {
        const int64_t n0 = chunk * chunkRows, n1 = std::min(N, n0 + chunkRows);
        screenRangeRows(rows, u.data(), Kp, m_q.data(), n0, n1, sums.data(), N);
        for (int64_t m = 0; m < rows; ++m) {
            const size_t o = static_cast<size_t>(m * N);
            float *lo = lower.data() + o, *hi = upper.data() + o;
            const ScreenRow &r = screenRows[static_cast<size_t>(m)];
            float best = bf16Bias
                ? screenBounds(sums.data() + o, m_qSum.data(), m_scale.data(), m_norm.data(), m_residualNorm.data(),
                      static_cast<const uint16_t *>(b.data_ptr()), r, n0, n1, lo, hi)
                : screenBounds(sums.data() + o, m_qSum.data(), m_scale.data(), m_norm.data(), m_residualNorm.data(),
                      b.defined() ? b.data_ptr<float>() : static_cast<const float *>(nullptr), r, n0, n1, lo, hi);
            if (!excluded.empty()) {
                bool changed = false;
                for (const int64_t token : excluded[static_cast<size_t>(m)])
                    if (token >= n0 && token < n1) {
                        lo[token] = hi[token] = -std::numeric_limits<float>::infinity();
                        changed = true;
                    }
                if (changed && !std::isnan(best))
                    best = *std::max_element(lo + n0, lo + n1);
            }
            chunkBest[static_cast<size_t>(chunk * rows + m)] = best;
        }
    });

    // candidates: every token whose upper bound reaches the best lower bound, less one bf16
    // spacing (values that close may round to the same logit and tie); then exact values
    constexpr int64_t kMaxCandidates = 512;
    std::vector<int64_t> result(static_cast<size_t>(rows));
    const bool bf16Out = x.scalar_type() == at::kBFloat16;
    const bool bf16Weight = weight.scalar_type() == at::kBFloat16;
    const void *wp = weight.data_ptr();
    const void *xe = xExact.data_ptr();
    for (int64_t m = 0; m < rows; ++m) {
        float threshold = -std::numeric_limits<float>::infinity();
        for (int64_t c = 0; c < chunks; ++c) {
            const float best = chunkBest[static_cast<size_t>(c * rows + m)];
            if (std::isnan(best))
                return {};
            threshold = std::max(threshold, best);
        }
        if (!std::isfinite(threshold))
            return {}; // every token excluded, or infinite values: the caller's logits decide
        threshold -= std::abs(threshold) / 128.0f + 1e-30f;
        std::vector<int64_t> &candidates = m_candidates;
        candidates.clear();
        if (!collectAtLeast(upper.data() + m * N, N, threshold, kMaxCandidates, candidates))
            return {};
        m_lastCandidates += static_cast<int64_t>(candidates.size());
        float bestValue = -std::numeric_limits<float>::infinity();
        int64_t bestToken = -1;
        for (const int64_t n : candidates) {
            // fewRowsLinear's arithmetic for this one output (sums are reduced in the same order
            // whatever the block), then its bias add and rounding
            float sum = 0.0f;
            if (bf16Pairs)
                dotRowsBf16<1, 1>(static_cast<const uint16_t *>(xe) + m * K, K,
                    static_cast<const uint16_t *>(wp) + n * K, 0, &sum, 0);
            else if (bf16Weight)
                dotRows<1, 1>(static_cast<const float *>(xe) + m * K, K, static_cast<const uint16_t *>(wp) + n * K, 0,
                    &sum, 0);
            else
                dotRows<1, 1>(static_cast<const float *>(xe) + m * K, K, static_cast<const float *>(wp) + n * K, 0,
                    &sum, 0);
            if (b.defined())
                sum += bf16Bias ? static_cast<float>(b.data_ptr<c10::BFloat16>()[n]) : b.data_ptr<float>()[n];
            const float value = bf16Out ? static_cast<float>(c10::BFloat16(sum)) : sum;
            if (value > bestValue || bestToken < 0) {
                bestValue = value;
                bestToken = n;
            }
        }
        if (bestToken < 0 || std::isnan(bestValue))
            return {};
        result[static_cast<size_t>(m)] = bestToken;
    }
    return result;
#else
    (void)x;
    (void)weight;
    (void)bias;
    (void)excluded;
    return {};
#endif
}

} // namespace fmw::florence2
