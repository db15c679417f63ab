// Florence-2 against the unmodified reference on the tiny fixture (fixtures/florence2-tiny):
// every intermediate tensor, the loss, gradients, one SGD step, the prompt-mask variant,
// batch invariance, the decoder KV cache and greedy decoding. Float32 on the CPU, or on the
// device FMW_TEST_DEVICE names (e.g. "cuda", with TF32 off).
#include "engine/engine_test.h"

#include "engine/engine_fixtures.h"
#include "engine/model/florence2/generation.h"
#include "tiny_fixture.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/florence2_for_conditional_generation.h"
#include "engine/model/florence2/functional.h"
#include "engine/runtime.h"
#include "engine/weights/safetensors.h"

#include <ATen/Context.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <vector>

using namespace fmw::florence2;
using TensorMap = std::map<std::string, at::Tensor>;

using namespace tiny;

class TestFlorence2Parity : public QObject {
    Q_OBJECT
private slots:
    void stateDictMatchesCheckpoint();
    void forwardMatchesGolden();
    void promptMaskMatchesGolden();
    void gradientsAndSgdStepMatchGolden();
    void singleSampleMatchesBatch();
    void cachedDecodingMatchesTeacherForcing();
    void greedyDecodingMatchesGolden();
    void dropoutOnlyInTraining();
    void bf16StaysCloseToFp32();
    void keyValueBufferGrowsAndReorders();
    void linearForFewRowsMatchesReference();
};

void TestFlorence2Parity::stateDictMatchesCheckpoint()
{
    Florence2ForConditionalGeneration fresh(tinyConfig());
    // the cosine table is built, not learned: a fresh model computes the stored values
    QVERIFY(at::allclose(fresh->visual_temporal_embed->pos_idx_to_embed,
        checkpoint().at("visual_temporal_embed.pos_idx_to_embed"), 0.0, 1e-6));

    // every checkpoint name, with its shape: parameters, buffers and the tied aliases
    const auto shapes = fresh->stateDictShapes();
    QCOMPARE(shapes.size(), checkpoint().size());
    for (const auto &[name, t] : checkpoint()) {
        const auto it = shapes.find(name);
        QVERIFY2(it != shapes.end(), ("model lacks " + name).c_str());
        QVERIFY2(it->second == t.sizes().vec(), ("shape of " + name).c_str());
    }
    // one Parameter for the four embedding names
    QCOMPARE(fresh->named_parameters().size() + fresh->named_buffers().size() + 3, checkpoint().size());
    QVERIFY(!fresh->named_parameters().contains("language_model.lm_head.weight"));

    const Florence2ForConditionalGeneration model = loadTinyModel();
    const at::Tensor shared = model->named_parameters()["language_model.model.shared.weight"];
    for (const auto &[alias, name] : Florence2ForConditionalGenerationImpl::tiedAliases()) {
        QCOMPARE(name, std::string("language_model.model.shared.weight"));
        QVERIFY2(at::equal(shared.cpu(), checkpoint().at(alias)), alias.c_str());
    }
    for (const auto &p : model->named_parameters())
        QVERIFY2(at::equal(p.value().cpu(), checkpoint().at(p.key())), p.key().c_str());

    // real checkpoints may carry only some of the tied names
    TensorMap onlyLmHead = checkpoint();
    onlyLmHead.erase("language_model.model.shared.weight");
    onlyLmHead.erase("language_model.model.encoder.embed_tokens.weight");
    onlyLmHead.erase("language_model.model.decoder.embed_tokens.weight");
    Florence2ForConditionalGeneration partial(tinyConfig());
    QVERIFY(partial->loadStateDict(onlyLmHead).ok());
    QVERIFY(at::equal(partial->language_model->model->shared->weight, shared.cpu()));

    // missing, unexpected and mis-shaped names are all reported
    TensorMap bad = checkpoint();
    bad.erase("vision_tower.convs.2.proj.bias");
    bad["vision_tower.head.weight"] = at::zeros({3});
    bad["image_projection"] = at::zeros({64, 96});
    const fmw::Status status = partial->loadStateDict(bad);
    QVERIFY(!status.ok());
    const std::string message = status.error().message;
    QVERIFY2(message.find("missing vision_tower.convs.2.proj.bias") != std::string::npos, message.c_str());
    QVERIFY2(message.find("unexpected vision_tower.head.weight") != std::string::npos, message.c_str());
    QVERIFY2(
        message.find("image_projection [64, 96] (model [96, 64])") != std::string::npos, message.c_str());
}

void TestFlorence2Parity::forwardMatchesGolden()
{
    const std::vector<std::string> names = forwardTensorNames();
    QVERIFY(names.size() >= 20);
    // labels -> decoder inputs as the reference builds them
    QVERIFY(at::equal(
        Florence2ForConditionalGenerationImpl::shiftTokensRight(g("labels"), 1, 2), g("decoder_input_ids")));

    for (const AttentionBackend backend : backends()) {
        setAttentionBackend(backend);
        std::printf("attention backend: %s\n", backendName(backend));
        Florence2ForConditionalGeneration model = loadTinyModel();
        TensorMap captured;
        model->setCallback(
            [&](const std::string &name, const at::Tensor &t) { captured[name] = t.detach().clone(); });
        torch::NoGradGuard noGrad;
        ForwardInputs in = goldenInputs();
        in.decoderInputIds = at::Tensor(); // built from the labels
        const ForwardOutput out = model->forward(in);

        std::vector<std::string> failures;
        for (const std::string &name : names) {
            const auto it = captured.find(name);
            const std::string f = compare(
                name, it == captured.end() ? at::Tensor() : it->second, g(name), kActivationTolerance);
            if (!f.empty())
                failures.push_back(f);
        }
        for (const std::string &f :
            {compare("logits (returned)", out.logits, g("logits"), kActivationTolerance),
                compare("encoder_last_hidden_state (returned)", out.encoderLastHiddenState,
                    g("encoder_last_hidden_state"), kActivationTolerance),
                compare("image_features (returned)", out.imageFeatures, g("image_features"),
                    kActivationTolerance),
                compareLoss("loss", out.loss, g("loss"))}) {
            if (!f.empty())
                failures.push_back(f);
        }
        std::string all;
        for (const std::string &f : failures)
            all += f + "; ";
        QVERIFY2(failures.empty(), (std::string(backendName(backend)) + ": " + all).c_str());
        QVERIFY(out.logits.scalar_type() == at::kFloat);
    }
    setAttentionBackend(backends().back());
}

void TestFlorence2Parity::promptMaskMatchesGolden()
{
    Florence2ForConditionalGeneration model = loadTinyModel();
    torch::NoGradGuard noGrad;
    ForwardInputs in = goldenInputs();
    in.attentionMask = g("attention_mask");
    QVERIFY(in.attentionMask.eq(0).any().item<bool>()); // the fixture has a padded prompt

    // ignored by default, as in the original
    const ForwardOutput ignored = model->forward(in);
    std::string f = compare("encoder_last_hidden_state (mask ignored)", ignored.encoderLastHiddenState,
        g("encoder_last_hidden_state"), kActivationTolerance);
    QVERIFY2(f.empty(), f.c_str());

    // applied: [ones(image), prompt mask] in the encoder and cross-attention, plus the decoder mask
    model->setApplyPromptMask(true);
    in.decoderAttentionMask = g("decoder_attention_mask");
    const ForwardOutput masked = model->forward(in);
    f = compare("encoder_last_hidden_state_padmask", masked.encoderLastHiddenState,
        g("encoder_last_hidden_state_padmask"), kActivationTolerance);
    QVERIFY2(f.empty(), f.c_str());
    f = compare("logits_padmask", masked.logits, g("logits_padmask"), kActivationTolerance);
    QVERIFY2(f.empty(), f.c_str());
    f = compareLoss("loss_padmask", masked.loss, g("loss_padmask"));
    QVERIFY2(f.empty(), f.c_str());
}

void TestFlorence2Parity::gradientsAndSgdStepMatchGolden()
{
    Florence2ForConditionalGeneration model = loadTinyModel(); // eval: no dropout
    model->zero_grad();
    const ForwardOutput out = model->forward(goldenInputs());
    out.loss.backward();

    auto params = model->named_parameters();
    std::vector<std::string> failures;
    int checked = 0;
    for (const auto &[name, expected] : golden()) {
        if (!startsWith(name, "grad."))
            continue;
        std::string param = name.substr(5);
        for (const auto &[alias, target] : Florence2ForConditionalGenerationImpl::tiedAliases()) {
            if (param == alias)
                param = target; // the tied Parameter collects lm_head's and the lookups' gradients
        }
        QVERIFY2(params.contains(param), ("no parameter " + param).c_str());
        const std::string f = compare(name, params[param].grad(), expected, kGradientTolerance);
        if (!f.empty())
            failures.push_back(f);
        ++checked;
    }
    QCOMPARE(checked, 12);
    std::string all;
    for (const std::string &f : failures)
        all += f + "; ";
    QVERIFY2(failures.empty(), all.c_str());

    // <pad> (padding_idx 1) gets no gradient from the lookups: its row of the tied embedding
    // is exactly what lm_head alone contributes, i.e. d loss / d logits[..., 1] summed with h
    {
        Florence2ForConditionalGeneration probe = loadTinyModel();
        probe->zero_grad();
        // the encoder with autograd on, as above: without it the vision kernels take over, whose
        // roundings differ in the last bits
        const EncoderOutput enc = probe->encode(g("pixel_values"), g("input_ids"));
        const at::Tensor decoderIds = g("decoder_input_ids").to(testDevice());
        const at::Tensor hidden
            = probe->language_model->model->decoder(decoderIds, enc.lastHiddenState.detach()).detach();
        const at::Tensor logits = probe->language_model->lmHead(hidden);
        probe->loss(logits, g("labels")).backward();
        const at::Tensor padRow = probe->language_model->model->shared->weight.grad()[1];
        const at::Tensor fullPadRow = params["language_model.model.shared.weight"].grad()[1];
        const std::string f = compare("grad of the <pad> row (lm_head only)", fullPadRow, padRow, 1e-6);
        QVERIFY2(f.empty(), f.c_str());
    }

    // one SGD step on every parameter (the tied one once), then the loss again
    {
        torch::NoGradGuard noGrad;
        for (at::Tensor &p : model->parameters()) {
            QVERIFY(p.grad().defined());
            p.sub_(0.01 * p.grad());
        }
        const ForwardOutput after = model->forward(goldenInputs());
        const std::string f = compareLoss("loss_after_sgd_step", after.loss, g("loss_after_sgd_step"));
        QVERIFY2(f.empty(), f.c_str());
    }
}

void TestFlorence2Parity::singleSampleMatchesBatch()
{
    Florence2ForConditionalGeneration model = loadTinyModel();
    torch::NoGradGuard noGrad;
    TensorMap batch, single;
    model->setCallback([&](const std::string &name, const at::Tensor &t) { batch[name] = t.clone(); });
    model->forward(goldenInputs());

    // sample 0 has the longest prompt (no padding), so alone it sees the same tokens
    QVERIFY(g("attention_mask")[0].eq(1).all().item<bool>());
    ForwardInputs one = goldenInputs();
    one.pixelValues = one.pixelValues.slice(0, 0, 1);
    one.inputIds = one.inputIds.slice(0, 0, 1);
    one.decoderInputIds = one.decoderInputIds.slice(0, 0, 1);
    one.labels = one.labels.slice(0, 0, 1);
    model->setCallback([&](const std::string &name, const at::Tensor &t) { single[name] = t.clone(); });
    model->forward(one);

    for (const char *name : {"image_features", "inputs_embeds", "encoder_last_hidden_state", "logits"}) {
        const std::string f = compare(std::string("single vs batch: ") + name, single.at(name),
            batch.at(name).slice(0, 0, 1), kActivationTolerance);
        QVERIFY2(f.empty(), f.c_str());
    }
}

void TestFlorence2Parity::cachedDecodingMatchesTeacherForcing()
{
    Florence2ForConditionalGeneration model = loadTinyModel();
    torch::NoGradGuard noGrad;
    const at::Tensor dec = g("decoder_input_ids");
    const int64_t T = dec.size(1);
    const EncoderOutput enc = model->encode(g("pixel_values"), g("input_ids"));
    const at::Tensor full = model->decode(dec, enc);
    std::string f = compare("logits (decode)", full, g("logits"), kActivationTolerance);
    QVERIFY2(f.empty(), f.c_str());

    // one token per step; a small reservation makes the buffers grow twice on the way
    DecoderCache cache(model->config().text.decoderLayers, 3);
    std::vector<at::Tensor> steps;
    for (int64_t t = 0; t < T; ++t) {
        QCOMPARE(cache.length(), t);
        steps.push_back(model->decode(dec.slice(1, t, t + 1), enc, &cache));
    }
    QCOMPARE(cache.length(), T);
    QVERIFY(cache.selfAttention(0).capacity() >= T);
    QCOMPARE(cache.crossAttention(1).length(), enc.lastHiddenState.size(1));
    f = compare("logits (cached, 1 token per step)", at::cat(steps, 1), g("logits"), kActivationTolerance);
    QVERIFY2(f.empty(), f.c_str());

    // a prefix of 4 tokens at once (causal mask with no past), then the rest in chunks of 2
    // and 3 (causal mask after a past)
    DecoderCache chunked(model->config().text.decoderLayers);
    std::vector<at::Tensor> parts;
    for (const auto &[from, to] : std::vector<std::pair<int64_t, int64_t>> {{0, 4}, {4, 6}, {6, T}})
        parts.push_back(model->decode(dec.slice(1, from, to), enc, &chunked));
    f = compare("logits (cached, chunks 4+2+3)", at::cat(parts, 1), g("logits"), kActivationTolerance);
    QVERIFY2(f.empty(), f.c_str());

    // the prompt-mask variant through the cache, with the decoder mask growing per step
    model->setApplyPromptMask(true);
    const EncoderOutput masked = model->encode(g("pixel_values"), g("input_ids"), g("attention_mask"));
    QVERIFY(masked.attentionMask.defined());
    const at::Tensor decMask = g("decoder_attention_mask");
    DecoderCache maskedCache(model->config().text.decoderLayers, T);
    steps.clear();
    for (int64_t t = 0; t < T; ++t)
        steps.push_back(
            model->decode(dec.slice(1, t, t + 1), masked, &maskedCache, decMask.slice(1, 0, t + 1)));
    // step t sees decoder_attention_mask[:, :t+1]: the keys of row t of the teacher-forced mask
    f = compare("logits_padmask (cached)", at::cat(steps, 1), g("logits_padmask"), kActivationTolerance);
    QVERIFY2(f.empty(), f.c_str());
}

void TestFlorence2Parity::greedyDecodingMatchesGolden()
{
    Florence2ForConditionalGeneration model = loadTinyModel();
    torch::NoGradGuard noGrad;
    const EncoderOutput enc = model->encode(g("pixel_values").to(testDevice()), g("input_ids").to(testDevice()));
    for (const bool useCache : {true, false}) {
        const std::string label = useCache ? "with cache" : "without cache";
        // plain argmax: generate(num_beams=1) without logits processors
        GenerationOptions plain;
        plain.maxNewTokens = 20;
        plain.useCache = useCache;
        plain.keepStepLogits = true;
        const GenerationResult greedy = generate(model, enc, plain);
        QVERIFY2(at::equal(greedy.sequences, g("gen.greedy_ids")), ("gen.greedy_ids " + label).c_str());
        std::string f = compare("gen.greedy_step_logits (" + label + ")", greedy.stepLogits,
            g("gen.greedy_step_logits"), kActivationTolerance);
        QVERIFY2(f.empty(), f.c_str());

        // the checkpoint's effective processors: no_repeat_ngram_size 3, forced BOS 0 / EOS 2
        GenerationOptions hf = GenerationOptions::effectiveDefaults(model->config(), 20);
        QCOMPARE(hf.noRepeatNgramSize, int64_t(3));
        QCOMPARE(hf.forcedBosTokenId.value_or(-1), int64_t(0));
        QCOMPARE(hf.forcedEosTokenId.value_or(-1), int64_t(2));
        hf.numBeams = 1;
        hf.useCache = useCache;
        hf.keepStepLogits = true;
        const GenerationResult processed = generate(model, enc, hf);
        QVERIFY2(at::equal(processed.sequences, g("gen.greedy_hf_ids")), ("gen.greedy_hf_ids " + label).c_str());
        f = compare("gen.greedy_hf_step_logits (" + label + ")", processed.stepLogits,
            g("gen.greedy_hf_step_logits"), kActivationTolerance);
        QVERIFY2(f.empty(), f.c_str());
    }
}

void TestFlorence2Parity::dropoutOnlyInTraining()
{
    Florence2ForConditionalGeneration model = loadTinyModel();
    torch::NoGradGuard noGrad;
    torch::manual_seed(7);
    model->train();
    const ForwardOutput a = model->forward(goldenInputs());
    const ForwardOutput b = model->forward(goldenInputs());
    // drop path is DaViT's only randomness; dropout acts in the language model
    QVERIFY(!at::allclose(a.imageFeatures, b.imageFeatures));
    QVERIFY(!at::allclose(a.logits, b.logits));
    QVERIFY(std::isfinite(a.loss.item<double>()));

    model->eval();
    const ForwardOutput c = model->forward(goldenInputs());
    const ForwardOutput d = model->forward(goldenInputs());
    QVERIFY(at::equal(c.logits, d.logits));
    const std::string f = compare("logits (eval after train)", c.logits, g("logits"), kActivationTolerance);
    QVERIFY2(f.empty(), f.c_str());
}

void TestFlorence2Parity::bf16StaysCloseToFp32()
{
    // bf16 weights and activations; LayerNorm runs in fp32 inside (1.13's CPU LayerNorm
    // rejects mixed dtypes). About 3 significant digits per op: a loose bound.
    Florence2ForConditionalGeneration model = loadTinyModel();
    model->to(at::kBFloat16);
    torch::NoGradGuard noGrad;
    const ForwardOutput out = model->forward(goldenInputs());
    QVERIFY(out.logits.scalar_type() == at::kFloat);
    QVERIFY(at::isfinite(out.logits).all().item<bool>());
    const std::string f = compare("logits (bf16 model, loose)", out.logits, g("logits"), 0.05);
    QVERIFY2(f.empty(), f.c_str());
    const double lossError
        = std::abs(out.loss.item<double>() - g("loss").item<double>()) / g("loss").item<double>();
    QVERIFY2(lossError < 0.01, std::to_string(lossError).c_str());
}

void TestFlorence2Parity::keyValueBufferGrowsAndReorders()
{
    KeyValueBuffer buffer;
    QVERIFY(buffer.empty());
    const at::Tensor k = at::arange(2 * 1 * 3 * 2, at::kFloat).reshape({2, 1, 3, 2});
    buffer.append(k, -k, 4);
    QCOMPARE(buffer.length(), int64_t(3));
    QCOMPARE(buffer.capacity(), int64_t(4));
    const void *storage = buffer.keys().data_ptr();
    buffer.append(k.slice(2, 0, 1) + 100, -k.slice(2, 0, 1) - 100);
    QCOMPARE(buffer.capacity(), int64_t(4));
    QVERIFY(buffer.keys().data_ptr() == storage); // written in place
    buffer.append(k, -k); // 7 > 4: doubles to 8
    QCOMPARE(buffer.length(), int64_t(7));
    QCOMPARE(buffer.capacity(), int64_t(8));
    const at::Tensor expected = at::cat({k, k.slice(2, 0, 1) + 100, k}, 2);
    QVERIFY(at::equal(buffer.keys(), expected));
    QVERIFY(at::equal(buffer.values(), -expected));

    // beam reordering keeps the batch size and the buffers; other sizes reallocate
    buffer.reorder(at::tensor({int64_t(1), int64_t(0)}));
    QVERIFY(at::equal(buffer.keys(), expected.index_select(0, at::tensor({int64_t(1), int64_t(0)}))));
    buffer.reorder(at::tensor({int64_t(1), int64_t(1), int64_t(0)}));
    QCOMPARE(buffer.keys().size(0), int64_t(3));
    QVERIFY(at::equal(buffer.keys()[2], expected[1]));
    QCOMPARE(buffer.capacity(), int64_t(8));

    DecoderCache cache(2, 8);
    QCOMPARE(cache.numLayers(), int64_t(2));
    cache.selfAttention(0).append(k, k);
    cache.selfAttention(1).append(k, k);
    cache.crossAttention(0).assign(k, k);
    QCOMPARE(cache.length(), int64_t(3));
    QCOMPARE(cache.batchSize(), int64_t(2));
    cache.reorder(at::tensor({int64_t(1), int64_t(1)}));
    QVERIFY(at::equal(cache.selfAttention(0).keys()[0], k[1]));
    QVERIFY(at::equal(cache.crossAttention(0).keys()[0], k[0])); // cross rows untouched
    cache.reorder(at::tensor({int64_t(0)}), true);
    QCOMPARE(cache.crossAttention(0).keys().size(0), int64_t(1));
    cache.clear();
    QVERIFY(cache.empty());
}

FMW_TEST_MAIN(TestFlorence2Parity, stateDictMatchesCheckpoint, forwardMatchesGolden, promptMaskMatchesGolden,
    gradientsAndSgdStepMatchGolden, singleSampleMatchesBatch, cachedDecodingMatchesTeacherForcing,
    greedyDecodingMatchesGolden, dropoutOnlyInTraining, bf16StaysCloseToFp32, keyValueBufferGrowsAndReorders,
    linearForFewRowsMatchesReference)
void TestFlorence2Parity::linearForFewRowsMatchesReference()
{
    // linear() against at::linear in float64: the decoding path (1..4 rows: the decoding kernel,
    // or addmv per row without AVX-512), with and without bias, K with odd sizes; more rows,
    // bf16 and autograd work too.
    torch::manual_seed(7);
    for (const int64_t K : {64, 77, 768}) {
        for (const int64_t rows : {1, 2, 3, 4, 7}) {
            const at::Tensor w = at::randn({301, K});
            const at::Tensor b = at::randn({301});
            const at::Tensor x = at::randn({rows, 1, K});
            for (const at::Tensor &bias : {b, at::Tensor()}) {
                const at::Tensor ours = fmw::florence2::linear(x, w, bias);
                const at::Tensor ref = at::linear(
                    x.to(at::kDouble), w.to(at::kDouble), bias.defined() ? bias.to(at::kDouble) : at::Tensor());
                QCOMPARE(ours.sizes(), ref.sizes());
                const std::string f = compare(
                    "linear K=" + std::to_string(K) + " rows=" + std::to_string(rows), ours, ref, 1e-5);
                QVERIFY2(f.empty(), f.c_str());
            }
        }
    }
    const at::Tensor wb = at::randn({8, 16}).to(at::kBFloat16);
    QVERIFY(fmw::florence2::linear(at::randn({1, 16}).to(at::kBFloat16), wb).scalar_type() == at::kBFloat16);
    const at::Tensor trainable = at::randn({8, 16}).requires_grad_(true);
    fmw::florence2::linear(at::randn({1, 16}), trainable).sum().backward();
    QVERIFY(trainable.grad().defined());
}

#ifdef FMW_HAVE_QTTEST
#include "tst_florence2_parity.moc"
#endif
