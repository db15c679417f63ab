// LoRA adapters with PEFT's semantics on the tiny fixture: target matching (exact name or
// dotted suffix, unknown targets listed with the real names), a fresh adapter (B = 0)
// changes no output bit, the update is scaling * B A x (alpha / r, or alpha / sqrt(r) with
// rsLoRA), merged and unmerged outputs agree, unmerging restores the weights, dropout acts on
// the adapter's input in training only, and gradients reach B (and not A while B = 0).
#include "engine/engine_test.h"

#include "engine/model/tiny_fixture.h"
#include "engine/training/adapter_files.h"
#include "engine/training/lora.h"
#include "engine/weights/safetensors.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace tiny;
using namespace fmw::training;

namespace {

int64_t countEndingWith(const std::vector<std::string> &paths, const std::string &suffix)
{
    int64_t n = 0;
    for (const std::string &p : paths)
        n += matchesTarget(p, suffix) ? 1 : 0;
    return n;
}

// Random B for every adapter, so that merging has something to fold.
void randomiseB(torch::nn::Module &model, double scale)
{
    torch::NoGradGuard noGrad;
    for (auto &entry : loraLayers(model))
        entry.second->lora_B->weight.copy_(at::randn_like(entry.second->lora_B->weight) * scale);
}

} // namespace

class TestLora : public QObject {
    Q_OBJECT

private slots:
    void targetsMatchLikePeft()
    {
        QVERIFY(matchesTarget("q_proj", "q_proj"));
        QVERIFY(matchesTarget("language_model.model.decoder.layers.0.self_attn.q_proj", "q_proj"));
        QVERIFY(matchesTarget("language_model.model.decoder.layers.0.self_attn.q_proj", "self_attn.q_proj"));
        QVERIFY(
            !matchesTarget("language_model.model.decoder.layers.0.encoder_attn.q_proj", "self_attn.q_proj"));
        QVERIFY(!matchesTarget("a.xq_proj", "q_proj"));
        QVERIFY(!matchesTarget("a.q_proj.b", "q_proj"));
        QVERIFY(!matchesTarget("a.q_proj", ""));

        Florence2ForConditionalGeneration model = loadTinyModel();
        const TextConfig &t = model->config().text;
        const std::vector<std::string> linears = linearLayerPaths(*model);
        // BART: q/k/v/out_proj in every encoder self-attention and decoder self- and cross-attention
        const int64_t attentions = t.encoderLayers + 2 * t.decoderLayers;
        QCOMPARE(countEndingWith(linears, "out_proj"), attentions);
        LoraConfig config;
        config.targetModules = {"q_proj", "v_proj", "decoder.layers.0.fc1"};
        const auto adapted = applyLora(*model, config);
        QVERIFY2(adapted.ok(), adapted.ok() ? "" : adapted.error().toString().c_str());
        QCOMPARE(static_cast<int64_t>(adapted->size()), 2 * attentions + 1);
        QCOMPARE(static_cast<int64_t>(loraLayers(*model).size()), 2 * attentions + 1);
        // PEFT's key names under the layer
        const auto params = model->named_parameters();
        QVERIFY(params.contains("language_model.model.decoder.layers.0.self_attn.q_proj.lora_A.weight"));
        QVERIFY(params.contains("language_model.model.decoder.layers.0.fc1.lora_B.weight"));
        QVERIFY(!params.contains("language_model.model.decoder.layers.0.self_attn.k_proj.lora_A.weight"));
        QCOMPARE(params["language_model.model.decoder.layers.0.self_attn.q_proj.lora_A.weight"].size(0),
            int64_t(8));

        // the original train.py's o_proj names nothing: an error naming the real layers, and no change
        Florence2ForConditionalGeneration fresh = loadTinyModel();
        config.targetModules = {"q_proj", "o_proj"};
        const auto wrong = applyLora(*fresh, config);
        QVERIFY(!wrong.ok());
        const std::string message = wrong.error().message;
        QVERIFY2(message.find("'o_proj'") != std::string::npos, message.c_str());
        QVERIFY2(message.find("out_proj") != std::string::npos, message.c_str());
        QVERIFY2(message.find("qkv") != std::string::npos, message.c_str());
        QVERIFY(loraLayers(*fresh).empty());
        config.targetModules = {};
        QVERIFY(!applyLora(*fresh, config).ok());
        config.targetModules = {"q_proj"};
        config.settings.r = 0;
        QVERIFY(!applyLora(*fresh, config).ok());
        QVERIFY(loraLayers(*fresh).empty());
    }

    void freshAdapterChangesNothing()
    {
        // B = 0: every output bit as without adapters (PEFT's init_lora_weights=True)
        Florence2ForConditionalGeneration model = loadTinyModel();
        torch::NoGradGuard noGrad;
        const ForwardOutput base = model->forward(goldenInputs());
        LoraConfig config;
        config.targetModules = {"q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2", "qkv", "proj"};
        QVERIFY(applyLora(*model, config).ok());
        for (auto &entry : loraLayers(*model)) {
            QVERIFY(entry.second->lora_B->weight.eq(0).all().item<bool>());
            QVERIFY(entry.second->lora_A->weight.abs().max().item<double>() > 0.0);
        }
        const ForwardOutput adapted = model->forward(goldenInputs());
        QVERIFY(at::equal(adapted.logits, base.logits));
        QCOMPARE(adapted.loss.item<double>(), base.loss.item<double>());
    }

    void updateIsScaledBA()
    {
        torch::manual_seed(3);
        for (const bool rslora : {false, true}) {
            LoraLinear layer(LoraLinearOptions(24, 10));
            LoraSettings s;
            s.r = 4;
            s.alpha = 16.0;
            s.rslora = rslora;
            layer->attachLora(s);
            QCOMPARE(layer->loraScaling(), rslora ? 16.0 / 2.0 : 16.0 / 4.0);
            {
                torch::NoGradGuard noGrad;
                layer->lora_B->weight.normal_();
            }
            const at::Tensor x = at::randn({5, 24});
            const at::Tensor expected
                = at::linear(x.to(at::kDouble), layer->weight.to(at::kDouble), layer->bias.to(at::kDouble))
                + at::matmul(at::matmul(x.to(at::kDouble), layer->lora_A->weight.to(at::kDouble).t()),
                      layer->lora_B->weight.to(at::kDouble).t())
                    * layer->loraScaling();
            const at::Tensor got = layer->forward(x);
            QVERIFY(
                ((got.to(at::kDouble) - expected).abs().max() / expected.abs().max()).item<double>() < 1e-6);
        }
    }

    void mergedMatchesUnmerged()
    {
        Florence2ForConditionalGeneration model = loadTinyModel();
        torch::NoGradGuard noGrad;
        LoraConfig config;
        config.targetModules = {"q_proj", "k_proj", "v_proj", "out_proj", "fc1", "qkv"};
        config.settings.r = 4;
        config.settings.alpha = 8.0;
        QVERIFY(applyLora(*model, config).ok());
        randomiseB(*model, 0.05);
        std::map<std::string, at::Tensor> before;
        for (auto &entry : loraLayers(*model))
            before[entry.first] = entry.second->weight.clone();

        const at::Tensor unmerged = model->forward(goldenInputs()).logits;
        const at::Tensor base = [&] {
            Florence2ForConditionalGeneration plain = loadTinyModel();
            return plain->forward(goldenInputs()).logits;
        }();
        QVERIFY2(
            (unmerged - base).abs().max().item<double>() > 1e-3, "the random B should change the logits");

        mergeLora(*model);
        for (auto &entry : loraLayers(*model))
            QVERIFY(entry.second->merged() && !entry.second->loraActive());
        const at::Tensor merged = model->forward(goldenInputs()).logits;
        const double scale = unmerged.abs().max().item<double>();
        const double error = (merged - unmerged).abs().max().item<double>();
        QVERIFY2(error <= 1e-5 * scale, (std::to_string(error) + " vs max " + std::to_string(scale)).c_str());

        mergeLora(*model); // a second merge is a no-op
        unmergeLora(*model);
        for (auto &entry : loraLayers(*model)) {
            const at::Tensor &w = before[entry.first];
            QVERIFY((entry.second->weight - w).abs().max().item<double>()
                <= 1e-6 * (w.abs().max().item<double>() + 1));
        }
        const at::Tensor again = model->forward(goldenInputs()).logits;
        QVERIFY((again - unmerged).abs().max().item<double>() <= 1e-5 * scale);
    }

    void dropoutOnlyInTrainingAndGradientsReachTheAdapter()
    {
        Florence2ForConditionalGeneration model = loadTinyModel();
        LoraConfig config;
        config.targetModules = {"q_proj", "v_proj"};
        config.settings.dropout = 0.5;
        QVERIFY(applyLora(*model, config).ok());
        randomiseB(*model, 0.05);
        // eval: the adapter's dropout is off, two passes agree
        {
            torch::NoGradGuard noGrad;
            const at::Tensor a = model->forward(goldenInputs()).logits;
            const at::Tensor b = model->forward(goldenInputs()).logits;
            QVERIFY(at::equal(a, b));
        }
        // a gradient for every adapter; with B = 0, A gets none (dL/dA = B^T ...)
        Florence2ForConditionalGeneration fresh = loadTinyModel();
        config.settings.dropout = 0.0;
        QVERIFY(applyLora(*fresh, config).ok());
        fresh->train();
        fresh->forward(goldenInputs()).loss.backward();
        for (auto &entry : loraLayers(*fresh)) {
            QVERIFY(entry.second->lora_B->weight.grad().defined());
            QVERIFY(entry.second->lora_B->weight.grad().abs().max().item<double>() > 0.0);
            QVERIFY(entry.second->lora_A->weight.grad().abs().max().item<double>() == 0.0);
        }
        // training: dropout on the adapter's input makes passes differ (the base path has none here)
        Florence2ForConditionalGeneration dropped = loadTinyModel();
        config.settings.dropout = 0.5;
        QVERIFY(applyLora(*dropped, config).ok());
        randomiseB(*dropped, 0.05);
        torch::NoGradGuard noGrad;
        dropped->eval();
        for (auto &entry : loraLayers(*dropped))
            entry.second->train();
        const at::Tensor first = dropped->forward(goldenInputs()).logits;
        const at::Tensor second = dropped->forward(goldenInputs()).logits;
        QVERIFY(!at::equal(first, second));
    }
    void adapterFilesRoundTrip()
    {
        Florence2ForConditionalGeneration model = loadTinyModel();
        LoraConfig config;
        config.targetModules = {"q_proj", "v_proj", "fc1"};
        config.settings.r = 4;
        config.settings.alpha = 16.0;
        QVERIFY(applyLora(*model, config).ok());
        randomiseB(*model, 0.05);
        // plain std::filesystem: the engine-only build has no Qt
        const std::filesystem::path root
            = std::filesystem::temp_directory_path() / ("fmw_tst_lora_" + std::to_string(::getpid()));
        std::filesystem::remove_all(root);
        const std::string path = (root / "adapter").string();
        const fmw::Status saved = saveAdapter(*model, config, path, "microsoft/Florence-2-base-ft");
        QVERIFY2(saved.ok(), saved.ok() ? "" : saved.error().toString().c_str());

        // PEFT's key names and config fields
        const auto file = fmw::weights::readSafetensors(path + "/adapter_model.safetensors");
        QVERIFY(file.ok());
        QCOMPARE(file->tensors.size(), 2 * loraLayers(*model).size());
        QVERIFY(file->tensors.count(
            "base_model.model.language_model.model.decoder.layers.0.self_attn.q_proj.lora_A.weight"));
        std::ifstream configFile(path + "/adapter_config.json");
        const std::string text(
            (std::istreambuf_iterator<char>(configFile)), std::istreambuf_iterator<char>());
        QVERIFY(text.find("\"peft_type\": \"LORA\"") != std::string::npos);
        QVERIFY(text.find("\"lora_alpha\": 16.0") != std::string::npos);

        // a fresh model with the adapter loaded gives the same logits
        Florence2ForConditionalGeneration fresh = loadTinyModel();
        const auto loaded = loadAdapter(*fresh, path);
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        QCOMPARE(loaded->settings.r, int64_t(4));
        torch::NoGradGuard noGrad;
        QVERIFY(at::equal(fresh->forward(goldenInputs()).logits, model->forward(goldenInputs()).logits));

        // a file for another shape of model: an error naming the file, and the model untouched
        fmw::weights::TensorMap tensors = file->tensors;
        const std::string key = "base_model.model.language_model.model.decoder.layers.0.fc1.lora_A.weight";
        tensors[key] = at::zeros({4, 3});
        QVERIFY(fmw::weights::writeSafetensors(path + "/adapter_model.safetensors", tensors).ok());
        Florence2ForConditionalGeneration other = loadTinyModel();
        const auto wrong = loadAdapter(*other, path);
        QVERIFY(!wrong.ok());
        QVERIFY2(wrong.error().message.find(key) != std::string::npos, wrong.error().toString().c_str());
        QVERIFY(wrong.error().path.find("adapter_model.safetensors") != std::string::npos);
        QVERIFY(loraLayers(*other).empty());
        QVERIFY(!loadAdapter(*other, (root / "missing").string()).ok());
        std::filesystem::remove_all(root);
    }
};

FMW_TEST_MAIN(TestLora, targetsMatchLikePeft, freshAdapterChangesNothing, updateIsScaledBA,
    mergedMatchesUnmerged, dropoutOnlyInTrainingAndGradientsReachTheAdapter, adapterFilesRoundTrip)
#ifdef FMW_HAVE_QTTEST
#include "tst_lora.moc"
#endif
