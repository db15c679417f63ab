#pragma once
// CPU kernels for the image encoder's light layers, where LibTorch 1.13 (as Debian builds it)
// spends far more than the arithmetic needs. DaViT's 3x3 depthwise convolutions are 0.1% of
// its FLOPs but took 5% (fp32) to 15% (bf16) of a 768 px encode through oneDNN (10-13 ms per
// call on the 192x192x128 map, where reading and writing it takes ~1 ms). GELU calls the
// scalar libm erf per element (1.8-6 ns each here, depending on the values, 146 M of them per
// image), and a linear layer's bias is added in a pass of its own. DaViT's window and channel
// attentions are small products between large copies (below). Inference only (no
// autograd); AVX-512 (F + BW + VL) x86 CPUs; elsewhere the *Applies() functions say no and
// callers keep LibTorch's ops.

#include <ATen/core/Tensor.h>

namespace fmw::florence2 {

// Process-wide switch (default on), so benchmarks and tests can run LibTorch's path in the
// same process.
void setVisionKernelsEnabled(bool enabled);
bool visionKernelsEnabled();

// GELU in its exact form, 0.5 x (1 + erf(x / sqrt 2)), with erf from a rational minimax fit
// (|error| <= ~1e-7 against float64, as good as fp32 allows). Applies when enabled, on such a CPU,
// for x [..., D] in fp32 or bf16, bias [D] in fp32 or bf16 or undefined, all on the CPU, and
// no gradient to record.
bool biasGeluApplies(const at::Tensor &x, const at::Tensor &bias);
// x <- gelu(x + bias) in place for such an x that is also contiguous; computed in fp32 and
// rounded once for bf16.
void biasGeluInPlace(const at::Tensor &x, const at::Tensor &bias);
// Whether the output of linear(x, weight) (x's dtype) can take biasGeluInPlace(y, bias):
// x [..., in] in fp32 or bf16, weight [out, in] and bias [out] (or undefined) in fp32 or bf16,
// all on the CPU, none recording a gradient.
bool linearBiasGeluApplies(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias);

// Depthwise 3x3 convolution, stride 1, zero padding 1, on token-major maps: x [B, H*W, C]
// (the layout DaViT's blocks keep), weight [C, 1, 3, 3], bias [C] or undefined. Sums in fp32
// from the bias over the taps in row order. Applies when enabled, on such a CPU, for x
// contiguous in fp32 or bf16, weight and bias contiguous in fp32 or bf16, all on the CPU, and
// no gradient to record.
bool depthwiseConv3x3Applies(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias);
// [B, H*W, C] in x's dtype, contiguous.
at::Tensor depthwiseConv3x3(
    const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias, int64_t height, int64_t width);

// Attention inside DaViT's windows, softmax(q * scale @ k^T) @ v, fused per (window, head) so
// that the scores never leave the cache. LibTorch 1.13 runs it as two batched GEMMs of
// thousands of 144x32 matrices at ~35 GFLOP/s fp32 with a 170 MB score tensor in between (12 %
// of a 768 px fp32 encode; in bf16 oneDNN's GEMMs are fast but the bf16 scores still make
// the round trip). q, k, v [B, H, N, d], equal shapes, N <= 256 and d a multiple of 16 up to
// 64, all fp32 or all bf16, on the CPU, rows contiguous (d stride 1, other strides free, e.g.
// views of the qkv projection); no mask, no gradient to record. Computed in fp32 throughout;
// bf16 output rounded once.
bool windowAttentionApplies(
    const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const at::Tensor &mask);
// [B, H, N, d] as a view of a contiguous [B, N, H, d] (the heads side by side, as the output
// projection wants them). Softmax with a polynomial exp (relative error < 2e-7).
at::Tensor windowAttention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, double scale);

// DaViT's channel attention, softmax((q * scale)^T k) applied to v, per (image, group), read
// straight from the qkv projection and written as the output projection wants it (LibTorch
// spends ~250 ms fp32 per batch of two 768 px images on the products, the scaled copy of q
// and the transposes around them). q, k, v [B, G, N, d] with the same strides, d stride 1 and a
// multiple of 16 up to 64, all fp32 or all bf16, on the CPU, no gradient to record. Sums in
// fp32 over the tokens in order, in tiles of 64.
bool channelAttentionApplies(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v);
// [B, N, G * d], contiguous, q's dtype.
at::Tensor channelAttention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, double scale);

} // namespace fmw::florence2
