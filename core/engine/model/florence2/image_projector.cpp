#include "engine/model/florence2/image_projector.h"

#include "engine/model/florence2/functional.h"

#include <ATen/ATen.h>

#include <cmath>

namespace fmw::florence2 {

ImageProjectorImpl::ImageProjectorImpl(const VisionConfig &c)
    : m_featureSources(c.imageFeatureSource)
{
    const int64_t dimOut = c.dimEmbed.back();
    // Uninitialised in the reference too (torch.empty): checkpoints always provide it. A small
    // normal init keeps a randomly built model finite.
    image_projection = register_parameter("image_projection", at::randn({dimOut, c.projectionDim}) * 0.02);
    image_proj_norm = register_module(
        "image_proj_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.projectionDim})));
    image_pos_embed = register_module("image_pos_embed",
        LearnedPositionEmbedding2D(LearnedPositionEmbedding2DOptions {dimOut, c.maxPosEmbeddings}));
    visual_temporal_embed = register_module("visual_temporal_embed",
        CosineTemporalEmbedding(CosineTemporalEmbeddingOptions {dimOut, c.maxTemporalEmbeddings}));
}

at::Tensor ImageProjectorImpl::projectImageFeatures(
    const at::Tensor &visionTokens, const TensorCallback &callback)
{
    const int64_t B = visionTokens.size(0), N = visionTokens.size(1), C = visionTokens.size(2);
    const int64_t T = 1; // one frame per image
    const auto side = static_cast<int64_t>(std::sqrt(static_cast<double>(N)));
    TORCH_CHECK(side * side == N, "the image feature map must be square, got ", N, " tokens");

    // 2-D position embedding: [B, N, C] -> [B, h, w, C] + [1, h, w, C] -> [B, T*h*w, C]
    at::Tensor x = visionTokens.reshape({B * T, side, side, C});
    x = (x + image_pos_embed(x)).reshape({B, T * N, C});
    // temporal embedding of frame 0: [B, T, N, C] + [1, T, 1, C]
    x = x.reshape({B, T, N, C}) + visual_temporal_embed(T).reshape({1, T, 1, C}).to(x.scalar_type());

    // feature sources, concatenated along the token axis
    std::vector<at::Tensor> features;
    for (const std::string &source : m_featureSources) {
        if (source == "spatial_avg_pool")
            features.push_back(x.mean(2)); // [B, T, C]
        else if (source == "temporal_avg_pool")
            features.push_back(x.mean(1)); // [B, N, C]
        else if (source == "last_frame")
            features.push_back(x.select(1, -1)); // [B, N, C]
        else
            TORCH_CHECK(false, "invalid image feature source: ", source);
    }
    x = at::cat(features, 1);

    // projection [B, 1+N, C] @ [C, D] -> [B, 1+N, D], then its LayerNorm
    x = at::matmul(x, image_projection);
    report(callback, "image_features_prenorm", x);
    x = layerNorm(image_proj_norm, x);
    report(callback, "image_features", x);
    return x;
}

} // namespace fmw::florence2
