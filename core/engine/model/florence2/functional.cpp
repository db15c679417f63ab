#include "engine/model/florence2/functional.h"

#include "engine/model/florence2/decoding_kernels.h"
#include "engine/model/florence2/vision_kernels.h"

#include <torch/nn/functional/normalization.h>
#include <torch/version.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace fmw::florence2 {

namespace F = torch::nn::functional;

at::Tensor layerNorm(const torch::nn::LayerNorm &norm, const at::Tensor &x)
{
    const auto &options = norm->options;
    // decoding: a few rows without autograd (decoding_kernels.h)
    if (options.normalized_shape().size() == 1 && fewRowsLayerNormApplies(x, norm->weight, norm->bias))
        return fewRowsLayerNorm(x, norm->weight, norm->bias, options.eps());
    if (x.scalar_type() == at::kFloat && norm->weight.scalar_type() == at::kFloat)
        return at::layer_norm(x, options.normalized_shape(), norm->weight, norm->bias, options.eps());
    const at::Tensor y = at::layer_norm(x.to(at::kFloat), options.normalized_shape(),
        norm->weight.to(at::kFloat), norm->bias.to(at::kFloat), options.eps());
    return y.to(x.scalar_type());
}

namespace {
thread_local at::Generator *t_generator = nullptr;

// The installed generator for draws into a tensor like `x`, or none (the default one).
c10::optional<at::Generator> generatorFor(const at::Tensor &x)
{
    if (t_generator && x.device().is_cpu())
        return *t_generator;
    return c10::nullopt;
}
} // namespace

ScopedTrainingGenerator::ScopedTrainingGenerator(uint64_t seed)
    : m_generator(at::make_generator<at::CPUGeneratorImpl>(seed))
    , m_previous(t_generator)
{
    t_generator = &m_generator;
}

ScopedTrainingGenerator::~ScopedTrainingGenerator()
{
    t_generator = m_previous;
}

at::Tensor trainingDropout(const at::Tensor &x, double p, bool training)
{
    const c10::optional<at::Generator> generator = generatorFor(x);
    if (!generator || !training || p <= 0.0)
        return at::dropout(x, p, training);
    // at::dropout's CPU formula, with the generator passed in
    if (p >= 1.0)
        return x * at::zeros({}, x.options());
    at::Tensor noise = at::empty_like(x).bernoulli_(1.0 - p, generator);
    noise.div_(1.0 - p);
    return x * noise;
}

bool layerDropped(double p, bool training)
{
    if (!training || p <= 0.0)
        return false;
    const c10::optional<at::Generator> generator = t_generator ? c10::optional<at::Generator>(*t_generator)
                                                               : c10::nullopt;
    return at::rand({}, generator, at::kDouble).item<double>() < p;
}

at::Tensor dropPath(const at::Tensor &x, double p, bool training)
{
    if (p <= 0.0 || !training)
        return x;
    const double keep = 1.0 - p;
    std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
    shape[0] = x.size(0);
    // [B, 1, ..., 1]: one draw per sample
    at::Tensor mask = at::empty(shape, x.options()).bernoulli_(keep, generatorFor(x));
    if (keep > 0.0)
        mask.div_(keep);
    return x * mask;
}

Activation activationFromName(const std::string &name)
{
    if (name == "gelu")
        return Activation::Gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh")
        return Activation::GeluTanh;
    if (name == "relu")
        return Activation::Relu;
    if (name == "silu" || name == "swish")
        return Activation::Silu;
    if (name == "tanh")
        return Activation::Tanh;
    throw std::invalid_argument("unsupported activation function '" + name + "'");
}

at::Tensor activate(const at::Tensor &x, Activation activation)
{
    switch (activation) {
    case Activation::Gelu:
        return at::gelu(x);
    case Activation::GeluTanh:
        return at::gelu(x, "tanh");
    case Activation::Relu:
        return at::relu(x);
    case Activation::Silu:
        return at::silu(x);
    case Activation::Tanh:
        return at::tanh(x);
    }
    return x;
}

namespace {
#if TORCH_VERSION_MAJOR >= 2
std::atomic<AttentionBackend> g_backend {AttentionBackend::Sdpa};
#else
std::atomic<AttentionBackend> g_backend {AttentionBackend::Matmul};
#endif
} // namespace

AttentionBackend attentionBackend()
{
    return g_backend.load();
}

void setAttentionBackend(AttentionBackend backend)
{
    if (backend == AttentionBackend::Sdpa && !sdpaAvailable())
        throw std::invalid_argument(
            "scaled_dot_product_attention needs LibTorch 2.x; this build has " TORCH_VERSION);
    g_backend.store(backend);
}

bool sdpaAvailable()
{
    return TORCH_VERSION_MAJOR >= 2;
}

at::Tensor attention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const at::Tensor &mask,
    double scale, double dropout, bool training)
{
    const double p = training ? dropout : 0.0;
    // decoding: a few queries against the cached keys/values (decoding_kernels.h)
    if (p == 0.0 && fewQueriesAttentionApplies(q, k, v, mask))
        return fewQueriesAttention(q, k, v, mask, scale);
    // DaViT's windows: thousands of small attentions (vision_kernels.h)
    if (p == 0.0 && windowAttentionApplies(q, k, v, mask))
        return windowAttention(q, k, v, scale);
#if TORCH_VERSION_MAJOR >= 2
    // SDPA draws its dropout from the default generator: not with a per-thread one installed
    if (g_backend.load() == AttentionBackend::Sdpa && !(p > 0.0 && generatorFor(q))) {
        // `{}` is an empty optional whichever optional type this LibTorch uses
#if TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 1
        return mask.defined() ? at::scaled_dot_product_attention(q, k, v, mask, p, false, scale)
                              : at::scaled_dot_product_attention(q, k, v, {}, p, false, scale);
#else
        // 2.0 has no scale argument: its implicit 1/sqrt(d) is the common case.
        if (std::abs(scale * std::sqrt(static_cast<double>(q.size(-1))) - 1.0) < 1e-12)
            return mask.defined() ? at::scaled_dot_product_attention(q, k, v, mask, p, false)
                                  : at::scaled_dot_product_attention(q, k, v, {}, p, false);
#endif
    }
#endif
    // [.., T, d] @ [.., d, S] -> [.., T, S]
    at::Tensor weights = at::matmul(q * scale, k.transpose(-2, -1));
    // the scores are a fresh tensor: masking and softmax in place save two allocations of it
    // (window attention's are ~85 MB at 768 px, and first-touch page faults are slow here);
    // autograd needs the out-of-place softmax
    if (mask.defined())
        weights.add_(mask);
    if (weights.requires_grad())
        weights = at::softmax(weights, -1);
    else
        at::_softmax_out(weights, weights, -1, false);
    if (p > 0.0)
        weights = trainingDropout(weights, p, true);
    // [.., T, S] @ [.., S, d] -> [.., T, d]
    return at::matmul(weights, v);
}

at::Tensor linear(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias)
{
    if (fewRowsLinearApplies(x, weight, bias))
        return fewRowsLinear(x, weight, bias);
    // without AVX-512: BLAS gemv per row still beats LibTorch's GEMM path for fp32
    constexpr int64_t kMaxMvRows = 4;
    const int64_t in = x.size(-1);
    const int64_t rows = in > 0 ? x.numel() / in : 0;
    if (rows == 0 || rows > kMaxMvRows || !x.device().is_cpu() || x.scalar_type() != at::kFloat
        || weight.scalar_type() != at::kFloat)
        return at::linear(x, weight, bias);
    // [..., in] -> rows x addmv([out, in], [in]) -> [..., out]
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = weight.size(0);
    const at::Tensor flat = x.reshape({rows, in});
    auto row = [&](int64_t r) { return bias.defined() ? at::addmv(bias, weight, flat[r]) : at::mv(weight, flat[r]); };
    if (rows == 1)
        return row(0).view(shape);
    std::vector<at::Tensor> out;
    for (int64_t r = 0; r < rows; ++r)
        out.push_back(row(r));
    return at::stack(out).view(shape);
}

at::Tensor linear(const LoraLinear &layer, const at::Tensor &x)
{
    // the holder is const, the layer is not (forward() reads the training flag only)
    return layer.ptr()->forward(x);
}

at::Tensor linearActivate(const LoraLinear &layer, const at::Tensor &x, Activation activation)
{
    const at::Tensor &weight = layer->weight, &bias = layer->bias;
    if (activation == Activation::Gelu && linearBiasGeluApplies(x, weight, bias)) {
        // an adapter's term goes in before the bias and activation (a zero B changes no bit);
        // one being trained needs autograd's GELU, not the in-place kernel
        const at::Tensor update = layer->loraActive() ? layer.ptr()->loraUpdate(x) : at::Tensor();
        if (!update.defined() || !update.requires_grad()) {
            // linear() returns a fresh tensor of x's dtype, contiguous: activate it in place
            at::Tensor y = linear(x, weight, at::Tensor());
            if (!y.is_contiguous())
                y = y.contiguous();
            if (update.defined())
                y.add_(update);
            biasGeluInPlace(y, bias);
            return y;
        }
        return activate(linear(x, weight, bias) + update, activation);
    }
    return activate(linear(layer, x), activation);
}

at::Tensor additiveMask(const at::Tensor &allowed, c10::ScalarType dtype)
{
    double lowest = std::numeric_limits<float>::lowest();
    if (dtype == at::kDouble)
        lowest = std::numeric_limits<double>::lowest();
    else if (dtype == at::kHalf)
        lowest = -65504.0;
    else if (dtype == at::kBFloat16)
        lowest = static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
    at::Tensor mask = at::zeros(allowed.sizes(), allowed.options().dtype(dtype));
    return mask.masked_fill_(allowed.logical_not(), lowest);
}

} // namespace fmw::florence2
