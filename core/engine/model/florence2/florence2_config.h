#pragma once
// Florence-2 architecture settings read from a Hugging Face config.json. Plain C++ (no torch):
// the UI and CLI can read a model's shape without loading LibTorch.
//
// Two formats exist for the same architecture:
// - remote code (microsoft/Florence-2-*, configuration_florence2.py): vision_config uses
//   `dim_embed`, `image_pos_embed`, `visual_temporal_embedding`, `image_feature_source`, and
//   must carry every vision field (the original wraps it in a plain PretrainedConfig);
//   text_config falls back to Florence2LanguageConfig's defaults and may lack `model_type`;
// - transformers-native (florence-community/Florence-2-*, transformers' Florence2Config):
//   vision_config uses `embed_dim`, `max_position_embeddings`, `max_temporal_embeddings` and
//   defaults to Florence-2-base; text_config is a BartConfig (BART defaults).
// JSON objects with a repeated key keep the last value, as Python's json module does.

#include "common/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fmw::florence2 {

enum class ConfigFormat { RemoteCode, Native };

const char *configFormatName(ConfigFormat format); // "remote-code", "transformers-native"

// The DaViT image encoder and the image projector (Florence2VisionConfig).
struct VisionConfig {
    // One entry per stage.
    std::vector<int64_t> dimEmbed {256, 512, 1024, 2048};
    std::vector<int64_t> numHeads {8, 16, 32, 64};
    std::vector<int64_t> numGroups {8, 16, 32, 64};
    std::vector<int64_t> depths {1, 1, 9, 1};
    std::vector<int64_t> patchSize {7, 3, 3, 3};
    std::vector<int64_t> patchStride {4, 2, 2, 2};
    std::vector<int64_t> patchPadding {3, 1, 1, 1};
    std::vector<bool> patchPrenorm {false, true, true, true};
    int64_t inChannels = 3;
    int64_t windowSize = 12;
    double mlpRatio = 4.0;
    bool qkvBias = true;
    double dropPathRate = 0.1;
    int64_t projectionDim = 1024; // D of image_projection [C_last, D]
    int64_t maxPosEmbeddings = 50; // rows of the 2-D learned position tables
    int64_t maxTemporalEmbeddings = 100; // rows of the cosine temporal table
    // Concatenated in this order: "spatial_avg_pool", "temporal_avg_pool", "last_frame".
    std::vector<std::string> imageFeatureSource {"spatial_avg_pool", "temporal_avg_pool"};

    int64_t numStages() const { return static_cast<int64_t>(dimEmbed.size()); }
};

// What text_config says about generation (the effective defaults of the original
// generate(), which builds its generation config from text_config).
struct GenerationDefaults {
    int64_t numBeams = 1;
    bool earlyStopping = false;
    int64_t noRepeatNgramSize = 0;
    std::optional<int64_t> forcedBosTokenId;
    std::optional<int64_t> forcedEosTokenId;
    int64_t maxLength = 20;
    double lengthPenalty = 1.0;
};

// The BART language model (Florence2LanguageConfig / BartConfig).
struct TextConfig {
    int64_t vocabSize = 51289;
    int64_t dModel = 1024;
    int64_t encoderLayers = 12;
    int64_t decoderLayers = 12;
    int64_t encoderAttentionHeads = 16;
    int64_t decoderAttentionHeads = 16;
    int64_t encoderFfnDim = 4096;
    int64_t decoderFfnDim = 4096;
    int64_t maxPositionEmbeddings = 1024; // the position tables have 2 more rows (offset 2)
    std::string activationFunction = "gelu";
    double dropout = 0.1;
    double attentionDropout = 0.0;
    double activationDropout = 0.0;
    double encoderLayerdrop = 0.0;
    double decoderLayerdrop = 0.0;
    bool scaleEmbedding = false; // multiply token embeddings by sqrt(d_model)
    double initStd = 0.02; // std of the normal draws when training starts from random weights
    int64_t padTokenId = 1;
    int64_t bosTokenId = 0;
    int64_t eosTokenId = 2;
    int64_t decoderStartTokenId = 2;
    GenerationDefaults generation;
};

struct Florence2Config {
    ConfigFormat format = ConfigFormat::RemoteCode;
    VisionConfig vision;
    TextConfig text;
    int64_t ignoreIndex = -100; // label value the loss skips
    std::optional<int64_t> imageTokenId; // native format only (`<image>` placeholder)
    std::string torchDtype; // as written ("float16", ...), empty if absent
};

// `source` names the file in error messages.
Result<Florence2Config> parseFlorence2Config(
    const std::string &jsonText, const std::string &source = "config.json");
// A config.json, or a model folder holding one.
Result<Florence2Config> loadFlorence2Config(const std::string &path);

// Checks sizes and relations the model needs (stage lists of equal length, dimensions
// divisible by heads and groups, known activation and feature sources, token ids inside the
// vocabulary). parseFlorence2Config calls it; call it again after editing a config.
Status validateFlorence2Config(const Florence2Config &config, const std::string &source = {});

} // namespace fmw::florence2
