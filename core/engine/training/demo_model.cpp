#include "engine/training/demo_model.h"

#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/florence2_for_conditional_generation.h"
#include "engine/text/bpe_trainer.h"
#include "engine/weights/atomic_file_writer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace fmw::training {

namespace {

using OrderedJson = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr int kPatchStride = 32; // DaViT's total stride: 4 * 2 * 2 * 2
constexpr int64_t kPromptTokens = 64; // room left for the prompt in the encoder's positions

int64_t gridOf(const DemoModelOptions &o)
{
    return o.imageSize / kPatchStride;
}

int64_t maxPositions(const DemoModelOptions &o)
{
    if (o.maxPositionEmbeddings > 0)
        return o.maxPositionEmbeddings;
    const int64_t needed = gridOf(o) * gridOf(o) + 1 + kPromptTokens;
    return std::max<int64_t>(128, (needed + 63) / 64 * 64);
}

Status checkOptions(const DemoModelOptions &o)
{
    auto bad
        = [](const std::string &message) -> Status { return makeError(ErrorCode::InvalidArgument, message); };
    if (o.imageSize < kPatchStride || o.imageSize > 2048 || o.imageSize % kPatchStride != 0)
        return bad("the image size must be a multiple of 32 between 32 and 2048 (DaViT downsamples by "
                   "4, 2, 2 and 2), got "
            + std::to_string(o.imageSize));
    const size_t stages = o.visionDims.size();
    if (stages == 0 || o.visionDepths.size() != stages || o.visionHeads.size() != stages)
        return bad("the vision dims, depths and heads need one entry per stage each");
    if (stages != 4)
        return bad("DaViT here has 4 stages (patch strides 4, 2, 2, 2); got " + std::to_string(stages));
    if (o.visionDims.back() <= 0 || o.dModel <= 0 || o.attentionHeads <= 0
        || o.dModel % o.attentionHeads != 0)
        return bad("d_model must be a positive multiple of the attention heads");
    const int64_t positions = maxPositions(o);
    const int64_t imageTokens = gridOf(o) * gridOf(o) + 1;
    if (positions < imageTokens + 16)
        return bad("max_position_embeddings " + std::to_string(positions)
            + " leaves no room for a prompt after " + std::to_string(imageTokens) + " image tokens");
    return {};
}

OrderedJson configJson(const DemoModelOptions &o, int vocabSize)
{
    const int64_t grid = gridOf(o);
    OrderedJson text;
    text["vocab_size"] = vocabSize;
    text["activation_dropout"] = 0.0;
    text["activation_function"] = "gelu";
    text["add_bias_logits"] = false;
    text["add_final_layer_norm"] = false;
    text["attention_dropout"] = 0.0;
    text["bos_token_id"] = 0;
    text["classif_dropout"] = 0.1;
    text["classifier_dropout"] = 0.0;
    text["d_model"] = o.dModel;
    text["decoder_attention_heads"] = o.attentionHeads;
    text["decoder_ffn_dim"] = o.ffnDim;
    text["decoder_layerdrop"] = 0.0;
    text["decoder_layers"] = o.decoderLayers;
    text["decoder_start_token_id"] = 2;
    text["dropout"] = o.dropout;
    text["early_stopping"] = true;
    text["encoder_attention_heads"] = o.attentionHeads;
    text["encoder_ffn_dim"] = o.ffnDim;
    text["encoder_layerdrop"] = 0.0;
    text["encoder_layers"] = o.encoderLayers;
    text["eos_token_id"] = 2;
    text["forced_eos_token_id"] = 2;
    text["forced_bos_token_id"] = 0;
    text["gradient_checkpointing"] = false;
    // Florence-2's 0.02 suits d_model 768/1024. At the demo's width it leaves attention almost
    // uniform at the start, and a from-scratch run sits for hundreds of steps on a saddle where
    // the decoder ignores where things are in the image; 1/sqrt(d_model) starts with
    // position-sensitive attention (a left/right probe: learnt in ~40 steps instead of ~550).
    text["init_std"] = std::round(1000.0 / std::sqrt(static_cast<double>(o.dModel))) / 1000.0;
    text["is_encoder_decoder"] = true;
    text["label2id"] = {{"LABEL_0", 0}, {"LABEL_1", 1}, {"LABEL_2", 2}};
    text["max_position_embeddings"] = maxPositions(o);
    // Greedy and unconstrained by default: the demo's targets repeat trigrams ("in place.")
    // that Florence-2's no_repeat_ngram_size 3 would forbid.
    text["no_repeat_ngram_size"] = 0;
    text["normalize_before"] = false;
    text["num_hidden_layers"] = o.encoderLayers;
    text["pad_token_id"] = 1;
    text["scale_embedding"] = false;
    text["num_beams"] = 1;

    OrderedJson vision;
    vision["model_type"] = "davit";
    vision["drop_path_rate"] = o.dropPathRate;
    vision["patch_size"] = {7, 3, 3, 3};
    vision["patch_stride"] = {4, 2, 2, 2};
    vision["patch_padding"] = {3, 1, 1, 1};
    vision["patch_prenorm"] = {false, true, true, true};
    vision["enable_checkpoint"] = false;
    vision["dim_embed"] = o.visionDims;
    vision["num_heads"] = o.visionHeads;
    vision["num_groups"] = o.visionHeads;
    vision["depths"] = o.visionDepths;
    vision["window_size"] = o.windowSize;
    vision["projection_dim"] = o.dModel;
    vision["visual_temporal_embedding"] = {{"type", "COSINE"}, {"max_temporal_embeddings", 100}};
    vision["image_pos_embed"] = {{"type", "learned_abs_2d"}, {"max_pos_embeddings", grid}};
    vision["image_feature_source"] = {"spatial_avg_pool", "temporal_avg_pool"};

    OrderedJson root;
    root["_name_or_path"] = "fmw-demo-florence2";
    root["architectures"] = {"Florence2ForConditionalGeneration"};
    root["auto_map"] = {{"AutoConfig", "configuration_florence2.Florence2Config"},
        {"AutoModelForCausalLM", "modeling_florence2.Florence2ForConditionalGeneration"}};
    root["bos_token_id"] = 0;
    root["eos_token_id"] = 2;
    root["ignore_index"] = -100;
    root["model_type"] = "florence2";
    root["pad_token_id"] = 1;
    root["projection_dim"] = o.dModel;
    root["text_config"] = std::move(text);
    root["vision_config"] = std::move(vision);
    root["vocab_size"] = vocabSize;
    root["torch_dtype"] = "float32";
    root["is_encoder_decoder"] = true;
    // No weights file: the trainer initialises every weight randomly (random_init).
    root["fmw_demo"] = true;
    return root;
}

// Florence-2's preprocessor_config.json with the demo's image size.
OrderedJson preprocessorJson(const DemoModelOptions &o)
{
    const int64_t grid = gridOf(o);
    OrderedJson j;
    j["auto_map"] = {{"AutoProcessor", "processing_florence2.Florence2Processor"}};
    j["_valid_processor_keys"] = {"images", "do_resize", "size", "resample", "do_rescale", "rescale_factor",
        "do_normalize", "image_mean", "image_std", "return_tensors", "data_format", "input_data_format",
        "do_convert_rgb"};
    j["do_convert_rgb"] = nullptr;
    j["do_normalize"] = true;
    j["do_rescale"] = true;
    j["do_resize"] = true;
    j["do_center_crop"] = false;
    j["image_processor_type"] = "CLIPImageProcessor";
    j["image_seq_length"] = grid * grid + 1;
    j["image_mean"] = {0.485, 0.456, 0.406};
    j["image_std"] = {0.229, 0.224, 0.225};
    j["processor_class"] = "Florence2Processor";
    j["resample"] = 3;
    j["size"] = {{"height", o.imageSize}, {"width", o.imageSize}};
    j["crop_size"] = {{"height", o.imageSize}, {"width", o.imageSize}};
    return j;
}

std::string listText(const std::vector<int64_t> &values)
{
    std::string s;
    for (size_t i = 0; i < values.size(); ++i)
        s += (i ? ", " : "") + std::to_string(values[i]);
    return "[" + s + "]";
}

std::string readmeText(const DemoModelOptions &o, const DemoModelSummary &s, size_t texts)
{
    std::ostringstream r;
    r << "DEMO MODEL - UNTRAINED, NOT FOR ANY MEDICAL USE\n"
         "===============================================\n\n"
         "A tiny Florence-2 written by `florence-cli make-demo-model` (Florence Medical Workbench)\n"
         "to be trained FROM SCRATCH on the synthetic demo dataset, on a CPU, in minutes.\n"
         "There is no weights file: the trainer starts from random weights (random_init: true in\n"
         "configs/demo.yaml; config.json carries \"fmw_demo\": true). Then:\n\n"
         "  florence-cli train --config configs/demo.yaml\n\n"
         "Files\n"
         "  config.json               Florence-2 config (remote-code format), "
      << s.parameters
      << " parameters\n"
         "  tokenizer.json            byte-level BPE learned from "
      << texts << " texts of " << (o.corpusSource.empty() ? std::string("the given corpus") : o.corpusSource)
      << "\n"
         "  tokenizer_config.json     BartTokenizer settings (no clean-up of spaces when decoding)\n"
         "  preprocessor_config.json  images resized to "
      << o.imageSize << " x " << o.imageSize
      << ", ImageNet normalization\n\n"
         "Architecture\n"
         "  DaViT: dim_embed "
      << listText(o.visionDims) << ", depths " << listText(o.visionDepths) << ", heads "
      << listText(o.visionHeads) << ", window " << o.windowSize << "\n  BART: d_model " << o.dModel << ", "
      << o.encoderLayers << " encoder + " << o.decoderLayers << " decoder layers, ffn " << o.ffnDim << ", "
      << o.attentionHeads << " heads, " << maxPositions(o)
      << " positions\n"
         "  Generation defaults: greedy (num_beams 1), no n-gram blocking.\n\n"
         "Tokenizer\n"
         "  "
      << s.tokenizerSize << " ids: <s>=0 <pad>=1 </s>=2 <unk>=3, 256 byte symbols, " << s.merges
      << " merges, <mask>,\n"
         "  then Florence-2's 1024 tokens (<od> </od> <ocr> </ocr> <loc_0>..<loc_999> <cap> ... <and>)\n"
         "  in Florence-2's order. Decoding gives back the encoded text exactly (no clean-up of\n"
         "  spaces); texts unlike the demo's just take more tokens. Hugging Face `tokenizers` loads\n"
         "  tokenizer.json as it is.\n";
    return r.str();
}

Status prepareFolder(const std::string &dir)
{
    std::error_code ec;
    const fs::file_status st = fs::status(dir, ec);
    if (fs::exists(st)) {
        if (!fs::is_directory(st))
            return makeError(ErrorCode::InvalidArgument, "not a folder; give a new or empty folder", dir);
        if (!fs::is_empty(dir, ec) || ec)
            return makeError(ErrorCode::InvalidArgument,
                "the folder is not empty; the demo model is written into a new or empty folder", dir);
        return {};
    }
    fs::create_directories(dir, ec);
    if (ec)
        return makeError(ErrorCode::Io, "cannot create the folder: " + ec.message(), dir);
    return {};
}

} // namespace

Status writeDemoModel(const std::string &outDir, const std::vector<std::string> &corpus,
    const DemoModelOptions &options, DemoModelSummary *summaryOut)
{
    if (outDir.empty())
        return makeError(ErrorCode::InvalidArgument, "no output folder given");
    if (Status s = checkOptions(options); !s)
        return s;
    if (corpus.empty())
        return makeError(ErrorCode::InvalidArgument,
            "no texts to learn the tokenizer from (the dataset has no records with a suffix)");

    // The tokenizer
    text::BpeTrainer trainer(text::florence2_tokens::trainerOptions(options.vocabSize, options.minFrequency));
    trainer.feed(corpus);
    auto bpe = trainer.train();
    if (!bpe)
        return bpe.error();
    DemoModelSummary summary;
    summary.merges = static_cast<int>(bpe->merges.size());
    // learned vocabulary + <mask> + 1024 Florence tokens
    summary.tokenizerSize = static_cast<int>(bpe->vocab.size()) + 1
        + static_cast<int>(text::florence2_tokens::florenceTokens().size());

    // The config, checked by the reader the engine uses and by building the model once
    const std::string configText = configJson(options, summary.tokenizerSize).dump(2) + "\n";
    auto config = florence2::parseFlorence2Config(configText, outDir + "/config.json");
    if (!config)
        return config.error();
    try {
        florence2::Florence2ForConditionalGeneration model(*config);
        summary.parameters = model->numParameters();
    } catch (const c10::Error &e) {
        return makeError(ErrorCode::InvalidArgument,
            std::string("the model options do not make a valid Florence-2: ") + e.what_without_backtrace());
    }

    const std::vector<std::pair<std::string, std::string>> files = {
        {"config.json", configText},
        {"tokenizer.json", text::florence2TokenizerJson(*bpe)},
        {"tokenizer_config.json",
            text::florence2TokenizerConfigJson(static_cast<int>(maxPositions(options)))},
        {"preprocessor_config.json", preprocessorJson(options).dump(2) + "\n"},
        {"README.txt", readmeText(options, summary, corpus.size())},
    };
    if (Status s = prepareFolder(outDir); !s)
        return s;
    for (const auto &[name, content] : files) {
        if (Status s = weights::writeFileAtomically((fs::path(outDir) / name).string(), content); !s)
            return s;
        summary.files.push_back(name);
    }
    if (summaryOut)
        *summaryOut = summary;
    return {};
}

bool isDemoModelConfig(const std::string &configJsonText)
{
    const nlohmann::json j = nlohmann::json::parse(configJsonText, nullptr, false);
    if (!j.is_object())
        return false;
    const auto it = j.find("fmw_demo");
    return it != j.end() && it->is_boolean() && it->get<bool>();
}

} // namespace fmw::training
