#include "engine/model/florence2/florence2_config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>

namespace fmw::florence2 {

using nlohmann::json;

namespace {

// Field readers: a missing key leaves the default, a present key of the wrong type is an
// error naming the field's dotted path.
class Reader {
public:
    Reader(const std::string &source)
        : m_source(source)
    {
    }

    const Error *error() const { return m_error ? &*m_error : nullptr; }

    void fail(const std::string &message)
    {
        if (!m_error)
            m_error = makeError(ErrorCode::Parse, message, m_source);
    }

    const json *find(const json &object, const char *key) const
    {
        const auto it = object.find(key);
        return it == object.end() || it->is_null() ? nullptr : &*it;
    }

    void integer(const json &object, const char *key, const std::string &path, int64_t &out)
    {
        if (const json *v = find(object, key)) {
            if (v->is_number_integer())
                out = v->get<int64_t>();
            else if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>())
                out = static_cast<int64_t>(v->get<double>());
            else
                fail(path + key + " must be an integer, got " + v->dump());
        }
    }

    void optionalInteger(
        const json &object, const char *key, const std::string &path, std::optional<int64_t> &out)
    {
        const auto it = object.find(key);
        if (it == object.end())
            return;
        if (it->is_null()) {
            out.reset();
            return;
        }
        int64_t value = 0;
        integer(object, key, path, value);
        out = value;
    }

    void number(const json &object, const char *key, const std::string &path, double &out)
    {
        if (const json *v = find(object, key)) {
            if (v->is_number())
                out = v->get<double>();
            else
                fail(path + key + " must be a number, got " + v->dump());
        }
    }

    void boolean(const json &object, const char *key, const std::string &path, bool &out)
    {
        if (const json *v = find(object, key)) {
            if (v->is_boolean())
                out = v->get<bool>();
            else
                fail(path + key + " must be true or false, got " + v->dump());
        }
    }

    void string(const json &object, const char *key, const std::string &path, std::string &out)
    {
        if (const json *v = find(object, key)) {
            if (v->is_string())
                out = v->get<std::string>();
            else
                fail(path + key + " must be a string, got " + v->dump());
        }
    }

    void integers(const json &object, const char *key, const std::string &path, std::vector<int64_t> &out)
    {
        if (const json *v = find(object, key)) {
            if (!v->is_array()) {
                fail(path + key + " must be a list of integers, got " + v->dump());
                return;
            }
            std::vector<int64_t> values;
            for (const json &e : *v) {
                if (!e.is_number_integer()) {
                    fail(path + key + " must be a list of integers, got " + v->dump());
                    return;
                }
                values.push_back(e.get<int64_t>());
            }
            out = std::move(values);
        }
    }

    void booleans(const json &object, const char *key, const std::string &path, std::vector<bool> &out)
    {
        if (const json *v = find(object, key)) {
            if (!v->is_array()) {
                fail(path + key + " must be a list of true/false, got " + v->dump());
                return;
            }
            std::vector<bool> values;
            for (const json &e : *v) {
                if (!e.is_boolean()) {
                    fail(path + key + " must be a list of true/false, got " + v->dump());
                    return;
                }
                values.push_back(e.get<bool>());
            }
            out = std::move(values);
        }
    }

    void strings(const json &object, const char *key, const std::string &path, std::vector<std::string> &out)
    {
        if (const json *v = find(object, key)) {
            if (!v->is_array()) {
                fail(path + key + " must be a list of strings, got " + v->dump());
                return;
            }
            std::vector<std::string> values;
            for (const json &e : *v) {
                if (!e.is_string()) {
                    fail(path + key + " must be a list of strings, got " + v->dump());
                    return;
                }
                values.push_back(e.get<std::string>());
            }
            out = std::move(values);
        }
    }

private:
    std::string m_source;
    std::optional<Error> m_error;
};

ConfigFormat detectFormat(const json &root)
{
    const auto vision = root.find("vision_config");
    if (vision != root.end() && vision->is_object()) {
        if (vision->contains("dim_embed") || vision->contains("image_pos_embed"))
            return ConfigFormat::RemoteCode;
        if (vision->contains("embed_dim"))
            return ConfigFormat::Native;
        const std::string type = vision->value("model_type", std::string());
        if (type == "davit")
            return ConfigFormat::RemoteCode;
        if (type == "florence_vision" || type == "florence2_vision")
            return ConfigFormat::Native;
    }
    // Only the remote-code release ships modeling code next to the config.
    return root.contains("auto_map") ? ConfigFormat::RemoteCode : ConfigFormat::Native;
}

void readRemoteVision(Reader &r, const json &v, VisionConfig &out)
{
    const std::string p = "vision_config.";
    // The original builds DaViT from a plain PretrainedConfig: a missing field is an
    // AttributeError there, so it is an error here too rather than a guessed default.
    for (const char *key : {"dim_embed", "num_heads", "num_groups", "depths", "patch_size", "patch_stride",
             "patch_padding", "patch_prenorm", "window_size", "projection_dim", "image_pos_embed",
             "visual_temporal_embedding", "image_feature_source"}) {
        if (!r.find(v, key)) {
            r.fail(p + key
                + " is missing; the remote-code format needs every vision field "
                  "(compare with microsoft/Florence-2-large's config.json)");
            return;
        }
    }
    r.integers(v, "dim_embed", p, out.dimEmbed);
    r.integers(v, "num_heads", p, out.numHeads);
    r.integers(v, "num_groups", p, out.numGroups);
    r.integers(v, "depths", p, out.depths);
    r.integers(v, "patch_size", p, out.patchSize);
    r.integers(v, "patch_stride", p, out.patchStride);
    r.integers(v, "patch_padding", p, out.patchPadding);
    r.booleans(v, "patch_prenorm", p, out.patchPrenorm);
    r.integer(v, "window_size", p, out.windowSize);
    r.number(v, "drop_path_rate", p, out.dropPathRate);
    r.integer(v, "projection_dim", p, out.projectionDim);
    r.strings(v, "image_feature_source", p, out.imageFeatureSource);

    const json &pos = v.at("image_pos_embed");
    const json &temporal = v.at("visual_temporal_embedding");
    if (!pos.is_object() || !temporal.is_object()) {
        r.fail(p + "image_pos_embed and visual_temporal_embedding must be objects");
        return;
    }
    std::string posType, temporalType;
    r.string(pos, "type", p + "image_pos_embed.", posType);
    r.string(temporal, "type", p + "visual_temporal_embedding.", temporalType);
    if (posType != "learned_abs_2d")
        r.fail(p + "image_pos_embed.type is '" + posType + "'; only 'learned_abs_2d' exists in Florence-2");
    if (temporalType != "COSINE")
        r.fail(p + "visual_temporal_embedding.type is '" + temporalType
            + "'; only 'COSINE' exists in Florence-2");
    if (!r.find(pos, "max_pos_embeddings") || !r.find(temporal, "max_temporal_embeddings"))
        r.fail(p
            + "image_pos_embed.max_pos_embeddings and visual_temporal_embedding.max_temporal_embeddings "
              "are required");
    r.integer(pos, "max_pos_embeddings", p + "image_pos_embed.", out.maxPosEmbeddings);
    r.integer(
        temporal, "max_temporal_embeddings", p + "visual_temporal_embedding.", out.maxTemporalEmbeddings);
}

void readNativeVision(Reader &r, const json &v, VisionConfig &out)
{
    // transformers' Florence2VisionConfig defaults (florence-community/Florence-2-base).
    out.dimEmbed = {128, 256, 512, 1024};
    out.numHeads = {4, 8, 16, 32};
    out.numGroups = {4, 8, 16, 32};
    const std::string p = "vision_config.";
    r.integer(v, "in_channels", p, out.inChannels);
    r.integers(v, "depths", p, out.depths);
    r.integers(v, "patch_size", p, out.patchSize);
    r.integers(v, "patch_stride", p, out.patchStride);
    r.integers(v, "patch_padding", p, out.patchPadding);
    r.booleans(v, "patch_prenorm", p, out.patchPrenorm);
    r.integers(v, "embed_dim", p, out.dimEmbed);
    r.integers(v, "num_heads", p, out.numHeads);
    r.integers(v, "num_groups", p, out.numGroups);
    r.integer(v, "window_size", p, out.windowSize);
    r.number(v, "drop_path_rate", p, out.dropPathRate);
    r.number(v, "mlp_ratio", p, out.mlpRatio);
    r.boolean(v, "qkv_bias", p, out.qkvBias);
    r.integer(v, "projection_dim", p, out.projectionDim);
    r.integer(v, "max_temporal_embeddings", p, out.maxTemporalEmbeddings);
    r.integer(v, "max_position_embeddings", p, out.maxPosEmbeddings);
    std::string activation = "gelu";
    r.string(v, "activation_function", p, activation);
    if (activation != "gelu")
        r.fail(p + "activation_function is '" + activation + "'; DaViT here supports 'gelu' only");
}

void readText(Reader &r, const json &t, ConfigFormat format, TextConfig &out)
{
    if (format == ConfigFormat::Native) {
        // BartConfig's defaults differ from Florence2LanguageConfig's only in the vocabulary.
        out.vocabSize = 50265;
    }
    const std::string p = "text_config.";
    r.integer(t, "vocab_size", p, out.vocabSize);
    r.integer(t, "d_model", p, out.dModel);
    r.integer(t, "encoder_layers", p, out.encoderLayers);
    r.integer(t, "decoder_layers", p, out.decoderLayers);
    r.integer(t, "encoder_attention_heads", p, out.encoderAttentionHeads);
    r.integer(t, "decoder_attention_heads", p, out.decoderAttentionHeads);
    r.integer(t, "encoder_ffn_dim", p, out.encoderFfnDim);
    r.integer(t, "decoder_ffn_dim", p, out.decoderFfnDim);
    r.integer(t, "max_position_embeddings", p, out.maxPositionEmbeddings);
    r.string(t, "activation_function", p, out.activationFunction);
    r.number(t, "dropout", p, out.dropout);
    r.number(t, "attention_dropout", p, out.attentionDropout);
    r.number(t, "activation_dropout", p, out.activationDropout);
    r.number(t, "encoder_layerdrop", p, out.encoderLayerdrop);
    r.number(t, "decoder_layerdrop", p, out.decoderLayerdrop);
    r.boolean(t, "scale_embedding", p, out.scaleEmbedding);
    r.number(t, "init_std", p, out.initStd);
    r.integer(t, "pad_token_id", p, out.padTokenId);
    r.integer(t, "bos_token_id", p, out.bosTokenId);
    r.integer(t, "eos_token_id", p, out.eosTokenId);
    r.integer(t, "decoder_start_token_id", p, out.decoderStartTokenId);

    GenerationDefaults &g = out.generation;
    g.forcedEosTokenId = 2; // both Florence2LanguageConfig and BartConfig default to 2
    r.integer(t, "num_beams", p, g.numBeams);
    r.boolean(t, "early_stopping", p, g.earlyStopping);
    r.integer(t, "no_repeat_ngram_size", p, g.noRepeatNgramSize);
    r.optionalInteger(t, "forced_bos_token_id", p, g.forcedBosTokenId);
    r.optionalInteger(t, "forced_eos_token_id", p, g.forcedEosTokenId);
    r.integer(t, "max_length", p, g.maxLength);
    r.number(t, "length_penalty", p, g.lengthPenalty);
    if (!g.forcedBosTokenId && t.value("force_bos_token_to_be_generated", false))
        g.forcedBosTokenId = out.bosTokenId;
}

bool isDirectory(const std::string &path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

const char *configFormatName(ConfigFormat format)
{
    return format == ConfigFormat::RemoteCode ? "remote-code" : "transformers-native";
}

Result<Florence2Config> parseFlorence2Config(const std::string &jsonText, const std::string &source)
{
    json root;
    try {
        // nlohmann keeps the last of repeated keys, like Python's json (Florence-2-base's
        // config.json repeats torch_dtype).
        root = json::parse(jsonText);
    } catch (const json::parse_error &e) {
        return makeError(ErrorCode::Parse, std::string("not valid JSON: ") + e.what(), source);
    }
    if (!root.is_object())
        return makeError(ErrorCode::Parse, "a config.json must hold a JSON object", source);

    const std::string modelType = root.value("model_type", std::string("florence2"));
    if (modelType != "florence2")
        return makeError(ErrorCode::Unsupported,
            "model_type is '" + modelType + "', not 'florence2': this is not a Florence-2 config", source);

    Florence2Config config;
    config.format = detectFormat(root);
    Reader r(source);
    r.integer(root, "ignore_index", "", config.ignoreIndex);
    r.string(root, "torch_dtype", "", config.torchDtype);
    if (config.format == ConfigFormat::Native) {
        int64_t imageToken = 51289;
        r.integer(root, "image_token_id", "", imageToken);
        config.imageTokenId = imageToken;
    }

    const json *vision = r.find(root, "vision_config");
    if (vision && !vision->is_object())
        return makeError(ErrorCode::Parse, "vision_config must be an object", source);
    if (config.format == ConfigFormat::RemoteCode) {
        if (!vision)
            return makeError(
                ErrorCode::Parse, "vision_config is missing (the remote-code format requires it)", source);
        readRemoteVision(r, *vision, config.vision);
    } else {
        readNativeVision(r, vision ? *vision : json::object(), config.vision);
    }

    const json *text = r.find(root, "text_config");
    if (text && !text->is_object())
        return makeError(ErrorCode::Parse, "text_config must be an object", source);
    if (!text && config.format == ConfigFormat::RemoteCode)
        return makeError(
            ErrorCode::Parse, "text_config is missing (the remote-code format requires it)", source);
    if (text && config.format == ConfigFormat::Native) {
        const std::string textType = text->value("model_type", std::string("bart"));
        if (textType != "bart" && textType != "florence2_language")
            return makeError(ErrorCode::Unsupported,
                "text_config.model_type is '" + textType + "'; Florence-2 uses a BART language model",
                source);
    }
    readText(r, text ? *text : json::object(), config.format, config.text);

    if (r.error())
        return *r.error();
    if (Status s = validateFlorence2Config(config, source); !s)
        return s.error();
    return config;
}

Result<Florence2Config> loadFlorence2Config(const std::string &path)
{
    const std::string file = isDirectory(path) ? path + "/config.json" : path;
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return makeError(ErrorCode::Io,
            "cannot open the model's config.json; a Florence-2 model folder holds config.json next "
            "to its weights",
            file);
    std::ostringstream ss;
    ss << in.rdbuf();
    return parseFlorence2Config(ss.str(), file);
}

Status validateFlorence2Config(const Florence2Config &config, const std::string &source)
{
    auto fail = [&](const std::string &message) -> Status {
        return makeError(ErrorCode::InvalidArgument, message, source);
    };
    const VisionConfig &v = config.vision;
    const size_t stages = v.dimEmbed.size();
    if (stages == 0)
        return fail("vision_config: dim_embed is empty; DaViT needs at least one stage");
    const std::pair<const char *, size_t> lists[]
        = {{"num_heads", v.numHeads.size()}, {"num_groups", v.numGroups.size()}, {"depths", v.depths.size()},
            {"patch_size", v.patchSize.size()}, {"patch_stride", v.patchStride.size()},
            {"patch_padding", v.patchPadding.size()}, {"patch_prenorm", v.patchPrenorm.size()}};
    for (const auto &[name, size] : lists) {
        if (size != stages)
            return fail("vision_config: " + std::string(name) + " has " + std::to_string(size)
                + " entries but dim_embed has " + std::to_string(stages) + " (one per stage)");
    }
    for (size_t i = 0; i < stages; ++i) {
        const std::string stage = " (stage " + std::to_string(i) + ")";
        if (v.dimEmbed[i] <= 0 || v.numHeads[i] <= 0 || v.numGroups[i] <= 0 || v.depths[i] < 0)
            return fail("vision_config: dim_embed, num_heads and num_groups must be positive and depths >= 0"
                + stage);
        if (v.dimEmbed[i] % v.numHeads[i] != 0)
            return fail("vision_config: dim_embed " + std::to_string(v.dimEmbed[i])
                + " is not divisible by num_heads " + std::to_string(v.numHeads[i]) + stage);
        if (v.dimEmbed[i] % v.numGroups[i] != 0)
            return fail("vision_config: dim_embed " + std::to_string(v.dimEmbed[i])
                + " is not divisible by num_groups " + std::to_string(v.numGroups[i]) + stage);
        if (v.patchSize[i] <= 0 || v.patchStride[i] <= 0 || v.patchPadding[i] < 0)
            return fail(
                "vision_config: patch_size and patch_stride must be positive, patch_padding >= 0" + stage);
    }
    if (v.windowSize <= 0)
        return fail("vision_config: window_size must be positive");
    if (v.inChannels <= 0 || v.projectionDim <= 0 || v.maxPosEmbeddings <= 0 || v.maxTemporalEmbeddings <= 0)
        return fail("vision_config: in_channels, projection_dim, image_pos_embed.max_pos_embeddings and "
                    "max_temporal_embeddings must be positive");
    if (v.dimEmbed.back() % 2 != 0)
        return fail("vision_config: the last dim_embed must be even (cosine temporal embedding)");
    if (v.mlpRatio <= 0)
        return fail("vision_config: mlp_ratio must be positive");
    if (v.dropPathRate < 0 || v.dropPathRate >= 1)
        return fail("vision_config: drop_path_rate must be in [0, 1)");
    if (v.imageFeatureSource.empty())
        return fail("vision_config: image_feature_source is empty");
    for (const std::string &s : v.imageFeatureSource) {
        if (s != "spatial_avg_pool" && s != "temporal_avg_pool" && s != "last_frame")
            return fail("vision_config: unknown image_feature_source '" + s
                + "' (known: spatial_avg_pool, temporal_avg_pool, last_frame)");
    }

    const TextConfig &t = config.text;
    if (t.vocabSize <= 0 || t.dModel <= 0 || t.encoderLayers < 0 || t.decoderLayers < 0
        || t.encoderFfnDim <= 0 || t.decoderFfnDim <= 0 || t.maxPositionEmbeddings <= 0)
        return fail(
            "text_config: vocab_size, d_model, ffn dims and max_position_embeddings must be positive");
    if (t.encoderAttentionHeads <= 0 || t.dModel % t.encoderAttentionHeads != 0)
        return fail("text_config: d_model " + std::to_string(t.dModel)
            + " is not divisible by encoder_attention_heads " + std::to_string(t.encoderAttentionHeads));
    if (t.decoderAttentionHeads <= 0 || t.dModel % t.decoderAttentionHeads != 0)
        return fail("text_config: d_model " + std::to_string(t.dModel)
            + " is not divisible by decoder_attention_heads " + std::to_string(t.decoderAttentionHeads));
    static const std::set<std::string> activations {
        "gelu", "relu", "silu", "swish", "gelu_new", "gelu_pytorch_tanh", "tanh"};
    if (!activations.count(t.activationFunction))
        return fail("text_config: activation_function '" + t.activationFunction
            + "' is not supported (gelu, relu, silu, swish, gelu_new, gelu_pytorch_tanh, tanh)");
    for (const double p :
        {t.dropout, t.attentionDropout, t.activationDropout, t.encoderLayerdrop, t.decoderLayerdrop}) {
        if (p < 0 || p > 1)
            return fail("text_config: dropout probabilities must be in [0, 1]");
    }
    if (!(t.initStd > 0) || !std::isfinite(t.initStd))
        return fail("text_config: init_std must be a positive number");
    const std::pair<const char *, int64_t> ids[]
        = {{"pad_token_id", t.padTokenId}, {"bos_token_id", t.bosTokenId}, {"eos_token_id", t.eosTokenId},
            {"decoder_start_token_id", t.decoderStartTokenId}};
    for (const auto &[name, id] : ids) {
        if (id < 0 || id >= t.vocabSize)
            return fail("text_config: " + std::string(name) + " " + std::to_string(id)
                + " is outside the vocabulary of " + std::to_string(t.vocabSize));
    }
    if (v.projectionDim != t.dModel)
        return fail("vision_config.projection_dim " + std::to_string(v.projectionDim)
            + " differs from text_config.d_model " + std::to_string(t.dModel)
            + "; image tokens must have the text model's width");
    return {};
}

} // namespace fmw::florence2
