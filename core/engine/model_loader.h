#pragma once
// Loading a Florence-2 model folder (or cached hub id) into a torch module: config, weights,
// tokenizer and image processor. Shared by Florence2Engine (inference) and the trainer.
// Engine-internal: includes torch, so never include it from Qt code.

#include "common/result.h"
#include "engine/model/florence2/florence2_for_conditional_generation.h"
#include "engine/text/florence2_processor.h"

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <optional>
#include <string>

namespace fmw::engine {

struct LoadModelOptions {
    std::string device = "cpu";
    c10::ScalarType dtype = c10::kFloat;
    bool needProcessor = true;
    // Without a weights file the model keeps a random initialisation (initWeights with the
    // config's text_config.init_std) instead of failing: the demo model is trained from
    // scratch. A weights file, when there, is loaded.
    bool randomInitWithoutWeights = false;
    uint64_t initSeed = 0;
};

struct LoadedModel {
    florence2::Florence2Config config;
    std::optional<text::Florence2Processor> processor;
    florence2::Florence2ForConditionalGeneration model {nullptr};
    c10::Device device {c10::kCPU};
    std::string folder;
    std::string hubId;
    std::string weightsFile; // empty when initialised randomly
    std::string configFormat;
};

Result<LoadedModel> loadModel(const std::string &modelSpec, const LoadModelOptions &options);

// transformers' _init_weights for Florence-2: linear, convolution and embedding weights
// normal(0, std) (the <pad> row zero), biases zero, norms one/zero. Deterministic for a seed.
void initWeights(florence2::Florence2ForConditionalGenerationImpl &model, double std, uint64_t seed);

// c10::Error and std::exception from `f` as an Error with `what` in front.
template <typename F>
auto guarded(const std::string &what, F &&f) -> decltype(f())
{
    try {
        return f();
    } catch (const c10::Error &e) {
        return makeError(ErrorCode::Internal, what + ": " + e.what_without_backtrace());
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Internal, what + ": " + e.what());
    }
}

} // namespace fmw::engine
