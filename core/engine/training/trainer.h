#pragma once
// The training loop: LoRA or full fine-tuning of Florence-2 with AdamW, a warmup + decay
// schedule, gradient accumulation and clipping, validation loss per epoch, preview captions,
// crash-proof checkpoints (checkpoint_dir.h) and exact resume. Plain C++ interface (no torch
// in this header): the CLI and core's TrainingSession drive it through callbacks.
//
// Reproducibility: with one seed and thread count the run is a pure function of its inputs —
// the data order is a function of (seed, epoch), dropout draws from the global generator seeded
// at the start and saved in every checkpoint, so resuming continues the same losses.

#include "common/result.h"
#include "engine/training/distributed_settings.h"
#include "engine/training/sample_source.h"
#include "engine/training/training_options.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fmw::training {

struct ComponentCount {
    std::string component; // vision_tower, projector, embeddings, encoder, decoder, lm_head
    int64_t trainable = 0;
    int64_t frozen = 0;
};

struct StepReport {
    int64_t epoch = 0; // 1-based
    int64_t epochs = 0;
    int64_t batch = 0; // batches of this epoch done
    int64_t batchesInEpoch = 0;
    int64_t optimizerStep = 0; // 1-based, over the run
    int64_t totalOptimizerSteps = 0;
    double loss = 0; // mean over the step's micro-batches
    double lr = 0; // the rate this step used
    double gradNorm = 0; // before clipping
    int64_t samples = 0; // in this step
    double samplesPerSecond = 0; // this step
    double etaSeconds = 0; // for the rest of the run
    bool skipped = false; // non-finite loss or gradient: no update
    double communicationSeconds = 0; // data parallel: time in this step's collectives
};

struct PreviewSample {
    std::string origin;
    std::string prefix;
    std::string reference;
    std::string generated; // decoded without special tokens
};

struct EpochReport {
    int64_t epoch = 0;
    int64_t epochs = 0;
    double trainLoss = 0; // mean of the epoch's step losses
    std::optional<double> valLoss; // mean of the val batches' losses (train.py's metric)
    bool improved = false; // new best val loss (or no val set)
    std::string checkpoint; // folder written
    std::vector<PreviewSample> previews;
    int64_t skippedSamples = 0; // records and images skipped so far
    double seconds = 0;
};

struct TrainerEvents {
    std::function<void(const std::string &)> log; // lines for a person
    std::function<void(const StepReport &)> step;
    std::function<void(const EpochReport &)> epoch;
    std::function<bool()> stopRequested; // polled after each optimizer step
};

struct TrainerSetup {
    TrainingOptions options;
    std::shared_ptr<const SampleSource> train;
    std::shared_ptr<const SampleSource> val; // may be null
    std::string configYaml; // the resolved config, saved as config.yaml in each checkpoint
    std::string resumeFrom; // a checkpoint, run or checkpoints folder; empty: fresh start
    std::vector<std::string> sourceProblems; // records the sources skipped while reading
    // Data parallel (distributed_settings.h): this process's rank. Every rank runs a Trainer on
    // the same config; each trains on its shard of every global batch (batch_size per rank),
    // gradients are summed over the ranks before each optimizer step, and rank 0 alone writes
    // checkpoints and metrics. Its timeout comes from the options' dist_timeout.
    DistributedSettings distributed;
};

enum class RunEnd { Finished, EarlyStopped, Stopped };

struct TrainingResult {
    RunEnd end = RunEnd::Finished;
    int64_t epochsDone = 0;
    int64_t optimizerSteps = 0;
    std::optional<double> bestValLoss;
    std::string bestCheckpoint;
    std::string lastCheckpoint;
    int64_t skippedSamples = 0;
};

class Trainer {
public:
    // Loads the model, applies LoRA and freezing, builds the optimizer and the data loaders,
    // and restores the checkpoint when resuming. Errors name the key or file at fault.
    static Result<std::unique_ptr<Trainer>> create(const TrainerSetup &setup, TrainerEvents events);
    ~Trainer();
    Trainer(const Trainer &) = delete;
    Trainer &operator=(const Trainer &) = delete;

    // Trainable and frozen parameter counts per component (also logged at the start).
    const std::vector<ComponentCount> &parameterCounts() const;
    // The precision in effect ("fp32", "bf16", "fp16") after resolving "auto".
    const std::string &precision() const;

    Result<TrainingResult> run();

    struct Impl;

private:
    explicit Trainer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace fmw::training
