#pragma once
// Stateless numerics shared by the Florence-2 components: reduced-precision-safe LayerNorm,
// stochastic depth, activations, attention (one place for the LibTorch 1.13 / 2.x split) and
// Hugging Face's additive attention masks.

#include "engine/model/florence2/lora_linear.h"

#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <ATen/core/Generator.h>

#include <cstdint>
#include <vector>
#include <string>

namespace fmw::florence2 {

// Training's random draws (dropout, drop path, layer drop) come from the calling thread's
// ScopedTrainingGenerator while one lives on that thread (CPU tensors), else from LibTorch's
// default generator. The trainer gives each micro-batch its own seeded generator, so the draws
// do not depend on which thread runs it or in what order.
//
// With sample keys (one per batch row), dropout and drop path do not draw from the generator
// at all: element e of sample s in the n-th dropout call of the scope is kept when
// hash(key_s, n, e's coordinates within the sample) falls below 1 - p. A sample's masks then
// depend only on its key, not on its batch neighbours, the batch size or the padded lengths
// (coordinates, not flat offsets, are hashed; padding comes last). That is what makes 2
// processes x batch b train exactly like 1 process x batch 2b. Tensors must lead with the
// batch, or with batch x something in batch-major order ([B*heads, ...], [B*windows, ...]).
// Layer drop stays one generator draw per call: one decision for the whole (global) batch.
class ScopedTrainingGenerator {
public:
    explicit ScopedTrainingGenerator(uint64_t seed, std::vector<uint64_t> sampleKeys = {});
    ~ScopedTrainingGenerator();
    ScopedTrainingGenerator(const ScopedTrainingGenerator &) = delete;
    ScopedTrainingGenerator &operator=(const ScopedTrainingGenerator &) = delete;

    at::Generator &generator() { return m_generator; }
    const std::vector<uint64_t> &sampleKeys() const { return m_sampleKeys; }
    uint64_t nextCall() { return m_calls++; }

private:
    at::Generator m_generator;
    std::vector<uint64_t> m_sampleKeys;
    uint64_t m_calls = 0;
    ScopedTrainingGenerator *m_previous;
};

// at::dropout (zero with probability p and scale by 1/(1-p), in training only), drawing as
// described above.
at::Tensor trainingDropout(const at::Tensor &x, double p, bool training);
// True when layer drop skips a layer: a uniform draw below p (training only).
bool layerDropped(double p, bool training);

// LayerNorm computed in fp32 and cast back for bf16/fp16 input, as newer PyTorch autocast
// does (1.13's CPU LayerNorm rejects bf16 input with fp32 weights and vice versa). A few rows
// without autograd (decoding) take fewRowsLayerNorm() (decoding_kernels.h).
at::Tensor layerNorm(const torch::nn::LayerNorm &norm, const at::Tensor &x);

// timm's DropPath (scale_by_keep): in training, zero each sample's residual branch with
// probability p and scale the kept ones by 1/(1-p); identity otherwise.
at::Tensor dropPath(const at::Tensor &x, double p, bool training);

enum class Activation { Gelu, GeluTanh, Relu, Silu, Tanh };

// transformers' ACT2FN names: gelu (erf), gelu_new / gelu_pytorch_tanh (tanh approximation),
// relu, silu / swish, tanh. Unknown names throw (the config validation names them first).
Activation activationFromName(const std::string &name);
at::Tensor activate(const at::Tensor &x, Activation activation);

enum class AttentionBackend {
    Matmul, // the reference's q*scale @ k^T, softmax, @ v (the only one with LibTorch 1.x)
    Sdpa, // at::scaled_dot_product_attention (LibTorch 2.x; fused kernels on CUDA)
};

// Process-wide choice, like torch.backends.cuda's SDPA flags. Default: Sdpa when built
// against LibTorch 2.x, Matmul otherwise. Setting Sdpa without 2.x throws.
AttentionBackend attentionBackend();
void setAttentionBackend(AttentionBackend backend);
bool sdpaAvailable();

// softmax(q k^T * scale + mask) v over the last two dims. q [..., T, d], k and v [..., S, d],
// mask additive and broadcastable to [..., T, S] (undefined = none). The matmul path scales
// q before the product, as every Florence-2 attention does. Dropout applies to the weights
// in training only. A few queries per head without autograd (decoding) take
// fewQueriesAttention() (decoding_kernels.h), which returns a view with transposed strides.
at::Tensor attention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const at::Tensor &mask,
    double scale, double dropout, bool training);

// y = x W^T + b for x [..., in], as at::linear. Decoding feeds one token per sequence and is
// weight traffic: for so few rows (<= 4) on the CPU without autograd, fewRowsLinear() reads
// each weight once for all rows near memory speed (decoding_kernels.h); without AVX-512, fp32
// rows go through addmv one by one (BLAS gemv: 50-115 GB/s here, LibTorch's GEMM path 8-23).
at::Tensor linear(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias = {});
// The layer's forward(): with an unmerged LoRA adapter, its update is added (lora_linear.h).
at::Tensor linear(const LoraLinear &layer, const at::Tensor &x);

// activate(linear(layer, x), activation). GELU without autograd on the CPU adds the bias and
// applies the activation in one pass over the output (vision_kernels.h): LibTorch's GELU is
// scalar here and would add the bias in a pass of its own. An unmerged adapter's update is added
// before the bias and activation.
at::Tensor linearActivate(const LoraLinear &layer, const at::Tensor &x, Activation activation);

// Hugging Face's additive mask: 0 where `allowed` is true, finfo(dtype).min elsewhere (not
// -inf, so a fully masked row gives uniform weights instead of NaN, as in the reference).
at::Tensor additiveMask(const at::Tensor &allowed, c10::ScalarType dtype);

} // namespace fmw::florence2
