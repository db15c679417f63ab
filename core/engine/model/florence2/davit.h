#pragma once
// DaViT, Florence-2's image encoder (DaViT in the reference, without the classification
// `head` and `norms` that Florence2ForConditionalGeneration deletes): per stage a ConvEmbed
// (`convs.<i>`) and depths[i] dual attention blocks (`blocks.<i>.<j>`).

#include "engine/model/florence2/conv_embed.h"
#include "engine/model/florence2/dual_attention_block.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/tensor_callback.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace fmw::florence2 {

class DaViTImpl : public torch::nn::Module {
public:
    explicit DaViTImpl(const VisionConfig &config);

    // The reference's forward_features_unpool: pixels [B, 3, H, W] -> tokens [B, h*w, C_last]
    // of the last stage's h x w map (`size` receives it when given). Reports
    // vision.conv_embed<i> and vision.stage<i> ([B, Hi*Wi, Ci]).
    at::Tensor forward(
        const at::Tensor &pixelValues, const TensorCallback &callback = {}, MapSize *size = nullptr);

    torch::nn::ModuleList convs {nullptr}; // ConvEmbed per stage
    torch::nn::ModuleList blocks {nullptr}; // per stage a ModuleList of DualAttentionBlock

private:
    std::vector<ConvEmbed> m_convs;
    std::vector<std::vector<DualAttentionBlock>> m_blocks;
};

TORCH_MODULE(DaViT);

} // namespace fmw::florence2
