#include "engine/model/florence2/florence2_for_conditional_generation.h"

#include <torch/nn/functional/loss.h>
#include <torch/utils.h>

#include <ATen/ATen.h>

#include <set>
#include <sstream>

namespace fmw::florence2 {

namespace {
const std::string kSharedName = "language_model.model.shared.weight";

std::string shapeText(at::IntArrayRef shape)
{
    std::ostringstream os;
    os << '[';
    for (size_t i = 0; i < shape.size(); ++i)
        os << (i ? ", " : "") << shape[i];
    os << ']';
    return os.str();
}

// "a, b, c and 7 more"
std::string listSome(const std::vector<std::string> &names)
{
    const size_t shown = std::min<size_t>(names.size(), 20);
    std::string s;
    for (size_t i = 0; i < shown; ++i)
        s += (i ? ", " : "") + names[i];
    if (names.size() > shown)
        s += " and " + std::to_string(names.size() - shown) + " more";
    return s;
}
} // namespace

Florence2ForConditionalGenerationImpl::Florence2ForConditionalGenerationImpl(const Florence2Config &config)
    : ImageProjectorImpl(config.vision)
    , m_config(config)
{
    vision_tower = register_module("vision_tower", DaViT(config.vision));
    language_model = register_module("language_model", LanguageForConditionalGeneration(config.text));
}

at::Tensor Florence2ForConditionalGenerationImpl::encodeImage(const at::Tensor &pixelValues)
{
    TORCH_CHECK(pixelValues.dim() == 4, "pixel_values must be [B, 3, H, W], got ", pixelValues.sizes());
    // DaViT: [B, 3, H, W] -> [B, h*w, C]; projector: -> [B, 1 + h*w, D]
    const at::Tensor pixels = pixelValues.to(image_projection.device(), image_projection.scalar_type());
    return projectImageFeatures(vision_tower(pixels, m_callback), m_callback);
}

at::Tensor Florence2ForConditionalGenerationImpl::embedTokens(const at::Tensor &inputIds)
{
    const at::Tensor &table = language_model->model->shared->weight;
    // the shared table with padding_idx: <pad> rows get no gradient from this lookup
    at::Tensor e = at::embedding(table, inputIds.to(table.device()), m_config.text.padTokenId);
    report(m_callback, "text_embeds", e);
    return e;
}

EncoderOutput Florence2ForConditionalGenerationImpl::encode(
    const at::Tensor &pixelValues, const at::Tensor &inputIds, const at::Tensor &attentionMask)
{
    EncoderOutput out;
    // image tokens [B, 1+N, D] ++ prompt embeddings [B, Lp, D] -> [B, S, D]
    out.imageFeatures = encodeImage(pixelValues);
    at::Tensor inputsEmbeds = out.imageFeatures;
    if (inputIds.defined())
        inputsEmbeds
            = at::cat({out.imageFeatures, embedTokens(inputIds).to(out.imageFeatures.scalar_type())}, 1);
    report(m_callback, "inputs_embeds", inputsEmbeds);

    // the original attends to every token; optionally [ones(1+N), prompt mask]
    if (m_applyPromptMask && attentionMask.defined() && inputIds.defined()) {
        const at::Tensor ones = at::ones({out.imageFeatures.size(0), out.imageFeatures.size(1)},
            at::TensorOptions(inputsEmbeds.device()).dtype(at::kLong));
        out.attentionMask = at::cat({ones, attentionMask.to(inputsEmbeds.device(), at::kLong)}, 1);
    }
    out.lastHiddenState = language_model->model->encoder(inputsEmbeds, out.attentionMask, m_callback);
    report(m_callback, "encoder_last_hidden_state", out.lastHiddenState);
    return out;
}

at::Tensor Florence2ForConditionalGenerationImpl::decode(const at::Tensor &decoderInputIds,
    const EncoderOutput &encoded, DecoderCache *cache, const at::Tensor &decoderAttentionMask)
{
    // decoder states [B, T, D] -> logits [B, T, V]
    const at::Tensor hidden = decodeHidden(decoderInputIds, encoded, cache, decoderAttentionMask);
    at::Tensor logits = language_model->lmHead(hidden).to(at::kFloat);
    report(m_callback, "logits", logits);
    return logits;
}

at::Tensor Florence2ForConditionalGenerationImpl::decodeHidden(const at::Tensor &decoderInputIds,
    const EncoderOutput &encoded, DecoderCache *cache, const at::Tensor &decoderAttentionMask)
{
    const at::Tensor &encoderHidden = encoded.lastHiddenState;
    const at::Tensor ids = decoderInputIds.to(encoderHidden.device());
    return language_model->model->decoder(
        ids, encoderHidden, encoded.attentionMask, decoderAttentionMask, cache, m_callback);
}

ForwardOutput Florence2ForConditionalGenerationImpl::forward(const ForwardInputs &inputs)
{
    ForwardOutput out;
    const EncoderOutput encoded = encode(inputs.pixelValues, inputs.inputIds, inputs.attentionMask);
    at::Tensor decoderInputIds = inputs.decoderInputIds;
    if (!decoderInputIds.defined()) {
        TORCH_CHECK(inputs.labels.defined(), "forward needs decoder input ids or labels");
        decoderInputIds
            = shiftTokensRight(inputs.labels, m_config.text.padTokenId, m_config.text.decoderStartTokenId);
    }
    out.logits = decode(decoderInputIds, encoded, nullptr, inputs.decoderAttentionMask);
    if (inputs.labels.defined())
        out.loss = loss(out.logits, inputs.labels);
    out.encoderLastHiddenState = encoded.lastHiddenState;
    out.imageFeatures = encoded.imageFeatures;
    return out;
}

at::Tensor Florence2ForConditionalGenerationImpl::loss(
    const at::Tensor &logits, const at::Tensor &labels) const
{
    namespace F = torch::nn::functional;
    // [B, T, V] -> [B*T, V] against [B*T]
    return F::cross_entropy(logits.reshape({-1, logits.size(-1)}).to(at::kFloat),
        labels.to(logits.device(), at::kLong).reshape({-1}),
        F::CrossEntropyFuncOptions().ignore_index(m_config.ignoreIndex).reduction(torch::kMean));
}

at::Tensor Florence2ForConditionalGenerationImpl::shiftTokensRight(
    const at::Tensor &labels, int64_t padTokenId, int64_t decoderStartTokenId)
{
    at::Tensor shifted = at::zeros_like(labels);
    shifted.slice(1, 1).copy_(labels.slice(1, 0, labels.size(1) - 1));
    shifted.select(1, 0).fill_(decoderStartTokenId);
    // -100 (ignored labels) becomes <pad>
    return shifted.masked_fill_(shifted.eq(-100), padTokenId);
}

const std::vector<std::pair<std::string, std::string>> &Florence2ForConditionalGenerationImpl::tiedAliases()
{
    static const std::vector<std::pair<std::string, std::string>> aliases {
        {"language_model.model.encoder.embed_tokens.weight", kSharedName},
        {"language_model.model.decoder.embed_tokens.weight", kSharedName},
        {"language_model.lm_head.weight", kSharedName},
    };
    return aliases;
}

std::map<std::string, std::vector<int64_t>> Florence2ForConditionalGenerationImpl::stateDictShapes() const
{
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto &p : named_parameters())
        shapes[p.key()] = p.value().sizes().vec();
    for (const auto &b : named_buffers())
        shapes[b.key()] = b.value().sizes().vec();
    for (const auto &[alias, name] : tiedAliases())
        shapes[alias] = shapes.at(name);
    return shapes;
}

int64_t Florence2ForConditionalGenerationImpl::numParameters() const
{
    int64_t n = 0;
    for (const at::Tensor &p : parameters())
        n += p.numel();
    return n;
}

Status Florence2ForConditionalGenerationImpl::loadStateDict(const std::map<std::string, at::Tensor> &tensors)
{
    std::vector<std::pair<std::string, at::Tensor>> targets;
    for (const auto &p : named_parameters())
        targets.emplace_back(p.key(), p.value());
    for (const auto &b : named_buffers())
        targets.emplace_back(b.key(), b.value());

    std::set<std::string> known;
    std::vector<std::string> missing, misshaped, unexpected;
    std::vector<std::pair<at::Tensor, at::Tensor>> copies;
    for (const auto &[name, target] : targets) {
        known.insert(name);
        auto it = tensors.find(name);
        if (it == tensors.end() && name == kSharedName) {
            for (const auto &[alias, aliased] : tiedAliases()) {
                if ((it = tensors.find(alias)) != tensors.end())
                    break;
            }
        }
        if (it == tensors.end()) {
            missing.push_back(name);
        } else if (it->second.sizes() != target.sizes()) {
            misshaped.push_back(
                name + " " + shapeText(it->second.sizes()) + " (model " + shapeText(target.sizes()) + ")");
        } else {
            copies.emplace_back(target, it->second);
        }
    }
    for (const auto &[alias, aliased] : tiedAliases())
        known.insert(alias);
    for (const auto &entry : tensors) {
        if (!known.count(entry.first))
            unexpected.push_back(entry.first);
    }
    if (!missing.empty() || !misshaped.empty() || !unexpected.empty()) {
        std::string message = "the weights do not fit this Florence-2 config:";
        if (!missing.empty())
            message += " missing " + listSome(missing) + ";";
        if (!misshaped.empty())
            message += " wrong shape " + listSome(misshaped) + ";";
        if (!unexpected.empty())
            message += " unexpected " + listSome(unexpected) + ";";
        message += " check that config.json belongs to these weights";
        return makeError(ErrorCode::InvalidArgument, message);
    }
    torch::NoGradGuard noGrad;
    for (auto &[target, source] : copies)
        target.copy_(source);
    return {};
}

} // namespace fmw::florence2
