#include "engine/model_loader.h"

#include "engine/runtime.h"
#include "engine/weights/checkpoint_loader.h"
#include "engine/weights/model_locator.h"

#include <torch/cuda.h>
#include <torch/utils.h>

#include <sys/stat.h>

namespace fmw::engine {

namespace {

bool isDirectory(const std::string &path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

void initWeights(florence2::Florence2ForConditionalGenerationImpl &model, double std, uint64_t seed)
{
    torch::NoGradGuard noGrad;
    // a private generator, and every parameter drawn here in registration order: the result
    // depends on the seed alone, not on what the module constructors drew from the global one
    at::Generator gen = at::detail::createCPUGenerator(seed);
    for (const auto &item : model.named_parameters(true)) {
        at::Tensor p = item.value();
        const std::string &name = item.key();
        if (p.dim() >= 2) // linear, convolution, embedding and projection weights
            p.copy_(at::empty(p.sizes(), at::kFloat).normal_(0.0, std, gen));
        else if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0)
            p.zero_();
        else // norm weights
            p.fill_(1.0);
    }
    // the <pad> row, as nn.Embedding(padding_idx) and transformers leave it
    const int64_t pad = model.config().text.padTokenId;
    at::Tensor &shared = model.language_model->model->shared->weight;
    if (pad >= 0 && pad < shared.size(0))
        shared[pad].zero_();
}

Result<LoadedModel> loadModel(const std::string &modelSpec, const LoadModelOptions &options)
{
    LoadedModel loaded;
    // where the files are: a folder (the processor files only when predicting) or the HF cache
    std::string folder = modelSpec, weightsPath = modelSpec;
    const bool folderGiven = isDirectory(modelSpec);
    if (folderGiven && options.randomInitWithoutWeights) {
        if (auto found = weights::findWeights(modelSpec); !found)
            weightsPath.clear(); // nothing to load: start from random weights
    } else if (options.needProcessor || !folderGiven) {
        auto files = weights::locateModel(modelSpec);
        if (!files)
            return files.error();
        folder = files->folder;
        weightsPath = files->weights;
        loaded.hubId = files->hubId;
    }
    loaded.folder = folder;
    auto config = florence2::loadFlorence2Config(folder);
    if (!config)
        return config.error();
    loaded.config = *config;
    loaded.configFormat = florence2::configFormatName(config->format);
    if (options.needProcessor) {
        auto processor = text::Florence2Processor::fromDirectory(folder);
        if (!processor)
            return processor.error();
        loaded.processor.emplace(std::move(*processor));
    }

    Status placed = guarded("loading " + modelSpec, [&]() -> Status {
        loaded.device = c10::Device(options.device);
        if (loaded.device.is_cuda() && !torch::cuda::is_available())
            return makeError(ErrorCode::Unsupported,
                "device '" + options.device + "' asked for, but this build or machine has no CUDA (LibTorch "
                    + torchVersion() + ")");
        if (options.dtype == c10::kHalf && !loaded.device.is_cuda())
            return makeError(ErrorCode::Unsupported, "fp16 needs a CUDA device: the CPU has no fp16 matmul; use bf16");
        configureThreads();
        loaded.model = florence2::Florence2ForConditionalGeneration(loaded.config);
        if (weightsPath.empty()) {
            initWeights(*loaded.model, loaded.config.text.initStd, options.initSeed);
        } else {
            const weights::ShapeMap expected = loaded.model->stateDictShapes();
            weights::LoadOptions load;
            load.expected = &expected;
            auto checkpoint = weights::loadCheckpoint(weightsPath, load); // a folder or the weights file
            if (!checkpoint)
                return checkpoint.error();
            loaded.weightsFile = checkpoint->source.path;
            if (Status s = loaded.model->loadStateDict(checkpoint->tensors); !s)
                return s;
        }
        loaded.model->to(loaded.device, options.dtype);
        loaded.model->eval();
        return {};
    });
    if (!placed)
        return placed.error();
    return loaded;
}

} // namespace fmw::engine
