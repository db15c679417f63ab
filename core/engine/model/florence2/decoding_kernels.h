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

} // namespace fmw::florence2
