#pragma once
// Building blocks shared by the hand-written CPU kernels (decoding_kernels.cpp,
// vision_kernels.cpp): operand checks, and on x86 the AVX-512 target attribute, a run-time CPU
// check, 16-wide fp32/bf16 loads and a bf16 store that rounds as c10::BFloat16 does. Internal
// to those files; include it only from .cpp files. Each x86 function is compiled for AVX-512
// through its target attribute, so the rest of the engine keeps the build's baseline ISA and
// runs on any x86-64 CPU.

#include <ATen/core/Tensor.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FMW_X86_KERNELS 1
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics initialise their pass-through operand from itself (GCC PR105593)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#else
#define FMW_X86_KERNELS 0
#endif

namespace fmw::florence2::cpu_kernels {

inline bool isFloatOrBf16(const at::Tensor &t)
{
    return t.scalar_type() == at::kFloat || t.scalar_type() == at::kBFloat16;
}

// Whether autograd would record an op on these (undefined tensors count as not).
inline bool anyGradient(std::initializer_list<const at::Tensor *> tensors)
{
    if (!at::GradMode::is_enabled())
        return false;
    return std::any_of(
        tensors.begin(), tensors.end(), [](const at::Tensor *t) { return t->defined() && t->requires_grad(); });
}

} // namespace fmw::florence2::cpu_kernels

#if FMW_X86_KERNELS

#define FMW_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
// the small accumulator arrays must live in registers: unroll their loops fully
#define FMW_UNROLL _Pragma("GCC unroll 16")

namespace fmw::florence2::cpu_kernels {

inline bool cpuHasAvx512()
{
    static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl");
    return has;
}

// 16 values as fp32; bf16 is the upper half of an fp32, so widening is a shift.
FMW_AVX512 inline __m512 load16(const float *p)
{
    return _mm512_loadu_ps(p);
}
FMW_AVX512 inline __m512 load16(const uint16_t *p)
{
    const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
}
FMW_AVX512 inline __m512 load16(const float *p, __mmask16 m)
{
    return _mm512_maskz_loadu_ps(m, p);
}
FMW_AVX512 inline __m512 load16(const uint16_t *p, __mmask16 m)
{
    const __m256i bits = _mm256_maskz_loadu_epi16(m, p);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
}

// out[i] = bf16(v[i]) for the lanes in mask, rounded to nearest even as c10::BFloat16 does
// (NaN -> 0x7FC0).
FMW_AVX512 inline void storeBf16(uint16_t *out, __m512 v, __mmask16 mask)
{
    const __m512i bits = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF))), 16);
    rounded = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), rounded, _mm512_set1_epi32(0x7FC0));
    _mm256_mask_storeu_epi16(out + 0, mask, _mm512_cvtepi32_epi16(rounded));
}
FMW_AVX512 inline void store16(float *out, __m512 v, __mmask16 mask)
{
    _mm512_mask_storeu_ps(out, mask, v);
}
FMW_AVX512 inline void store16(uint16_t *out, __m512 v, __mmask16 mask)
{
    storeBf16(out, v, mask);
}

// The lanes of the last, possibly partial, 16-wide step of a row with `left` values to go.
FMW_AVX512 inline __mmask16 tailMask(int64_t left)
{
    return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
}

} // namespace fmw::florence2::cpu_kernels

#endif // FMW_X86_KERNELS
