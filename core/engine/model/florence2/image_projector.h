#pragma once
// Turns DaViT's last feature map into the language model's image tokens (the reference's
// Florence2ForConditionalGeneration._build_image_projection_layers / _encode_image after
// the vision tower): 2-D learned position embedding, cosine temporal embedding, the pooled
// feature sources (spatial average first, then the per-token temporal average), projection
// by `image_projection` [C, D] (x @ W, not transposed like nn.Linear), `image_proj_norm`.
//
// The checkpoint keeps these parameters at its top level (image_projection,
// image_proj_norm.*, image_pos_embed.*, visual_temporal_embed.*), so the full model derives
// from this module instead of owning it as a child.

#include "engine/model/florence2/cosine_temporal_embedding.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/learned_position_embedding_2d.h"
#include "engine/model/florence2/tensor_callback.h"

#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace fmw::florence2 {

class ImageProjectorImpl : public torch::nn::Module {
public:
    explicit ImageProjectorImpl(const VisionConfig &config);

    // DaViT tokens [B, h*w, C] of a square map -> image features [B, 1 + h*w, D] (for the
    // default sources). Reports image_features_prenorm and image_features.
    at::Tensor projectImageFeatures(const at::Tensor &visionTokens, const TensorCallback &callback = {});

    at::Tensor image_projection; // [C, D]
    torch::nn::LayerNorm image_proj_norm {nullptr};
    LearnedPositionEmbedding2D image_pos_embed {nullptr};
    CosineTemporalEmbedding visual_temporal_embed {nullptr};

private:
    std::vector<std::string> m_featureSources;
};

TORCH_MODULE(ImageProjector);

} // namespace fmw::florence2
