#include "engine/model/florence2/lora_linear.h"

#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include <cmath>

namespace fmw::florence2 {

LoraLinearImpl::LoraLinearImpl(const LoraLinearOptions &options)
    : m_options(options)
{
    if (options.tied.defined()) {
        TORCH_CHECK(!options.withBias, "a tied LoRA layer has no bias of its own");
        TORCH_CHECK(options.tied.dim() == 2 && options.tied.size(0) == options.outFeatures
                && options.tied.size(1) == options.inFeatures,
            "tied weight must be [out, in]");
        weight = options.tied;
        return;
    }
    weight = register_parameter("weight", at::empty({options.outFeatures, options.inFeatures}));
    if (options.withBias)
        bias = register_parameter("bias", at::empty({options.outFeatures}));
    resetParameters();
}

void LoraLinearImpl::resetParameters()
{
    if (m_options.tied.defined())
        return; // the owner initialises it
    // as torch::nn::LinearImpl::reset_parameters (and nn.Linear), in the same order
    torch::NoGradGuard noGrad;
    torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
    if (bias.defined()) {
        const double bound
            = m_options.inFeatures > 0 ? 1.0 / std::sqrt(static_cast<double>(m_options.inFeatures)) : 0.0;
        torch::nn::init::uniform_(bias, -bound, bound);
    }
}

at::Tensor LoraLinearImpl::forward(const at::Tensor &x)
{
    const at::Tensor y = florence2::linear(x, weight, bias);
    return loraActive() ? y + loraUpdate(x) : y;
}

at::Tensor LoraLinearImpl::loraUpdate(const at::Tensor &x)
{
    TORCH_CHECK(loraActive(), "loraUpdate() needs an attached, unmerged adapter");
    // PEFT: lora_B(lora_A(dropout(x))) * scaling, x cast to the adapter's dtype
    const at::Tensor dropped
        = trainingDropout(x.to(lora_A->weight.scalar_type()), m_lora->dropout, is_training());
    const at::Tensor update
        = florence2::linear(florence2::linear(dropped, lora_A->weight), lora_B->weight) * loraScaling();
    return update.to(x.scalar_type());
}

void LoraLinearImpl::attachLora(const LoraSettings &settings)
{
    TORCH_CHECK(settings.r > 0, "LoRA rank r must be positive, got ", settings.r);
    TORCH_CHECK(settings.dropout >= 0.0 && settings.dropout < 1.0, "lora_dropout must be in [0, 1), got ",
        settings.dropout);
    TORCH_CHECK(!m_merged, "unmerge the LoRA adapter before attaching another");
    const auto options = torch::TensorOptions().dtype(weight.scalar_type()).device(weight.device());
    // nn.Linear(in, r, bias=False)'s own init is PEFT's kaiming-uniform(a = sqrt(5)) for A
    torch::nn::Linear a(torch::nn::LinearOptions(m_options.inFeatures, settings.r).bias(false));
    torch::nn::Linear b(torch::nn::LinearOptions(settings.r, m_options.outFeatures).bias(false));
    {
        torch::NoGradGuard noGrad;
        b->weight.zero_();
    }
    a->to(options.device(), options.dtype().toScalarType());
    b->to(options.device(), options.dtype().toScalarType());
    lora_A = hasLora() ? replace_module("lora_A", a) : register_module("lora_A", a);
    lora_B = hasLora() ? replace_module("lora_B", b) : register_module("lora_B", b);
    m_lora = settings;
}

const LoraSettings &LoraLinearImpl::loraSettings() const
{
    TORCH_CHECK(m_lora.has_value(), "this layer has no LoRA adapter");
    return *m_lora;
}

double LoraLinearImpl::loraScaling() const
{
    const LoraSettings &s = loraSettings();
    const double r = static_cast<double>(s.r);
    return s.rslora ? s.alpha / std::sqrt(r) : s.alpha / r;
}

at::Tensor LoraLinearImpl::delta() const
{
    // computed in fp32 at least, as PEFT does for half-precision weights on the CPU
    const auto compute = weight.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
    const at::Tensor ba = at::matmul(lora_B->weight.to(compute), lora_A->weight.to(compute)) * loraScaling();
    return ba.to(weight.scalar_type());
}

void LoraLinearImpl::merge()
{
    if (!m_lora.has_value() || m_merged)
        return;
    TORCH_CHECK(mergeable(), "this layer's weight is tied to another parameter; its LoRA adapter cannot be merged");
    torch::NoGradGuard noGrad;
    weight.add_(delta());
    m_merged = true;
}

void LoraLinearImpl::unmerge()
{
    if (!m_lora.has_value() || !m_merged)
        return;
    torch::NoGradGuard noGrad;
    weight.sub_(delta());
    m_merged = false;
}

} // namespace fmw::florence2
