#include "engine/model/florence2/davit.h"

#include <ATen/ATen.h>

namespace fmw::florence2 {

DaViTImpl::DaViTImpl(const VisionConfig &c)
{
    convs = register_module("convs", torch::nn::ModuleList());
    blocks = register_module("blocks", torch::nn::ModuleList());

    // Stochastic depth grows linearly over all blocks, two per layer (spatial, channel).
    int64_t totalBlocks = 0;
    for (const int64_t d : c.depths)
        totalBlocks += 2 * d;
    const at::Tensor rates = at::linspace(0.0, c.dropPathRate, totalBlocks, at::kFloat);
    auto rate = [&](int64_t i) { return static_cast<double>(rates[i].item<float>()); };

    int64_t offset = 0;
    for (int64_t i = 0; i < c.numStages(); ++i) {
        ConvEmbed conv(ConvEmbedOptions {c.patchSize[i], i == 0 ? c.inChannels : c.dimEmbed[i - 1],
            c.dimEmbed[i], c.patchStride[i], c.patchPadding[i], c.patchPrenorm[i]});
        convs->push_back(conv);
        m_convs.push_back(conv);

        torch::nn::ModuleList stage;
        std::vector<DualAttentionBlock> stageBlocks;
        for (int64_t j = 0; j < c.depths[i]; ++j) {
            DualAttentionBlockOptions o;
            o.spatial
                = {c.dimEmbed[i], c.numHeads[i], c.windowSize, c.mlpRatio, c.qkvBias, rate(offset + 2 * j)};
            o.channel = {c.dimEmbed[i], c.numGroups[i], c.mlpRatio, c.qkvBias, rate(offset + 2 * j + 1)};
            DualAttentionBlock block(o);
            stage->push_back(block);
            stageBlocks.push_back(block);
        }
        blocks->push_back(stage);
        m_blocks.push_back(std::move(stageBlocks));
        offset += 2 * c.depths[i];
    }
}

at::Tensor DaViTImpl::forward(const at::Tensor &pixelValues, const TensorCallback &callback, MapSize *sizeOut)
{
    MapSize size {pixelValues.size(2), pixelValues.size(3)};
    at::Tensor x = pixelValues;
    for (size_t i = 0; i < m_convs.size(); ++i) {
        // patch embedding: [B, C, H, W] or [B, H*W, C] -> [B, H'*W', C']
        x = m_convs[i](x, size);
        report(callback, "vision.conv_embed" + std::to_string(i), x);
        // the stage's spatial + channel blocks
        for (DualAttentionBlock &block : m_blocks[i])
            x = block(x, size);
        report(callback, "vision.stage" + std::to_string(i), x);
    }
    if (sizeOut)
        *sizeOut = size;
    return x;
}

} // namespace fmw::florence2
