// Florence-2 config.json in both formats, its validation, and the parameter counts of models
// built from the real Florence-2-large and Florence-2-base configurations.
#include "engine/engine_test.h"

#include "engine/engine_fixtures.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/florence2_for_conditional_generation.h"
#include "engine/runtime.h"
#include "engine/weights/checkpoint_loader.h"
#include "engine/weights/pytorch_bin.h"
#include "engine/weights/safetensors.h"

#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

using namespace fmw::florence2;
using nlohmann::json;

namespace {

std::string readText(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Florence2Config parseOrFail(const std::string &text, const std::string &what)
{
    auto config = parseFlorence2Config(text, what);
    if (!config)
        throw std::runtime_error(what + ": " + config.error().toString());
    return *config;
}

// Florence-2-base, from the table in florence2-reference.md and hu05xing/Florence-2-base-
// PromptGen-v2.0's config.json ([B]), including its repeated torch_dtype key.
const char *kBaseConfig = R"({
  "architectures": ["Florence2ForConditionalGeneration"],
  "auto_map": {"AutoConfig": "configuration_florence2.Florence2Config"},
  "bos_token_id": 0, "eos_token_id": 2, "ignore_index": -100, "model_type": "florence2",
  "pad_token_id": 1, "projection_dim": 768,
  "text_config": {
    "vocab_size": 51289, "activation_dropout": 0.1, "activation_function": "gelu",
    "attention_dropout": 0.1, "bos_token_id": 0, "d_model": 768, "decoder_attention_heads": 12,
    "decoder_ffn_dim": 3072, "decoder_layerdrop": 0.0, "decoder_layers": 6, "decoder_start_token_id": 2,
    "dropout": 0.1, "early_stopping": true, "encoder_attention_heads": 12, "encoder_ffn_dim": 3072,
    "encoder_layerdrop": 0.0, "encoder_layers": 6, "eos_token_id": 2, "forced_eos_token_id": 2,
    "forced_bos_token_id": 0, "max_position_embeddings": 1024, "no_repeat_ngram_size": 3,
    "normalize_before": false, "num_hidden_layers": 6, "pad_token_id": 1, "scale_embedding": false,
    "num_beams": 3
  },
  "vision_config": {
    "model_type": "davit", "drop_path_rate": 0.1, "patch_size": [7, 3, 3, 3],
    "patch_stride": [4, 2, 2, 2], "patch_padding": [3, 1, 1, 1],
    "patch_prenorm": [false, true, true, true], "enable_checkpoint": false,
    "dim_embed": [128, 256, 512, 1024], "num_heads": [4, 8, 16, 32], "num_groups": [4, 8, 16, 32],
    "depths": [1, 1, 9, 1], "window_size": 12, "projection_dim": 768,
    "visual_temporal_embedding": {"type": "COSINE", "max_temporal_embeddings": 100},
    "image_pos_embed": {"type": "learned_abs_2d", "max_pos_embeddings": 50},
    "image_feature_source": ["spatial_avg_pool", "temporal_avg_pool"]
  },
  "vocab_size": 51289, "torch_dtype": "float32", "transformers_version": "4.41.0.dev0",
  "is_encoder_decoder": true, "torch_dtype": "float16"
})";

struct Counts {
    int64_t total = 0, vision = 0, language = 0, projector = 0;
    size_t stateDictKeys = 0;
};

// Unique parameters, split as florence2-reference.md does; state-dict keys are parameters +
// buffers + the three aliases of the tied embedding, as torch's state_dict() lists them.
Counts countParameters(const Florence2Config &config)
{
    torch::NoGradGuard noGrad;
    Florence2ForConditionalGeneration model(config);
    Counts c;
    for (const auto &p : model->named_parameters()) {
        const int64_t n = p.value().numel();
        c.total += n;
        if (p.key().rfind("vision_tower.", 0) == 0)
            c.vision += n;
        else if (p.key().rfind("language_model.", 0) == 0)
            c.language += n;
        else
            c.projector += n;
    }
    c.stateDictKeys = model->named_parameters().size() + model->named_buffers().size()
        + Florence2ForConditionalGenerationImpl::tiedAliases().size();
    if (model->stateDictShapes().size() != c.stateDictKeys || model->numParameters() != c.total)
        throw std::runtime_error("stateDictShapes()/numParameters() disagree with named_parameters()");
    return c;
}

std::string describe(const Counts &c)
{
    return "total " + std::to_string(c.total) + ", vision " + std::to_string(c.vision) + ", language "
        + std::to_string(c.language) + ", projector " + std::to_string(c.projector) + ", keys "
        + std::to_string(c.stateDictKeys);
}

} // namespace

class TestFlorence2Config : public QObject {
    Q_OBJECT
private slots:
    void parsesRemoteCodeConfigs();
    void parsesNativeConfig();
    void duplicateKeysTakeLastValue();
    void rejectsInvalidConfigs();
    void loadsFromFolderOrFile();
    void largeParameterCount();
    void baseParameterCount();
    void largeCheckpointRoundTrip();
};

void TestFlorence2Config::parsesRemoteCodeConfigs()
{
    const Florence2Config tiny = parseOrFail(
        readText(fmwtest::engineSharedPath("fixtures/florence2-tiny/config.json")), "tiny config.json");
    QVERIFY(tiny.format == ConfigFormat::RemoteCode);
    QVERIFY(tiny.vision.dimEmbed == (std::vector<int64_t> {32, 48, 64, 96}));
    QVERIFY(tiny.vision.numHeads == (std::vector<int64_t> {2, 3, 4, 6}));
    QVERIFY(tiny.vision.depths == (std::vector<int64_t> {1, 1, 2, 1}));
    QVERIFY(tiny.vision.patchPrenorm == (std::vector<bool> {false, true, true, true}));
    QCOMPARE(tiny.vision.windowSize, int64_t(4));
    QCOMPARE(tiny.vision.maxPosEmbeddings, int64_t(8));
    QCOMPARE(tiny.vision.maxTemporalEmbeddings, int64_t(4));
    QCOMPARE(tiny.vision.projectionDim, int64_t(64));
    QVERIFY(tiny.vision.imageFeatureSource
        == (std::vector<std::string> {"spatial_avg_pool", "temporal_avg_pool"}));
    QCOMPARE(tiny.text.vocabSize, int64_t(300));
    QCOMPARE(tiny.text.dModel, int64_t(64));
    QCOMPARE(tiny.text.encoderLayers, int64_t(2));
    QCOMPARE(tiny.text.decoderFfnDim, int64_t(128));
    QCOMPARE(tiny.text.maxPositionEmbeddings, int64_t(64));
    QCOMPARE(tiny.text.attentionDropout, 0.1);
    QCOMPARE(tiny.text.decoderStartTokenId, int64_t(2));
    // generation settings the original's generate() takes from text_config
    QCOMPARE(tiny.text.generation.numBeams, int64_t(3));
    QCOMPARE(tiny.text.generation.noRepeatNgramSize, int64_t(3));
    QVERIFY(tiny.text.generation.earlyStopping);
    QVERIFY(tiny.text.generation.forcedBosTokenId == std::optional<int64_t>(0));
    QVERIFY(tiny.text.generation.forcedEosTokenId == std::optional<int64_t>(2));
    QCOMPARE(tiny.text.generation.maxLength, int64_t(20));
    QCOMPARE(tiny.torchDtype, std::string("float32"));

    // Florence-2-large: text_config has no model_type; the Dec-2024 update has 4096 positions
    const std::string largeText
        = readText(fmwtest::engineSharedPath("fixtures/florence2-large-config/config.json"));
    QVERIFY(!json::parse(largeText).at("text_config").contains("model_type"));
    const Florence2Config large = parseOrFail(largeText, "large config.json");
    QVERIFY(large.format == ConfigFormat::RemoteCode);
    QVERIFY(large.vision.dimEmbed == (std::vector<int64_t> {256, 512, 1024, 2048}));
    QCOMPARE(large.text.dModel, int64_t(1024));
    QCOMPARE(large.text.maxPositionEmbeddings, int64_t(4096));
    QCOMPARE(large.text.vocabSize, int64_t(51289));
    QCOMPARE(large.torchDtype, std::string("float16"));

    // Fields the remote code leaves to Florence2LanguageConfig's defaults
    json minimal = json::parse(largeText);
    minimal["text_config"] = json::object();
    const Florence2Config defaults = parseOrFail(minimal.dump(), "minimal text_config");
    QCOMPARE(defaults.text.vocabSize, int64_t(51289));
    QCOMPARE(defaults.text.encoderLayers, int64_t(12));
    QCOMPARE(defaults.text.attentionDropout, 0.0);
    QVERIFY(!defaults.text.generation.forcedBosTokenId.has_value());
    QVERIFY(defaults.text.generation.forcedEosTokenId == std::optional<int64_t>(2));
}

void TestFlorence2Config::parsesNativeConfig()
{
    // transformers' Florence2Config (florence-community/Florence-2-base style)
    const json native = {
        {"model_type", "florence2"},
        {"architectures", {"Florence2ForConditionalGeneration"}},
        {"image_token_id", 51289},
        {"vision_config",
            {{"model_type", "florence_vision"}, {"embed_dim", {128, 256, 512, 1024}},
                {"num_heads", {4, 8, 16, 32}}, {"num_groups", {4, 8, 16, 32}}, {"depths", {1, 1, 9, 1}},
                {"projection_dim", 768}, {"max_position_embeddings", 50}, {"max_temporal_embeddings", 100}}},
        {"text_config",
            {{"model_type", "bart"}, {"vocab_size", 51328}, {"d_model", 768}, {"encoder_layers", 6},
                {"decoder_layers", 6}, {"encoder_attention_heads", 12}, {"decoder_attention_heads", 12},
                {"encoder_ffn_dim", 3072}, {"decoder_ffn_dim", 3072}}},
    };
    const Florence2Config c = parseOrFail(native.dump(), "native config");
    QVERIFY(c.format == ConfigFormat::Native);
    QCOMPARE(std::string(configFormatName(c.format)), std::string("transformers-native"));
    QVERIFY(c.imageTokenId == std::optional<int64_t>(51289));
    QVERIFY(c.vision.dimEmbed == (std::vector<int64_t> {128, 256, 512, 1024}));
    QCOMPARE(c.vision.projectionDim, int64_t(768));
    QCOMPARE(c.vision.windowSize, int64_t(12)); // native default
    QVERIFY(c.vision.patchPrenorm == (std::vector<bool> {false, true, true, true}));
    QCOMPARE(c.text.vocabSize, int64_t(51328));
    QCOMPARE(c.text.dModel, int64_t(768));
    QCOMPARE(c.text.maxPositionEmbeddings, int64_t(1024)); // BartConfig default

    // vision defaults are Florence-2-base's; BART's vocabulary when text_config omits it
    json bare = {{"model_type", "florence2"}, {"vision_config", {{"projection_dim", 1024}}},
        {"text_config", {{"model_type", "bart"}}}};
    const Florence2Config d = parseOrFail(bare.dump(), "bare native config");
    QVERIFY(d.format == ConfigFormat::Native);
    QVERIFY(d.vision.dimEmbed == (std::vector<int64_t> {128, 256, 512, 1024}));
    QVERIFY(d.vision.numGroups == (std::vector<int64_t> {4, 8, 16, 32}));
    QCOMPARE(d.text.vocabSize, int64_t(50265));
    QCOMPARE(d.text.dModel, int64_t(1024));
}

void TestFlorence2Config::duplicateKeysTakeLastValue()
{
    // Florence-2-base repeats torch_dtype; Python's json keeps the last value, and so do we,
    // also for an architecture field (a repeated d_model would otherwise build another model).
    const Florence2Config base = parseOrFail(kBaseConfig, "base config");
    QCOMPARE(base.torchDtype, std::string("float16"));
    QCOMPARE(base.text.dModel, int64_t(768));

    std::string text = readText(fmwtest::engineSharedPath("fixtures/florence2-tiny/config.json"));
    const std::string anchor = "\"d_model\": 64,";
    const size_t at = text.find(anchor);
    QVERIFY(at != std::string::npos);
    text.replace(at, anchor.size(), "\"d_model\": 32, \"d_model\": 64, \"window_size\": 1,");
    const Florence2Config tiny = parseOrFail(text, "duplicated d_model");
    QCOMPARE(tiny.text.dModel, int64_t(64));
}

void TestFlorence2Config::rejectsInvalidConfigs()
{
    const json tiny = json::parse(readText(fmwtest::engineSharedPath("fixtures/florence2-tiny/config.json")));
    // Each case replaces (or, with a null value, removes) one field of the tiny config.
    struct Case {
        const char *name;
        const char *pointer; // JSON pointer of the field
        json value;
        const char *expected; // in the error message
    };
    const std::vector<Case> cases = {
        {"missing dim_embed", "/vision_config/dim_embed", nullptr, "vision_config.dim_embed is missing"},
        {"stage list lengths", "/vision_config/depths", {1, 1, 2}, "depths has 3 entries"},
        {"heads do not divide", "/vision_config/num_heads", {2, 5, 4, 6}, "not divisible by num_heads 5"},
        {"groups do not divide", "/vision_config/num_groups", {2, 3, 7, 6}, "num_groups 7"},
        {"zero stages", "/vision_config/dim_embed", json::array(), "at least one stage"},
        {"text heads do not divide", "/text_config/encoder_attention_heads", 5, "encoder_attention_heads 5"},
        {"unknown activation", "/text_config/activation_function", "mish", "'mish' is not supported"},
        {"pad outside vocabulary", "/text_config/pad_token_id", 300, "pad_token_id 300 is outside"},
        {"string for an integer", "/text_config/d_model", "64", "text_config.d_model must be an integer"},
        {"fractional integer", "/vision_config/window_size", 4.5, "window_size must be an integer"},
        {"ints for booleans", "/vision_config/patch_prenorm", {0, 1, 1, 1},
            "patch_prenorm must be a list of true/false"},
        {"other model_type", "/model_type", "bart", "not a Florence-2 config"},
        {"unknown position embedding", "/vision_config/image_pos_embed/type", "sine",
            "only 'learned_abs_2d'"},
        {"unknown temporal embedding", "/vision_config/visual_temporal_embedding/type", "LEARNED",
            "only 'COSINE'"},
        {"unknown feature source", "/vision_config/image_feature_source", {"cls_token"},
            "unknown image_feature_source 'cls_token'"},
        {"projection width", "/vision_config/projection_dim", 32, "differs from text_config.d_model"},
        {"missing text_config", "/text_config", nullptr, "text_config is missing"},
        {"vision_config not an object", "/vision_config", 3, "vision_config must be an object"},
    };
    for (const Case &c : cases) {
        json j = tiny;
        const json::json_pointer pointer(c.pointer);
        if (c.value.is_null())
            j.at(pointer.parent_pointer()).erase(pointer.back());
        else
            j[pointer] = c.value;
        const auto result = parseFlorence2Config(j.dump(), "bad/config.json");
        QVERIFY2(!result.ok(), c.name);
        const std::string message = result.error().toString();
        QVERIFY2(
            message.find(c.expected) != std::string::npos, (std::string(c.name) + ": " + message).c_str());
        QVERIFY2(message.rfind("bad/config.json: ", 0) == 0, (std::string(c.name) + ": " + message).c_str());
    }

    const auto notJson = parseFlorence2Config("{\"model_type\": \"florence2\",", "truncated.json");
    QVERIFY(!notJson.ok());
    QVERIFY(notJson.error().message.find("not valid JSON") != std::string::npos);
    const auto notObject = parseFlorence2Config("[1, 2]", "array.json");
    QVERIFY(!notObject.ok());
    QVERIFY(notObject.error().message.find("JSON object") != std::string::npos);
}

void TestFlorence2Config::loadsFromFolderOrFile()
{
    const std::string folder = fmwtest::engineSharedPath("fixtures/florence2-tiny");
    const auto fromFolder = loadFlorence2Config(folder);
    QVERIFY2(fromFolder.ok(), fromFolder.ok() ? "" : fromFolder.error().toString().c_str());
    const auto fromFile = loadFlorence2Config(folder + "/config.json");
    QVERIFY(fromFile.ok());
    QCOMPARE(fromFolder->text.dModel, fromFile->text.dModel);
    QVERIFY(fromFile->vision.depths == fromFolder->vision.depths);

    const auto missing = loadFlorence2Config(folder + "/no-such-folder");
    QVERIFY(!missing.ok());
    QVERIFY(missing.error().code == fmw::ErrorCode::Io);
    QVERIFY(missing.error().path.find("no-such-folder") != std::string::npos);
}

void TestFlorence2Config::largeParameterCount()
{
    fmw::engine::configureThreads();
    // The Dec-2024 Florence-2-large config (4096 positions): florence2-reference.md [P]
    Florence2Config large = parseOrFail(
        readText(fmwtest::engineSharedPath("fixtures/florence2-large-config/config.json")), "large");
    const Counts c4096 = countParameters(large);
    QVERIFY2(c4096.total == 776465408, describe(c4096).c_str());
    QVERIFY2(c4096.vision == 360632320 && c4096.language == 413631488 && c4096.projector == 2201600,
        describe(c4096).c_str());
    QVERIFY2(c4096.stateDictKeys == 921, describe(c4096).c_str());

    // The first release's 1024 positions give the 770,173,952 of florence2-reference.md. Only
    // the language model's position tables change, so only it is built again.
    large.text.maxPositionEmbeddings = 1024;
    int64_t language1024 = 0;
    size_t languageKeys = 0;
    {
        torch::NoGradGuard noGrad;
        LanguageForConditionalGeneration language(large.text);
        for (const at::Tensor &p : language->parameters())
            language1024 += p.numel();
        languageKeys = language->named_parameters().size() + language->named_buffers().size();
    }
    QCOMPARE(language1024, int64_t(407340032));
    QCOMPARE(c4096.vision + language1024 + c4096.projector, int64_t(770173952));
    QCOMPARE(languageKeys + 3, size_t(921 - 406)); // vision 400 + projector 6 keys, tied aliases 3
}

void TestFlorence2Config::baseParameterCount()
{
    const Counts c = countParameters(parseOrFail(kBaseConfig, "base config"));
    QVERIFY2(c.total == 231414016, describe(c).c_str());
    QVERIFY2(c.vision == 90368000 && c.language == 140206848 && c.projector == 839168, describe(c).c_str());
    QVERIFY2(c.stateDictKeys == 669, describe(c).c_str());
}

void TestFlorence2Config::largeCheckpointRoundTrip()
{
    // Florence-2-large (1024 positions) with random weights, as its real fp16 checkpoint holds
    // it: written as pytorch_model.bin and as model.safetensors, read back through the
    // checkpoint loader (names, shapes, values) and loaded into a model.
    fmw::engine::configureThreads();
    Florence2Config large = parseOrFail(
        readText(fmwtest::engineSharedPath("fixtures/florence2-large-config/config.json")), "large");
    large.text.maxPositionEmbeddings = 1024;
    torch::NoGradGuard noGrad;
    Florence2ForConditionalGeneration model(large);
    QCOMPARE(model->numParameters(), int64_t(770173952));
    const auto expected = model->stateDictShapes();
    QCOMPARE(expected.size(), size_t(921));

    // the state dict in fp16, the tied embedding one tensor under its four names
    fmw::weights::TensorMap state;
    for (const auto &p : model->named_parameters())
        state[p.key()] = p.value().to(at::kHalf);
    for (const auto &b : model->named_buffers())
        state[b.key()] = b.value().to(at::kHalf);
    for (const auto &[alias, name] : Florence2ForConditionalGenerationImpl::tiedAliases())
        state[alias] = state.at(name);
    QCOMPARE(state.size(), size_t(921));

    char dirTemplate[] = "/tmp/fmw-large-XXXXXX";
    QVERIFY(::mkdtemp(dirTemplate));
    const std::string dir = dirTemplate;
    struct Cleanup {
        std::string dir;
        ~Cleanup()
        {
            for (const char *f : {"/pytorch_model.bin", "/model.safetensors"})
                std::remove((dir + f).c_str());
            ::rmdir(dir.c_str());
        }
    } cleanup {dir};
    for (const std::string file : {"/pytorch_model.bin", "/model.safetensors"}) {
        const std::string path = dir + file;
        const fmw::Status written = file == "/pytorch_model.bin" ? fmw::weights::writePytorchBin(path, state)
                                                                  : fmw::weights::writeSafetensors(path, state);
        QVERIFY2(written.ok(), written.ok() ? "" : written.error().toString().c_str());
        struct stat st { };
        QVERIFY(::stat(path.c_str(), &st) == 0);
        // 2 bytes per unique parameter and buffer (the tie stored once), plus the container
        const int64_t payload = 2 * (770173952 + 51289 + 100 * 2048);
        std::printf("%s: %lld bytes (payload %lld)\n", file.c_str() + 1, static_cast<long long>(st.st_size),
            static_cast<long long>(payload));
        if (file == "/pytorch_model.bin")
            QVERIFY(st.st_size >= payload && st.st_size < payload + 4'000'000);

        fmw::weights::LoadOptions options;
        options.expected = &expected;
        auto loaded = fmw::weights::loadCheckpoint(path, options);
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        QCOMPARE(loaded->tensors.size(), size_t(921));
        for (const auto &[name, t] : state) {
            const auto it = loaded->tensors.find(name);
            QVERIFY2(it != loaded->tensors.end(), name.c_str());
            QVERIFY2(it->second.scalar_type() == at::kHalf && at::equal(it->second, t), name.c_str());
        }
        const fmw::Status into = model->loadStateDict(loaded->tensors);
        QVERIFY2(into.ok(), into.ok() ? "" : into.error().toString().c_str());
    }
    QVERIFY(at::equal(model->language_model->model->shared->weight.to(at::kHalf),
        state.at("language_model.lm_head.weight")));
}

FMW_TEST_MAIN(TestFlorence2Config, parsesRemoteCodeConfigs, parsesNativeConfig, duplicateKeysTakeLastValue,
    rejectsInvalidConfigs, loadsFromFolderOrFile, largeParameterCount, baseParameterCount, largeCheckpointRoundTrip)
#ifdef FMW_HAVE_QTTEST
#include "tst_florence2_config.moc"
#endif
