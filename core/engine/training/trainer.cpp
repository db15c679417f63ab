#include "engine/training/trainer.h"

#include "engine/model/florence2/functional.h"
#include "engine/model/florence2/generation.h"
#include "engine/model_loader.h"
#include "engine/runtime.h"
#include "engine/text/pixel_values.h"
#include "engine/training/adapter_files.h"
#include "engine/training/batch_loader.h"
#include "engine/training/checkpoint_dir.h"
#include "engine/training/communicator.h"
#include "engine/training/lora.h"
#include "engine/training/lr_schedule.h"
#include "engine/weights/model_locator.h"
#include "engine/weights/safetensors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/autograd.h>
#include <torch/cuda.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>
#include <thread>

namespace fmw::training {

namespace fs = std::filesystem;
using engine::guarded;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t)
{
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// Which part of Florence-2 a parameter belongs to, by its state-dict name.
std::string componentOf(const std::string &name)
{
    if (name.rfind("vision_tower.", 0) == 0)
        return "vision_tower";
    if (name.rfind("language_model.model.encoder.", 0) == 0)
        return "encoder";
    if (name.rfind("language_model.model.decoder.", 0) == 0)
        return "decoder";
    if (name.rfind("language_model.model.shared", 0) == 0)
        return "embeddings";
    if (name.rfind("language_model.lm_head.", 0) == 0)
        return "lm_head";
    return "projector"; // image_projection, image_proj_norm, image_pos_embed, visual_temporal_embed
}

const std::vector<std::string> &componentOrder()
{
    static const std::vector<std::string> order {
        "vision_tower", "projector", "embeddings", "encoder", "decoder", "lm_head"};
    return order;
}

std::string formatCount(int64_t n)
{
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

bool cpuHasBf16()
{
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512bf16");
#else
    return false;
#endif
}

bool isOutOfMemory(const std::string &message)
{
    return message.find("out of memory") != std::string::npos
        || message.find("DefaultCPUAllocator: can't allocate") != std::string::npos
        || message.find("std::bad_alloc") != std::string::npos;
}

Status writeFile(const std::string &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out)
        return makeError(ErrorCode::Io, "cannot write " + path, path);
    return {};
}

Result<std::string> readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return makeError(ErrorCode::Io, "cannot read " + path, path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string fixed(double v, int digits)
{
    std::ostringstream os;
    os << std::setprecision(digits) << v;
    return os.str();
}

// The crash test (tests/app/tst_train_cli) slows checkpoint writing down through this
// variable so that it can kill the trainer in the middle of one; unset, it costs nothing.
void checkpointTestPause()
{
    static const int ms = [] {
        const char *v = std::getenv("FMW_TEST_CHECKPOINT_DELAY_MS");
        return v ? std::atoi(v) : 0;
    }();
    if (ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// The data-parallel crash test kills one rank at an optimizer step through
// FMW_TEST_KILL_RANK_AT_STEP="rank:step" (SIGKILL: no chance to say goodbye); unset, nothing.
void testKillPoint(int64_t rank, int64_t step)
{
    static const std::pair<int64_t, int64_t> at = [] {
        const char *v = std::getenv("FMW_TEST_KILL_RANK_AT_STEP");
        long long r = -1, s = -1;
        if (!v || std::sscanf(v, "%lld:%lld", &r, &s) != 2)
            return std::pair<int64_t, int64_t>(-1, -1);
        return std::pair<int64_t, int64_t>(r, s);
    }();
    if (at.first == rank && at.second == step)
        std::raise(SIGKILL);
}

// The dynamic loss scaling of torch.cuda.amp.GradScaler (fp16 only): scale the loss, and
// halve the scale and skip the step when the gradients overflow; double it after 2000 clean
// steps.
struct LossScaler {
    bool enabled = false;
    double scale = 65536.0;
    int64_t cleanSteps = 0;
    static constexpr int64_t kGrowthInterval = 2000;

    void update(bool overflow)
    {
        if (!enabled)
            return;
        if (overflow) {
            scale *= 0.5;
            cleanSteps = 0;
        } else if (++cleanSteps >= kGrowthInterval) {
            scale *= 2.0;
            cleanSteps = 0;
        }
    }
};

// splitmix64's finaliser: well-spread seeds from small consecutive numbers
uint64_t mixBits(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

struct MicroBatchResults {
    double lossSum = 0; // of the micro-batches' mean losses (data parallel: this rank's share)
    int64_t samples = 0;
    bool finite = true; // every loss finite (the gradients are then accumulated)
};

// Target tokens the loss averages over: labels other than -100.
int64_t lossTokens(const TrainBatch &batch)
{
    return batch.empty() ? 0 : batch.labels.ne(-100).sum().item<int64_t>();
}

// The dropout key of one sample in one epoch: its masks follow it into any batch, on any rank.
uint64_t sampleKey(uint64_t seed, int64_t epoch, size_t index)
{
    return mixBits(mixBits(mixBits(seed ^ 0xd1b54a32d192ed03ULL) ^ static_cast<uint64_t>(epoch)) ^ index);
}

} // namespace

struct Trainer::Impl {
    TrainerSetup setup;
    TrainerEvents events;
    TrainingOptions opt;

    engine::LoadedModel loaded;
    std::optional<text::Florence2Processor> processor;
    florence2::Florence2ForConditionalGeneration model {nullptr};
    at::Device device {at::kCPU};
    std::string precision;
    c10::ScalarType dtype = at::kFloat;
    LossScaler scaler;

    std::vector<ComponentCount> counts;
    std::vector<at::Tensor> trainable;
    std::unique_ptr<torch::optim::AdamW> optimizer;
    std::unique_ptr<BatchLoader> trainLoader;
    std::unique_ptr<BatchLoader> valLoader;
    std::optional<LrSchedule> schedule;
    int64_t stepsPerEpoch = 0;

    // progress, saved in checkpoints
    int64_t epochsDone = 0;
    int64_t batchInEpoch = 0; // batches of epoch epochsDone+1 already trained
    int64_t optimizerStep = 0;
    std::optional<double> bestValLoss;
    std::string bestName;
    int64_t epochsWithoutImprovement = 0;
    double epochLossSum = 0; // steps of the current epoch so far
    int64_t epochLossSteps = 0;
    std::string metricsJsonl; // every line so far
    int64_t skippedSamples = 0;
    std::set<std::string> reportedSkips;

    std::string runDir, checkpointsDir;

    // data parallel (null: one process)
    std::unique_ptr<Communicator> comm;
    int64_t rank = 0;
    int64_t world = 1;
    bool root() const { return rank == 0; }

    void log(const std::string &line) const
    {
        if (events.log)
            events.log(line);
    }
    bool stopRequested() const { return events.stopRequested && events.stopRequested(); }

    Status setUp();
    Status restore(const std::string &checkpoint);
    Status saveCheckpoint(const std::string &name, const std::string &configYaml);
    Status writeMetricsFiles() const;
    void appendMetrics(const nlohmann::json &line);
    void noteSkipped(BatchLoader &loader);
    MicroBatchResults runMicroBatches(
        const std::vector<TrainBatch> &batches, int64_t epoch, const std::vector<double> &weights);
    std::vector<double> globalTokens(const std::vector<TrainBatch> &batches, int64_t &nonEmpty);
    void reduceStep(MicroBatchResults &mb);
    bool agreeToStop(bool mine);
    Status synchronizeStart();
    Result<double> validationLoss();
    std::vector<PreviewSample> previews();
    void pruneCheckpoints();
};

namespace {

Result<std::string> resolvePrecision(const TrainingOptions &o, const at::Device &device)
{
    std::string p = o.precision;
    if (p == "auto") {
        // full fine-tuning keeps fp32 weights: AdamW on bf16 weights loses small updates
        if (o.finetune == "full")
            p = "fp32";
        else if (device.is_cuda())
            p = "bf16";
        else
            p = cpuHasBf16() ? "bf16" : "fp32";
    }
    if (p != "fp32" && p != "bf16" && p != "fp16")
        return makeError(
            ErrorCode::InvalidArgument, "precision: '" + p + "' is not one of auto, fp32, bf16, fp16");
    if (p == "fp16" && !device.is_cuda())
        return makeError(ErrorCode::Unsupported,
            "precision: fp16 needs a CUDA device (the CPU has no fp16 matmul); use bf16");
    if (p != "fp32" && o.finetune == "full")
        return makeError(ErrorCode::Unsupported,
            "precision: " + p
                + " with finetune: full would train half-precision weights; use fp32 (or finetune: lora)");
    return p;
}

} // namespace

Status Trainer::Impl::setUp()
{
    const DistributedSettings &dist = setup.distributed;
    // one GPU per rank on a machine: "cuda" means this rank's
    if (dist.launched && opt.device == "cuda")
        opt.device = "cuda:" + std::to_string(dist.localRank);
    device = at::Device(opt.device);
    if (device.is_cuda() && !torch::cuda::is_available())
        return makeError(ErrorCode::Unsupported,
            "device: '" + opt.device + "' asked for, but this build or machine has no CUDA");
    auto p = resolvePrecision(opt, device);
    if (!p)
        return p.error();
    precision = *p;
    dtype = precision == "bf16" ? at::kBFloat16 : precision == "fp16" ? at::kHalf : at::kFloat;
    scaler.enabled = precision == "fp16";
    if (opt.threads > 0)
        engine::configureThreads(static_cast<int>(opt.threads));
    if (dist.launched) {
        DistributedSettings settings = dist;
        settings.timeoutSeconds = opt.distTimeoutSeconds;
        auto c = Communicator::connect(settings, device);
        if (!c)
            return c.error();
        comm = std::move(*c);
        rank = comm->rank();
        world = comm->worldSize();
        log("data parallel: rank " + std::to_string(rank) + " of " + std::to_string(world) + " (" + comm->backend()
            + " via " + dist.masterAddr + ":" + std::to_string(dist.masterPort) + ", dist_timeout "
            + fixed(opt.distTimeoutSeconds, 6) + " s)");
    }

    torch::manual_seed(opt.seed);
    if (device.is_cuda())
        torch::cuda::manual_seed_all(opt.seed);

    engine::LoadModelOptions load;
    load.device = opt.device;
    load.dtype = dtype;
    load.needProcessor = opt.processorName.empty() || opt.processorName == opt.modelName;
    load.randomInitWithoutWeights = opt.randomInit;
    load.initSeed = opt.seed;
    auto m = engine::loadModel(opt.modelName, load);
    if (!m)
        return m.error();
    loaded = std::move(*m);
    model = loaded.model;
    if (loaded.weightsFile.empty())
        log("model: " + loaded.folder
            + " has no weights file; random_init: starting from random weights (seed "
            + std::to_string(opt.seed) + ")");
    else
        log("model: " + loaded.weightsFile);
    if (loaded.processor) {
        processor = std::move(loaded.processor);
    } else {
        auto files = weights::locateModel(opt.processorName);
        std::string folder = files ? files->folder : opt.processorName;
        auto proc = text::Florence2Processor::fromDirectory(folder);
        if (!proc)
            return proc.error();
        processor.emplace(std::move(*proc));
    }

    // what trains: LoRA factors (fp32 masters over a frozen base in any precision) or all
    for (auto &param : model->parameters())
        param.set_requires_grad(opt.finetune == "full");
    if (opt.finetune == "lora") {
        LoraConfig lora;
        lora.settings.r = opt.loraR;
        lora.settings.alpha = opt.loraAlpha;
        lora.settings.dropout = opt.loraDropout;
        lora.settings.rslora = opt.useRslora;
        lora.targetModules = opt.loraTargetModules;
        auto adapted = applyLora(*model, lora);
        if (!adapted)
            return adapted.error();
        // A's start (PEFT's kaiming-uniform, a = sqrt(5): U(-1/sqrt(in), 1/sqrt(in))) drawn from a
        // generator of the seed alone, layer by layer: not from the global one, whose state
        // depends on everything that drew before (and, in one process, on other threads)
        at::Generator init = at::detail::createCPUGenerator(mixBits(opt.seed ^ 0x4c6f5241ULL));
        for (auto &[path, layer] : loraLayers(*model)) {
            {
                torch::NoGradGuard noGrad;
                at::Tensor &a = layer->lora_A->weight;
                const double bound = 1.0 / std::sqrt(static_cast<double>(a.size(1)));
                a.copy_(at::empty(a.sizes(), at::kFloat).uniform_(-bound, bound, init));
            }
            layer->lora_A->to(device, at::kFloat);
            layer->lora_B->to(device, at::kFloat);
            layer->lora_A->weight.set_requires_grad(true);
            layer->lora_B->weight.set_requires_grad(true);
        }
        log("LoRA r=" + std::to_string(opt.loraR) + " alpha=" + fixed(opt.loraAlpha, 6) + " on "
            + std::to_string(adapted->size()) + " layers");
    } else if (opt.finetune != "full") {
        return makeError(ErrorCode::InvalidArgument, "finetune: '" + opt.finetune + "' is not lora or full");
    }
    const std::set<std::string> frozen(opt.freeze.begin(), opt.freeze.end());
    for (const std::string &f : frozen) {
        if (f != "vision_tower" && f != "projector" && f != "encoder" && f != "decoder")
            return makeError(ErrorCode::InvalidArgument,
                "freeze: '" + f + "' is not a component; use vision_tower, projector, encoder or decoder");
    }

    std::map<std::string, ComponentCount> byComponent;
    std::vector<at::Tensor> decay, noDecay;
    for (const auto &item : model->named_parameters(true)) {
        const std::string component = componentOf(item.key());
        at::Tensor param = item.value();
        if (frozen.count(component))
            param.set_requires_grad(false);
        ComponentCount &c = byComponent[component];
        c.component = component;
        (param.requires_grad() ? c.trainable : c.frozen) += param.numel();
        if (param.requires_grad()) {
            trainable.push_back(param);
            // no decay on biases and norm weights (1-d), as transformers' Trainer
            (param.dim() >= 2 ? decay : noDecay).push_back(param);
        }
    }
    counts.clear();
    int64_t totalTrainable = 0, totalFrozen = 0;
    for (const std::string &name : componentOrder()) {
        if (!byComponent.count(name))
            continue;
        counts.push_back(byComponent[name]);
        totalTrainable += byComponent[name].trainable;
        totalFrozen += byComponent[name].frozen;
        log("  " + name + ": " + formatCount(byComponent[name].trainable) + " trainable, "
            + formatCount(byComponent[name].frozen) + " frozen");
    }
    log("parameters: " + formatCount(totalTrainable) + " trainable, " + formatCount(totalFrozen) + " frozen ("
        + precision + " on " + device.str() + ")");
    if (trainable.empty())
        return makeError(ErrorCode::InvalidArgument,
            "nothing to train: every parameter is frozen (check freeze and lora_target_modules)");

    std::vector<torch::optim::OptimizerParamGroup> groups;
    auto options = [&](double wd) {
        auto o = std::make_unique<torch::optim::AdamWOptions>(opt.lr);
        o->betas({opt.adamBeta1, opt.adamBeta2}).eps(opt.adamEpsilon).weight_decay(wd);
        return o;
    };
    if (!decay.empty())
        groups.emplace_back(decay, options(opt.weightDecay));
    if (!noDecay.empty())
        groups.emplace_back(noDecay, options(0.0));
    optimizer = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(opt.lr));

    BatchLoaderOptions lo;
    lo.batchSize = opt.batchSize;
    lo.numWorkers = opt.numWorkers;
    lo.prefetchBatches = opt.prefetchBatches;
    lo.seed = opt.seed;
    lo.shuffle = true;
    lo.maxTargetTokens = opt.maxTargetTokens;
    lo.maxDecoderPositions = loaded.config.text.maxPositionEmbeddings;
    lo.prefixes = opt.prefixes;
    lo.rank = rank;
    lo.worldSize = world;
    lo.keepEmptyBatches = comm != nullptr; // the ranks step through the global batches together
    trainLoader = std::make_unique<BatchLoader>(*setup.train, *processor, lo);
    noteSkipped(*trainLoader);
    if (const std::string cut = trainLoader->truncationSummary(); !cut.empty())
        log(cut);
    if (trainLoader->batchesPerEpoch() == 0)
        return makeError(ErrorCode::InvalidArgument, opt.trainJson + ": no usable training examples");
    if (setup.val) {
        lo.shuffle = false;
        lo.numWorkers = std::max<int64_t>(1, opt.numWorkers);
        valLoader = std::make_unique<BatchLoader>(*setup.val, *processor, lo);
        noteSkipped(*valLoader);
    }
    const int64_t acc = std::max<int64_t>(1, opt.gradientAccumulationSteps);
    stepsPerEpoch = (trainLoader->batchesPerEpoch() + acc - 1) / acc;
    const int64_t total = stepsPerEpoch * opt.epochs;
    const int64_t warmup = opt.warmupSteps > 0
        ? opt.warmupSteps
        : static_cast<int64_t>(std::ceil(opt.warmupRatio * static_cast<double>(total)));
    auto kind = parseSchedule(opt.lrScheduler);
    if (!kind)
        return kind.error();
    schedule.emplace(*kind, opt.lr, warmup, total);
    log("data: " + std::to_string(trainLoader->batchesPerEpoch()) + " batches of up to "
        + std::to_string(opt.batchSize) + (world > 1 ? " x " + std::to_string(world) + " ranks" : std::string())
        + " per epoch; " + std::to_string(total) + " optimizer steps (warmup "
        + std::to_string(warmup) + ", " + opt.lrScheduler + ")");
    if (opt.microBatchThreads > 1) {
        if (!device.is_cpu())
            log("micro_batch_threads applies to the CPU: micro-batches run one after another on " + device.str());
        else if (acc < 2)
            log("micro_batch_threads has no effect without gradient_accumulation_steps >= 2");
        else
            log("micro-batches: up to " + std::to_string(std::min(acc, opt.microBatchThreads))
                + " at once, one thread each");
    }

    runDir = opt.outputDir;
    checkpointsDir = runDir + "/checkpoints";
    if (!root())
        return {}; // rank 0 owns the output folder
    std::error_code ec;
    fs::create_directories(checkpointsDir, ec);
    if (ec)
        return makeError(ErrorCode::Io, "output_dir: cannot create " + checkpointsDir + ": " + ec.message(),
            checkpointsDir);
    for (const std::string &name : removeStaleTemporaries(checkpointsDir))
        log("removed " + name + ", an unfinished checkpoint of an interrupted run");
    return {};
}

void Trainer::Impl::noteSkipped(BatchLoader &loader)
{
    for (const SkippedSample &s : loader.takeSkipped()) {
        const std::string line = s.origin + ": skipped: " + s.reason;
        if (reportedSkips.insert(line).second) {
            ++skippedSamples;
            log(line);
        }
    }
}

void Trainer::Impl::appendMetrics(const nlohmann::json &line)
{
    metricsJsonl += line.dump() + "\n";
}

Status Trainer::Impl::writeMetricsFiles() const
{
    if (Status s = writeFile(runDir + "/metrics.jsonl", metricsJsonl); !s)
        return s;
    // the same rows as CSV, one column per field seen
    std::vector<nlohmann::json> rows;
    std::vector<std::string> columns;
    std::istringstream in(metricsJsonl);
    for (std::string line; std::getline(in, line);) {
        rows.push_back(nlohmann::json::parse(line));
        for (const auto &[k, v] : rows.back().items()) {
            if (std::find(columns.begin(), columns.end(), k) == columns.end())
                columns.push_back(k);
        }
    }
    std::string csv;
    for (size_t i = 0; i < columns.size(); ++i)
        csv += (i ? "," : "") + columns[i];
    csv += "\n";
    for (const auto &row : rows) {
        for (size_t i = 0; i < columns.size(); ++i) {
            if (i)
                csv += ",";
            if (row.contains(columns[i]) && !row[columns[i]].is_null())
                csv += row[columns[i]].is_string() ? row[columns[i]].get<std::string>()
                                                   : row[columns[i]].dump();
        }
        csv += "\n";
    }
    return writeFile(runDir + "/metrics.csv", csv);
}

Status Trainer::Impl::saveCheckpoint(const std::string &name, const std::string &configYaml)
{
    return writeCheckpointDir(checkpointsDir, name, [&](const std::string &dir) -> Status {
        return guarded("writing checkpoint " + name, [&]() -> Status {
            if (opt.finetune == "lora") {
                LoraConfig lora;
                lora.settings = {opt.loraR, opt.loraAlpha, opt.loraDropout, opt.useRslora};
                lora.targetModules = opt.loraTargetModules;
                if (Status s = saveAdapter(*model, lora, dir, opt.modelName); !s)
                    return s;
            } else {
                // a model folder of its own: weights (fp32, checkpoint names) + config + processor files
                weights::TensorMap tensors;
                for (const auto &item : model->named_parameters(true))
                    tensors[item.key()] = item.value().detach().to(at::kCPU).contiguous();
                for (const auto &item : model->named_buffers(true))
                    tensors[item.key()] = item.value().detach().to(at::kCPU).contiguous();
                if (Status s
                    = weights::writeSafetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
                    !s)
                    return s;
                for (const char *file : {"config.json", "tokenizer.json", "tokenizer_config.json",
                         "vocab.json", "merges.txt", "special_tokens_map.json", "added_tokens.json",
                         "preprocessor_config.json", "generation_config.json"}) {
                    const fs::path from = fs::path(loaded.folder) / file;
                    std::error_code ec;
                    if (fs::exists(from, ec))
                        fs::copy_file(from, fs::path(dir) / file, fs::copy_options::overwrite_existing, ec);
                    if (ec)
                        return makeError(ErrorCode::Io, "cannot copy " + from.string() + ": " + ec.message());
                }
            }
            checkpointTestPause();
            torch::serialize::OutputArchive archive;
            optimizer->save(archive);
            archive.save_to(dir + "/optimizer.pt");
            checkpointTestPause();
            weights::TensorMap rng {{"cpu", at::detail::getDefaultCPUGenerator().get_state()}};
            if (Status s = weights::writeSafetensors(dir + "/rng_state.safetensors", rng); !s)
                return s;
            nlohmann::json state {
                {"epochs_done", epochsDone},
                {"batch_in_epoch", batchInEpoch},
                {"optimizer_step", optimizerStep},
                {"epoch_loss_sum", epochLossSum},
                {"epoch_loss_steps", epochLossSteps},
                {"best_val_loss", bestValLoss ? nlohmann::json(*bestValLoss) : nlohmann::json(nullptr)},
                {"best_checkpoint", bestName},
                {"epochs_without_improvement", epochsWithoutImprovement},
                {"loss_scale", scaler.scale},
                {"loss_scale_clean_steps", scaler.cleanSteps},
                {"finetune", opt.finetune},
                {"precision", precision},
                {"seed", opt.seed},
                {"batch_size", opt.batchSize},
                {"gradient_accumulation_steps", opt.gradientAccumulationSteps},
            };
            if (Status s = writeFile(dir + "/trainer_state.json", state.dump(2) + "\n"); !s)
                return s;
            checkpointTestPause();
            if (Status s = writeFile(dir + "/config.yaml", configYaml); !s)
                return s;
            return writeFile(dir + "/metrics.jsonl", metricsJsonl);
        });
    });
}

Status Trainer::Impl::restore(const std::string &spec)
{
    auto resolved = resolveCheckpoint(spec);
    if (!resolved)
        return resolved.error();
    const std::string dir = *resolved;
    return guarded("resuming from " + dir, [&]() -> Status {
        auto text = readFile(dir + "/trainer_state.json");
        if (!text)
            return text.error();
        const nlohmann::json state = nlohmann::json::parse(*text);
        if (state.value("finetune", std::string()) != opt.finetune)
            return makeError(ErrorCode::InvalidArgument,
                dir + " was trained with finetune: " + state.value("finetune", std::string("?"))
                    + ", the config says " + opt.finetune);
        if (state.value("batch_size", opt.batchSize) != opt.batchSize
            || state.value("seed", opt.seed) != opt.seed)
            log("warning: batch_size or seed differ from the checkpoint's; the run will not repeat the "
                "original exactly");
        if (opt.finetune == "lora") {
            // the adapters are attached already (same config): load the factors into them
            weights::TensorMap tensors;
            auto file = weights::readSafetensors(dir + "/adapter_model.safetensors");
            if (!file)
                return file.error();
            std::map<std::string, at::Tensor> byKey(file->tensors.begin(), file->tensors.end());
            torch::NoGradGuard noGrad;
            for (auto &[path, layer] : loraLayers(*model)) {
                for (auto [suffix, param] :
                    {std::pair<std::string, at::Tensor> {".lora_A.weight", layer->lora_A->weight},
                        {".lora_B.weight", layer->lora_B->weight}}) {
                    const std::string key = "base_model.model." + path + suffix;
                    auto it = byKey.find(key);
                    if (it == byKey.end())
                        return makeError(ErrorCode::Parse, dir + "/adapter_model.safetensors has no " + key);
                    if (it->second.sizes() != param.sizes())
                        return makeError(ErrorCode::Parse,
                            dir + "/adapter_model.safetensors: " + key + " has another shape");
                    param.copy_(it->second);
                }
            }
        } else {
            auto file = weights::readSafetensors(dir + "/model.safetensors");
            if (!file)
                return file.error();
            std::map<std::string, at::Tensor> tensors(file->tensors.begin(), file->tensors.end());
            if (Status s = model->loadStateDict(tensors); !s)
                return s;
        }
        torch::serialize::InputArchive archive;
        archive.load_from(dir + "/optimizer.pt");
        optimizer->load(archive);
        auto rng = weights::readSafetensors(dir + "/rng_state.safetensors");
        if (!rng)
            return rng.error();
        at::Generator cpu = at::detail::getDefaultCPUGenerator();
        cpu.set_state(rng->tensors.at("cpu").clone());
        epochsDone = state.at("epochs_done").get<int64_t>();
        batchInEpoch = state.at("batch_in_epoch").get<int64_t>();
        optimizerStep = state.at("optimizer_step").get<int64_t>();
        epochLossSum = state.value("epoch_loss_sum", 0.0);
        epochLossSteps = state.value("epoch_loss_steps", int64_t(0));
        if (!state.at("best_val_loss").is_null())
            bestValLoss = state.at("best_val_loss").get<double>();
        bestName = state.value("best_checkpoint", std::string());
        epochsWithoutImprovement = state.value("epochs_without_improvement", int64_t(0));
        scaler.scale = state.value("loss_scale", scaler.scale);
        scaler.cleanSteps = state.value("loss_scale_clean_steps", int64_t(0));
        auto metrics = readFile(dir + "/metrics.jsonl");
        if (metrics)
            metricsJsonl = *metrics;
        log("resumed from " + dir + ": " + std::to_string(epochsDone) + " epochs and "
            + std::to_string(batchInEpoch) + " batches done, optimizer step "
            + std::to_string(optimizerStep));
        return {};
    });
}

// Forward and backward of one step's micro-batches: the trainable parameters' .grad end up
// holding the sum of their gradients (of loss times the loss scale), added in micro-batch
// order. With micro_batch_threads > 1 on the CPU up to that many run at once, each on its own
// thread with one intra-op thread: small models are bound by per-op overhead, which one
// intra-op pool cannot spread over the cores but separate micro-batches can. Each micro-batch
// draws its dropout per sample (seeded by seed, epoch and the sample: functional.h) and its
// layer drop from a generator seeded by (seed, epoch, batch), so the result does not depend on
// the thread count, timing, batch layout or number of processes.
// Data parallel: micro-batch i's loss is weighted by weights[i] = this rank's share of the
// global batch's target tokens, so that the sum over the ranks is the global batch's mean
// loss, exactly as one process with the whole batch computes it; an empty share adds nothing.
MicroBatchResults Trainer::Impl::runMicroBatches(
    const std::vector<TrainBatch> &batches, int64_t epoch, const std::vector<double> &weights)
{
    MicroBatchResults result;
    for (at::Tensor &p : trainable)
        p.mutable_grad() = at::Tensor();
    const size_t n = batches.size();
    std::vector<double> losses(n, 0.0);
    std::vector<std::vector<at::Tensor>> grads(n);
    std::vector<std::exception_ptr> errors(n);
    const auto forwardBackward = [&](size_t i) {
        try {
            const TrainBatch &batch = batches[i];
            if (batch.empty())
                return;
            std::vector<uint64_t> keys;
            for (size_t index : batch.indices)
                keys.push_back(sampleKey(opt.seed, epoch, index));
            florence2::ScopedTrainingGenerator draws(
                mixBits(mixBits(mixBits(opt.seed) ^ static_cast<uint64_t>(epoch)) ^ static_cast<uint64_t>(batch.batchIndex)),
                std::move(keys));
            florence2::ForwardInputs in;
            in.pixelValues = batch.pixelValues.to(device);
            in.inputIds = batch.inputIds.to(device);
            in.attentionMask = batch.attentionMask.to(device);
            in.labels = batch.labels.to(device);
            at::Tensor loss = model->forward(in).loss;
            if (!weights.empty())
                loss = loss * weights[i];
            losses[i] = loss.item<double>();
            if (!std::isfinite(losses[i]))
                return;
            if (scaler.enabled)
                loss = loss * scaler.scale;
            grads[i] = torch::autograd::grad({loss}, trainable, {}, false, false, /*allow_unused=*/true);
        } catch (...) {
            errors[i] = std::current_exception();
        }
    };
    const size_t width = device.is_cpu() ? static_cast<size_t>(std::max<int64_t>(1, opt.microBatchThreads)) : 1;
    const int intraOpThreads = at::get_num_threads();
    for (size_t first = 0; first < n; first += width) {
        const size_t last = std::min(n, first + width);
        if (last - first == 1) {
            forwardBackward(first);
        } else {
            at::set_num_threads(1);
            std::vector<std::thread> workers;
            for (size_t i = first + 1; i < last; ++i)
                workers.emplace_back([&, i] {
                    at::set_num_threads(1);
                    forwardBackward(i);
                });
            forwardBackward(first);
            for (std::thread &w : workers)
                w.join();
            at::set_num_threads(intraOpThreads);
        }
        for (size_t i = first; i < last; ++i) {
            if (errors[i])
                std::rethrow_exception(errors[i]);
            result.lossSum += losses[i];
            result.samples += static_cast<int64_t>(batches[i].indices.size());
            result.finite = result.finite && std::isfinite(losses[i]);
            if (!result.finite || grads[i].empty())
                continue;
            torch::NoGradGuard noGrad;
            for (size_t j = 0; j < trainable.size(); ++j) {
                const at::Tensor &g = grads[i][j];
                if (!g.defined())
                    continue;
                if (trainable[j].grad().defined())
                    trainable[j].mutable_grad().add_(g);
                else
                    trainable[j].mutable_grad() = g;
            }
            grads[i].clear();
        }
    }
    return result;
}

// Each micro-batch's target tokens over all ranks, and this rank's share of them as the loss
// weight (one small all-reduce); nonEmpty counts the micro-batches with any tokens on any rank.
std::vector<double> Trainer::Impl::globalTokens(const std::vector<TrainBatch> &batches, int64_t &nonEmpty)
{
    std::vector<double> local;
    for (const TrainBatch &b : batches)
        local.push_back(static_cast<double>(lossTokens(b)));
    at::Tensor all = at::tensor(local, at::kDouble);
    comm->allReduceSum({all});
    std::vector<double> weights(batches.size(), 0.0);
    nonEmpty = 0;
    for (size_t i = 0; i < batches.size(); ++i) {
        const double total = all[static_cast<int64_t>(i)].item<double>();
        weights[i] = total > 0 ? local[i] / total : 0.0;
        nonEmpty += total > 0 ? 1 : 0;
    }
    return weights;
}

// Sums the step's gradients (bucketed) and loss, sample count and finiteness over the ranks:
// afterwards every rank holds the same gradients and makes the same decisions.
void Trainer::Impl::reduceStep(MicroBatchResults &mb)
{
    torch::NoGradGuard noGrad;
    std::vector<at::Tensor> grads;
    for (at::Tensor &p : trainable) {
        if (!p.grad().defined() || !mb.finite)
            p.mutable_grad() = at::zeros_like(p); // a rank without this gradient adds zeros
        grads.push_back(p.grad());
    }
    comm->allReduceSum(grads);
    at::Tensor scalars = at::tensor(
        {mb.finite ? mb.lossSum : 0.0, static_cast<double>(mb.samples), mb.finite ? 0.0 : 1.0}, at::kDouble);
    comm->allReduceSum({scalars});
    mb.lossSum = scalars[0].item<double>();
    mb.samples = static_cast<int64_t>(scalars[1].item<double>());
    mb.finite = scalars[2].item<double>() == 0.0 && std::isfinite(mb.lossSum);
    if (!mb.finite)
        mb.lossSum = std::numeric_limits<double>::quiet_NaN();
}

// A stop asked of any rank (the GUI's or a signal's, usually rank 0's) stops all at one step.
bool Trainer::Impl::agreeToStop(bool mine)
{
    if (!comm)
        return mine;
    at::Tensor flag = at::tensor({mine ? 1.0 : 0.0}, at::kDouble);
    comm->allReduceSum({flag});
    return flag.item<double>() > 0.0;
}

// Data parallel start: every rank must resume from the same place, then takes rank 0's
// parameters and buffers (torch DDP's broadcast at construction).
Status Trainer::Impl::synchronizeStart()
{
    at::Tensor mine = at::tensor({optimizerStep, epochsDone, batchInEpoch}, at::kLong);
    at::Tensor roots = mine.clone();
    comm->broadcastFromRoot({roots});
    if (!at::equal(mine, roots))
        return makeError(ErrorCode::InvalidArgument,
            "rank " + std::to_string(rank) + " starts at optimizer step " + std::to_string(optimizerStep)
                + ", rank 0 at " + std::to_string(roots[0].item<int64_t>())
                + ": every rank must resume from the same checkpoint (one output_dir, shared by all machines)");
    torch::NoGradGuard noGrad;
    std::vector<at::Tensor> state;
    for (const auto &item : model->named_parameters(true))
        state.push_back(item.value());
    for (const auto &item : model->named_buffers(true))
        state.push_back(item.value());
    comm->broadcastFromRoot(state);
    log("parameters: rank 0's copied to all " + std::to_string(world) + " ranks ("
        + fixed(comm->takeCollectiveSeconds(), 3) + " s)");
    return {};
}

Result<double> Trainer::Impl::validationLoss()
{
    if (!valLoader)
        return makeError(ErrorCode::InvalidArgument, "no validation set");
    model->eval();
    torch::NoGradGuard noGrad;
    double sum = 0;
    int64_t batches = 0;
    // data parallel: per global batch, this rank's (loss x tokens, tokens), summed over the ranks
    std::vector<double> shares;
    valLoader->startEpoch(0);
    while (auto batch = valLoader->next()) {
        double loss = 0;
        if (!batch->empty()) {
            florence2::ForwardInputs in;
            in.pixelValues = batch->pixelValues.to(device);
            in.inputIds = batch->inputIds.to(device);
            in.attentionMask = batch->attentionMask.to(device);
            in.labels = batch->labels.to(device);
            loss = model->forward(in).loss.item<double>();
        }
        if (comm) {
            const auto tokens = static_cast<double>(lossTokens(*batch));
            shares.push_back(tokens > 0 ? loss * tokens : 0.0);
            shares.push_back(tokens);
            continue; // every rank walks every global batch: no early stop here
        }
        sum += loss;
        ++batches;
        if (stopRequested())
            break;
    }
    noteSkipped(*valLoader);
    model->train();
    if (comm && !shares.empty()) {
        at::Tensor all = at::tensor(shares, at::kDouble);
        comm->allReduceSum({all});
        const double *v = all.data_ptr<double>();
        for (size_t b = 0; b + 1 < shares.size(); b += 2) {
            if (v[b + 1] > 0) {
                sum += v[b] / v[b + 1];
                ++batches;
            }
        }
    }
    if (batches == 0)
        return makeError(ErrorCode::InvalidArgument, opt.valJson + ": no usable validation examples");
    return sum / static_cast<double>(batches);
}

std::vector<PreviewSample> Trainer::Impl::previews()
{
    std::vector<PreviewSample> out;
    if (!setup.val || opt.previewSamples <= 0)
        return out;
    model->eval();
    const auto &text = loaded.config.text;
    florence2::GenerationOptions g;
    g.numBeams = 1;
    g.maxNewTokens = std::min<int64_t>(text.maxPositionEmbeddings - 1, 256);
    g.forcedBosTokenId = std::nullopt;
    g.forcedEosTokenId = text.eosTokenId;
    for (size_t i = 0; i < setup.val->size() && static_cast<int64_t>(out.size()) < opt.previewSamples; ++i) {
        const SampleText &t = setup.val->text(i);
        if (!opt.prefixes.empty()
            && std::find(opt.prefixes.begin(), opt.prefixes.end(), t.prefix) == opt.prefixes.end())
            continue;
        auto sample = setup.val->load(i);
        if (!sample)
            continue;
        auto ids = processor->promptIds(t.prefix);
        auto pixels = text::pixelValues(processor->imagePreprocessor(), {sample->image});
        if (!ids || !pixels)
            continue;
        c10::InferenceMode inference;
        const std::vector<int64_t> prompt(ids->begin(), ids->end());
        const auto encoded
            = model->encode(pixels->to(device), at::tensor(prompt, at::kLong).unsqueeze(0).to(device));
        const auto result = florence2::generate(model, encoded, g);
        const at::Tensor row = result.sequences[0].to(at::kCPU).contiguous();
        std::vector<int> generated;
        for (int64_t k = 0; k < row.numel(); ++k) {
            const int64_t id = row.data_ptr<int64_t>()[k];
            if (id != text.bosTokenId && id != text.eosTokenId && id != text.padTokenId
                && id != text.decoderStartTokenId)
                generated.push_back(static_cast<int>(id));
        }
        out.push_back({t.origin, t.prefix, t.suffix, processor->tokenizer().decode(generated, false)});
    }
    model->train();
    return out;
}

void Trainer::Impl::pruneCheckpoints()
{
    if (opt.keepLastCheckpoints <= 0)
        return;
    std::vector<CheckpointEntry> entries = listCheckpointDirs(checkpointsDir);
    int64_t kept = 0;
    // newest first: the last K complete ones stay, and the best whatever its age
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        if (!it->complete)
            continue;
        if (kept < opt.keepLastCheckpoints) {
            ++kept;
            continue;
        }
        if (it->name == bestName)
            continue;
        std::error_code ec;
        fs::remove_all(it->path, ec);
        if (!ec)
            log("removed " + it->name + " (keep_last_checkpoints: " + std::to_string(opt.keepLastCheckpoints)
                + ")");
    }
}

Trainer::Trainer(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

Trainer::~Trainer() = default;

const std::vector<ComponentCount> &Trainer::parameterCounts() const
{
    return d->counts;
}

const std::string &Trainer::precision() const
{
    return d->precision;
}

Result<std::unique_ptr<Trainer>> Trainer::create(const TrainerSetup &setup, TrainerEvents events)
{
    if (!setup.train)
        return makeError(ErrorCode::InvalidArgument, "train_json: no training set");
    auto impl = std::make_unique<Impl>();
    impl->setup = setup;
    impl->events = std::move(events);
    impl->opt = setup.options;
    for (const std::string &problem : setup.sourceProblems)
        impl->log(problem);
    impl->skippedSamples = static_cast<int64_t>(setup.sourceProblems.size());
    Status ok = guarded("setting up training", [&] { return impl->setUp(); });
    if (!ok)
        return ok.error();
    if (!setup.resumeFrom.empty()) {
        if (Status s = impl->restore(setup.resumeFrom); !s)
            return s.error();
    }
    if (impl->comm) {
        Status synced = guarded("starting data parallel training", [&] { return impl->synchronizeStart(); });
        if (!synced)
            return synced.error();
    }
    return std::unique_ptr<Trainer>(new Trainer(std::move(impl)));
}

Result<TrainingResult> Trainer::run()
{
    Impl &t = *d;
    const TrainingOptions &o = t.opt;
    const int64_t acc = std::max<int64_t>(1, o.gradientAccumulationSteps);
    const int64_t totalSteps = t.schedule->totalSteps();
    TrainingResult result;
    int64_t badInRow = 0;
    const auto runStart = Clock::now();
    const int64_t firstStepThisSession = t.optimizerStep;

    auto failure = [&](const std::string &what, const std::string &message) -> Error {
        if (isOutOfMemory(message))
            return makeError(ErrorCode::Internal,
                what
                    + ": out of memory. Lower batch_size (and raise gradient_accumulation_steps to keep the "
                      "effective batch), use precision: bf16, or freeze: [vision_tower]. ("
                    + message + ")");
        return makeError(ErrorCode::Internal, what + ": " + message);
    };

    try {
        t.model->train();
        for (int64_t epoch = t.epochsDone; epoch < o.epochs; ++epoch) {
            const auto epochStart = Clock::now();
            t.trainLoader->startEpoch(epoch, t.batchInEpoch);
            if (t.batchInEpoch == 0) {
                t.epochLossSum = 0;
                t.epochLossSteps = 0;
            }
            bool stopped = false;
            bool epochDone = false;
            while (!epochDone) {
                // one optimizer step: up to `acc` micro-batches
                const auto stepStart = Clock::now();
                std::vector<TrainBatch> batches;
                while (static_cast<int64_t>(batches.size()) < acc) {
                    auto batch = t.trainLoader->next();
                    if (!batch) {
                        epochDone = true;
                        break;
                    }
                    t.batchInEpoch = batch->batchIndex + 1;
                    batches.push_back(std::move(*batch));
                }
                // data parallel: loss weights from the global token counts; the micro-batches
                // every rank found empty (failed images) do not count towards the mean
                std::vector<double> weights;
                int64_t micro = static_cast<int64_t>(batches.size());
                if (t.comm && micro > 0)
                    weights = t.globalTokens(batches, micro);
                MicroBatchResults mb = t.runMicroBatches(batches, epoch, weights);
                if (t.comm && !batches.empty())
                    t.reduceStep(mb);
                const double lossSum = mb.lossSum;
                const int64_t samples = mb.samples;
                bool finite = mb.finite;
                t.noteSkipped(*t.trainLoader);
                if (batches.empty())
                    break;
                if (micro == 0)
                    continue; // data parallel: every rank's images of these batches failed
                // the mean over the micro-batches (each already a mean over its tokens)
                double gradNorm = 0;
                if (finite) {
                    torch::NoGradGuard noGrad;
                    const double unscale
                        = 1.0 / (static_cast<double>(micro) * (t.scaler.enabled ? t.scaler.scale : 1.0));
                    for (at::Tensor &p : t.trainable) {
                        if (p.grad().defined())
                            p.mutable_grad().mul_(unscale);
                    }
                    gradNorm = torch::nn::utils::clip_grad_norm_(t.trainable,
                        o.maxGradNorm > 0 ? o.maxGradNorm : std::numeric_limits<double>::infinity());
                    if (!std::isfinite(gradNorm))
                        finite = false;
                }
                StepReport r;
                r.epoch = epoch + 1;
                r.epochs = o.epochs;
                r.batch = t.batchInEpoch;
                r.batchesInEpoch = t.trainLoader->batchesPerEpoch();
                r.totalOptimizerSteps = totalSteps;
                r.loss = lossSum / static_cast<double>(micro);
                r.lr = t.schedule->lrAt(t.optimizerStep);
                r.gradNorm = gradNorm;
                r.samples = samples;
                if (finite) {
                    for (auto &group : t.optimizer->param_groups())
                        static_cast<torch::optim::AdamWOptions &>(group.options()).lr(r.lr);
                    t.optimizer->step();
                    ++t.optimizerStep;
                    badInRow = 0;
                    t.epochLossSum += r.loss;
                    ++t.epochLossSteps;
                    t.scaler.update(false);
                } else if (t.scaler.enabled && std::isfinite(r.loss)) {
                    // fp16 overflow in the gradients: smaller scale, same data skipped
                    t.scaler.update(true);
                    r.skipped = true;
                    t.log("gradient overflow in fp16; loss scale now " + fixed(t.scaler.scale, 6));
                } else {
                    r.skipped = true;
                    ++badInRow;
                    t.log("epoch " + std::to_string(epoch + 1) + " batch " + std::to_string(t.batchInEpoch)
                        + ": non-finite " + (std::isfinite(r.loss) ? "gradient" : "loss") + ", step skipped ("
                        + std::to_string(badInRow) + " in a row)");
                    if (badInRow >= o.maxBadSteps)
                        return makeError(ErrorCode::Internal,
                            "training stopped: " + std::to_string(badInRow)
                                + " steps in a row had a non-finite loss or gradient (max_bad_steps). Lower "
                                  "lr, "
                                  "raise warmup_steps or use precision: fp32.");
                }
                for (at::Tensor &p : t.trainable)
                    p.mutable_grad() = at::Tensor();
                r.optimizerStep = t.optimizerStep;
                if (t.comm)
                    r.communicationSeconds = t.comm->takeCollectiveSeconds();
                const double stepSeconds = secondsSince(stepStart);
                r.samplesPerSecond = stepSeconds > 0 ? static_cast<double>(samples) / stepSeconds : 0;
                const int64_t doneThisSession = t.optimizerStep - firstStepThisSession;
                r.etaSeconds = doneThisSession > 0
                    ? secondsSince(runStart) / static_cast<double>(doneThisSession)
                        * static_cast<double>(std::max<int64_t>(0, totalSteps - t.optimizerStep))
                    : 0;
                if (o.logEverySteps > 0 && (t.optimizerStep % o.logEverySteps == 0 || r.skipped)) {
                    nlohmann::json line {{"type", "step"}, {"epoch", r.epoch}, {"step", r.optimizerStep},
                        {"batch", r.batch}, {"loss", r.loss}, {"lr", r.lr}, {"grad_norm", r.gradNorm},
                        {"samples_per_second", r.samplesPerSecond}, {"skipped", r.skipped}};
                    if (t.comm)
                        line["allreduce_ms"] = r.communicationSeconds * 1000.0;
                    t.appendMetrics(line);
                }
                if (t.events.step)
                    t.events.step(r);
                testKillPoint(t.rank, t.optimizerStep);
                if (!epochDone && t.agreeToStop(t.stopRequested())) {
                    stopped = true;
                    break;
                }
            }
            if (stopped) {
                // the step is finished: keep where we are so that --resume continues here
                const std::string name = "step_" + std::to_string(t.optimizerStep);
                if (t.root()) {
                    if (Status s = t.saveCheckpoint(name, t.setup.configYaml); !s)
                        return s.error();
                    if (Status s = setPointer(t.checkpointsDir, "last", name); !s)
                        return s.error();
                    if (Status s = t.writeMetricsFiles(); !s)
                        return s.error();
                }
                t.log("stopped on request; checkpoint " + t.checkpointsDir + "/" + name);
                result.end = RunEnd::Stopped;
                result.lastCheckpoint = t.checkpointsDir + "/" + name;
                break;
            }

            // the epoch is complete
            t.epochsDone = epoch + 1;
            t.batchInEpoch = 0;
            EpochReport er;
            er.epoch = epoch + 1;
            er.epochs = o.epochs;
            er.trainLoss = t.epochLossSteps ? t.epochLossSum / static_cast<double>(t.epochLossSteps) : 0;
            if (t.valLoader) {
                auto v = t.validationLoss();
                if (!v)
                    return v.error();
                er.valLoss = *v;
            }
            const std::string name = "epoch_" + std::to_string(epoch + 1);
            if (!er.valLoss || !t.bestValLoss || *er.valLoss < *t.bestValLoss - o.earlyStoppingMinDelta) {
                er.improved = true;
                if (er.valLoss)
                    t.bestValLoss = er.valLoss;
                t.bestName = name;
                t.epochsWithoutImprovement = 0;
            } else {
                ++t.epochsWithoutImprovement;
            }
            if (t.root())
                er.previews = t.previews();
            er.skippedSamples = t.skippedSamples;
            er.seconds = secondsSince(epochStart);
            nlohmann::json line {{"type", "epoch"}, {"epoch", er.epoch}, {"step", t.optimizerStep},
                {"train_loss", er.trainLoss},
                {"val_loss", er.valLoss ? nlohmann::json(*er.valLoss) : nlohmann::json(nullptr)},
                {"best", er.improved}, {"seconds", er.seconds}, {"skipped_samples", er.skippedSamples}};
            t.appendMetrics(line);
            if (t.root()) {
                if (Status s = t.saveCheckpoint(name, t.setup.configYaml); !s)
                    return s.error();
                if (Status s = setPointer(t.checkpointsDir, "last", name); !s)
                    return s.error();
                if (er.improved) {
                    if (Status s = setPointer(t.checkpointsDir, "best", name); !s)
                        return s.error();
                }
                t.pruneCheckpoints();
                if (Status s = t.writeMetricsFiles(); !s)
                    return s.error();
            }
            er.checkpoint = t.checkpointsDir + "/" + name;
            result.lastCheckpoint = er.checkpoint;
            if (t.events.epoch)
                t.events.epoch(er);
            if (o.earlyStoppingPatience > 0 && t.epochsWithoutImprovement >= o.earlyStoppingPatience) {
                t.log("early stopping: validation loss has not improved for "
                    + std::to_string(t.epochsWithoutImprovement) + " epochs (early_stopping_patience)");
                result.end = RunEnd::EarlyStopped;
                break;
            }
            if (t.agreeToStop(t.stopRequested())) {
                result.end = RunEnd::Stopped;
                break;
            }
        }
        // the others wait for rank 0's last checkpoint: a run is over when its files are
        if (t.comm)
            t.comm->barrier();
    } catch (const c10::Error &e) {
        return failure("training", e.what_without_backtrace());
    } catch (const std::exception &e) {
        return failure("training", e.what());
    }
    result.epochsDone = t.epochsDone;
    result.optimizerSteps = t.optimizerStep;
    result.bestValLoss = t.bestValLoss;
    if (!t.bestName.empty())
        result.bestCheckpoint = t.checkpointsDir + "/" + t.bestName;
    result.skippedSamples = t.skippedSamples;
    return result;
}

} // namespace fmw::training
