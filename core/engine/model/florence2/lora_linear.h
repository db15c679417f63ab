#pragma once
// The model's linear layer (torch.nn.Linear in the reference, the same `weight` and `bias`
// keys) that can carry a LoRA adapter with PEFT's semantics (peft.tuners.lora.layer.Linear):
//
//     y = x W^T + b + scaling * B(A(dropout(x))),   scaling = alpha / r (rsLoRA: alpha / sqrt(r))
//
// A [r, in] starts kaiming-uniform (a = sqrt(5)), B [out, r] at zero, so an attached adapter
// changes nothing until trained. The adapter's parameters are registered as `lora_A.weight`
// and `lora_B.weight` under the layer, as PEFT names them. merge() folds the update into W
// (inference without the extra products), unmerge() takes it out again.

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <optional>

namespace fmw::florence2 {

struct LoraLinearOptions {
    LoraLinearOptions(int64_t in, int64_t out)
        : inFeatures(in)
        , outFeatures(out)
    {
    }
    LoraLinearOptions &bias(bool on)
    {
        withBias = on;
        return *this;
    }
    // The weight is another module's parameter, used as is and not registered here (Florence-2's
    // lm_head is tied to the token embeddings): the layer only carries the adapter.
    LoraLinearOptions &tiedWeight(at::Tensor w)
    {
        tied = std::move(w);
        return *this;
    }
    int64_t inFeatures;
    int64_t outFeatures;
    bool withBias = true;
    at::Tensor tied;
};

// One adapter's settings (PEFT's LoraConfig fields that shape a layer).
struct LoraSettings {
    int64_t r = 8;
    double alpha = 8.0;
    double dropout = 0.0;
    bool rslora = false; // scaling alpha / sqrt(r) instead of alpha / r
};

class LoraLinearImpl : public torch::nn::Module {
public:
    explicit LoraLinearImpl(const LoraLinearOptions &options);
    LoraLinearImpl(int64_t in, int64_t out)
        : LoraLinearImpl(LoraLinearOptions(in, out))
    {
    }

    // nn.Linear's initialisation: kaiming-uniform(a = sqrt(5)) weight, uniform(+-1/sqrt(in)) bias.
    void resetParameters();

    at::Tensor forward(const at::Tensor &x);
    // The adapter's term scaling * B(A(dropout(x))) in x's dtype (loraActive() only).
    at::Tensor loraUpdate(const at::Tensor &x);

    // Adds an adapter (replacing one already there), in the weight's dtype and device.
    void attachLora(const LoraSettings &settings);
    bool hasLora() const { return m_lora.has_value(); }
    const LoraSettings &loraSettings() const;
    double loraScaling() const;
    // True when the adapter is attached and not merged: forward() adds its products.
    bool loraActive() const { return m_lora.has_value() && !m_merged; }
    // W += scaling * B A (no-op when merged or without adapter); unmerge() subtracts it again.
    // A tied weight cannot be merged (it would change the embeddings too): merge() throws.
    bool mergeable() const { return !m_options.tied.defined(); }
    void merge();
    void unmerge();
    bool merged() const { return m_merged; }

    const LoraLinearOptions &options() const { return m_options; }

    at::Tensor weight;
    at::Tensor bias; // undefined without bias
    torch::nn::Linear lora_A {nullptr}; // [r, in], no bias
    torch::nn::Linear lora_B {nullptr}; // [out, r], no bias

private:
    at::Tensor delta() const; // scaling * B A in the weight's dtype

    LoraLinearOptions m_options;
    std::optional<LoraSettings> m_lora;
    bool m_merged = false;
};

TORCH_MODULE(LoraLinear);

} // namespace fmw::florence2
