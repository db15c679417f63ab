#include "engine/model/florence2/functional.h"

#include "engine/model/florence2/decoding_kernels.h"
#include "engine/model/florence2/vision_kernels.h"

#include <torch/nn/functional/normalization.h>
#include <torch/version.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

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
thread_local ScopedTrainingGenerator *t_scope = nullptr;

// The installed generator for draws into a tensor like `x`, or none (the default one).
c10::optional<at::Generator> generatorFor(const at::Tensor &x)
{
    if (t_scope && x.device().is_cpu())
        return t_scope->generator();
    return c10::nullopt;
}

// splitmix64's finaliser
inline uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// The scope's per-sample keys when they apply to `x` (CPU, batch-major leading dimension).
const std::vector<uint64_t> *sampleKeysFor(const at::Tensor &x)
{
    if (!t_scope || t_scope->sampleKeys().empty() || !x.device().is_cpu())
        return nullptr;
    const auto &keys = t_scope->sampleKeys();
    TORCH_CHECK(x.dim() >= 1 && x.size(0) % static_cast<int64_t>(keys.size()) == 0,
        "per-sample dropout: a tensor of shape ", x.sizes(), " does not lead with the batch of ", keys.size());
    return &keys;
}

// 1/keep where hash(key of the row's sample, call, coordinates) < keep, else 0; shaped like x
// (contiguous), each sample's block seen as [rows per sample, x.size(1), ...].
at::Tensor keyedMask(const at::Tensor &x, const std::vector<uint64_t> &keys, uint64_t call, double keep)
{
    const std::vector<int64_t> sizes = x.sizes().vec();
    at::Tensor mask = at::empty(sizes, x.options().dtype(at::kFloat));
    const int64_t inner = sizes.size() > 1 ? sizes.back() : 1;
    const int64_t rows = inner > 0 ? mask.numel() / inner : 0;
    const int64_t perSample = sizes[0] / static_cast<int64_t>(keys.size());
    // keep iff the top 53 bits, as a fraction of 2^53, are below `keep`
    const auto threshold = static_cast<uint64_t>(keep * 9007199254740992.0);
    const float scale = static_cast<float>(1.0 / keep);
    const uint64_t callKey = mix(call ^ 0x5851f42d4c957f2dULL);
    float *out = mask.data_ptr<float>();
    at::parallel_for(0, rows, 256, [&](int64_t begin, int64_t end) {
        std::vector<int64_t> coord(sizes.size() > 1 ? sizes.size() - 1 : 1, 0);
        for (int64_t row = begin; row < end; ++row) {
            // the row's coordinates, outermost first (the last dimension is the loop below)
            int64_t rest = row;
            for (size_t d = sizes.size() - 1; d-- > 0;) {
                coord[d] = rest % sizes[d];
                rest /= sizes[d];
            }
            if (sizes.size() == 1)
                coord[0] = row;
            const int64_t sample = coord[0] / perSample;
            uint64_t h = mix(keys[static_cast<size_t>(sample)] ^ callKey);
            h = mix(h ^ static_cast<uint64_t>(coord[0] % perSample));
            for (size_t d = 1; d + 1 < sizes.size(); ++d)
                h = mix(h ^ static_cast<uint64_t>(coord[d]));
            float *o = out + row * inner;
            if (sizes.size() == 1) {
                o[0] = (mix(h) >> 11) < threshold ? scale : 0.0f;
                continue;
            }
            for (int64_t i = 0; i < inner; ++i)
                o[i] = (mix(h ^ (static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL)) >> 11) < threshold ? scale : 0.0f;
        }
    });
    return mask;
}
} // namespace

ScopedTrainingGenerator::ScopedTrainingGenerator(uint64_t seed, std::vector<uint64_t> sampleKeys)
    : m_generator(at::make_generator<at::CPUGeneratorImpl>(seed))
    , m_sampleKeys(std::move(sampleKeys))
    , m_previous(t_scope)
{
    t_scope = this;
}

ScopedTrainingGenerator::~ScopedTrainingGenerator()
{
    t_scope = m_previous;
}

at::Tensor trainingDropout(const at::Tensor &x, double p, bool training)
{
    if (!training || p <= 0.0)
        return x;
    if (const auto *keys = sampleKeysFor(x)) {
        const uint64_t call = t_scope->nextCall();
        if (p >= 1.0)
            return x * at::zeros({}, x.options());
        return x * keyedMask(x, *keys, call, 1.0 - p).to(x.scalar_type());
    }
    const c10::optional<at::Generator> generator = generatorFor(x);
    if (!generator)
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
    const c10::optional<at::Generator> generator
        = t_scope ? c10::optional<at::Generator>(t_scope->generator()) : c10::nullopt;
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
    if (const auto *keys = sampleKeysFor(x)) {
        const uint64_t call = t_scope->nextCall();
        if (keep <= 0.0)
            return x * at::zeros({}, x.options());
        return x * keyedMask(at::empty({x.size(0)}, x.options()), *keys, call, keep).view(shape).to(x.scalar_type());
    }
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
