#pragma once
// CPU kernels for decoding, where each step feeds one token per sequence (or beam) and is
// memory traffic: every decoder weight, the LM head and the cached keys/values are read once
// per token. LibTorch reads them far below memory bandwidth for so few rows (its GEMM path
// runs these shapes at 8-23 GB/s, addmv reads the weights once per row, its bf16 GEMV reaches
// ~15 GB/s, and bmm packs every cached key before using it once). These read each weight or
// cached row once for all rows, convert bf16 to fp32 in registers, accumulate in fp32 and
// split the work over the intra-op threads. Inference only (no autograd); AVX-512 (F + BW + VL)
// x86 CPUs; elsewhere the *Applies() functions say no and callers keep LibTorch's ops.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <mutex>
#include <vector>

namespace fmw::florence2 {

// The most rows of x (linear) or queries per head (attention) one call handles.
constexpr int64_t kDecodingKernelMaxRows = 4;

// Process-wide switch (default on), so a benchmark can measure LibTorch's path in the same run.
void setDecodingKernelsEnabled(bool enabled);
bool decodingKernelsEnabled();

// y = x W^T + b. Applies when enabled, on such a CPU, for x [..., in] with at most
// kDecodingKernelMaxRows rows in fp32 or bf16, a contiguous fp32 or bf16 weight [out, in], a 1-D
// fp32 or bf16 bias or none, all on the CPU, and no gradient to record.
bool fewRowsLinearApplies(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias);
// y [..., out] in x's dtype (bf16 output rounded once from the fp32 sum plus bias).
at::Tensor fewRowsLinear(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias);

// LayerNorm over the last dim, computed in fp32 (as functional.h's layerNorm does for bf16),
// output in x's dtype. Applies when enabled, on such a CPU, for x [..., D] contiguous with at
// most kDecodingKernelMaxRows rows in fp32 or bf16, weight and bias [D] in fp32 or bf16, all on
// the CPU, and no gradient to record. (LibTorch's LayerNorm costs ~15 us a call at this size,
// plus four dtype conversions for bf16; a decoding step makes 19 of them.)
bool fewRowsLayerNormApplies(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias);
at::Tensor fewRowsLayerNorm(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias, double eps);

// softmax((q * scale) k^T + mask) v, as functional.h's attention() without dropout. Applies
// when enabled, on such a CPU, for q [B, H, T, d] with T <= kDecodingKernelMaxRows, k and v
// [B, H, S, d] whose rows are packed (stride d along S, 1 along d; batch and head strides free,
// as the KV cache's views have), all fp32 or all bf16 on the CPU, mask undefined or an additive
// 4-D float tensor broadcastable to [B, H, T, S], and no gradient to record.
bool fewQueriesAttentionApplies(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const at::Tensor &mask);
// [B, H, T, d] in q's dtype; a transposed view of a [B, T, H, d] tensor, so merging the heads
// afterwards (transpose(1, 2).reshape) needs no copy. Scores and softmax in fp32.
at::Tensor fewQueriesAttention(
    const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const at::Tensor &mask, double scale);

// Greedy decoding's next tokens without reading the whole LM head at full precision. An int8
// copy of the weight (one scale per row) puts every logit within a proven bound of its value;
// only the tokens whose upper bound reaches the best lower bound are computed exactly, with
// fewRowsLinear's arithmetic. So the result is exactly argmax(fewRowsLinear(x, weight, bias))
// (first index on ties, after the rounding to x's dtype), for half the bytes of a bf16 head and a
// quarter of an fp32 one. The copy is built on first use (~40 MB for Florence-2's head) and
// rebuilt when the weight changes (another tensor, or an in-place update such as a training
// step). AVX-512 VNNI x86 CPUs.
class ScreenedArgmax {
public:
    // As fewRowsLinearApplies, for x [rows, in] or [rows, 1, in] on a CPU with AVX-512 VNNI and a
    // weight that is not an inference tensor (its version counter tells a change).
    static bool applies(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias);

    // The argmax of each row of x W^T + b over the tokens not in excluded[row] (excluded may be
    // empty or hold one list per row). Empty when the bound leaves too many candidates (e.g.
    // non-finite values): the caller then computes the logits.
    std::vector<int64_t> argmax(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias,
        const std::vector<std::vector<int64_t>> &excluded = {});

    // Tokens computed exactly by the last argmax(), over all rows (for tests and benchmarks).
    int64_t lastCandidates() const { return m_lastCandidates; }

private:
    void rebuild(const at::Tensor &weight);

    std::mutex m_mutex;
    // identity of the weight the copy was made from; false when it holds non-finite values
    bool m_usable = false;
    const void *m_data = nullptr;
    uint32_t m_version = 0;
    std::vector<int64_t> m_shape;
    at::ScalarType m_dtype = at::kFloat;
    // per row: int8 values, scale, sum of the int8 values, ||w||_2 and ||w - scale * q||_2
    std::vector<int8_t> m_q;
    std::vector<float> m_scale, m_norm, m_residualNorm;
    std::vector<int32_t> m_qSum;
    // per-call scratch: x as u8, integer sums, bounds, candidates
    std::vector<uint8_t> m_u;
    std::vector<int32_t> m_sums;
    std::vector<float> m_lower, m_upper;
    std::vector<int64_t> m_candidates;
    int64_t m_lastCandidates = 0;
};

} // namespace fmw::florence2
