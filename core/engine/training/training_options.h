#pragma once
// Every setting of a training run, resolved (paths absolute, defaults filled in). Plain C++ so
// that the YAML reader (core/training/training_config.h), the trainer (engine) and the GUI
// share one definition. The first block is the original train.py's keys, verbatim; the rest
// are the extensions, with the YAML key each one is read from.

#include <cstdint>
#include <string>
#include <vector>

namespace fmw::training {

struct TrainingOptions {
    // --- the original config.yaml's keys ---
    std::string trainJson; // train_json: JSONL file(s) of {"image", "prefix", "suffix"}
    std::string valJson; // val_json (empty: no validation)
    std::string imageDir; // image_dir: `image` fields are relative to it
    std::string modelName; // model_name: model folder or cached hub id
    std::string processorName; // processor_name: folder with tokenizer + preprocessor config
    int64_t batchSize = 6; // batch_size
    int64_t epochs = 10; // epochs
    double lr = 1e-6; // lr: peak learning rate
    std::vector<std::string> loraTargetModules {"q_proj", "k_proj", "v_proj", "out_proj"}; // lora_target_modules

    // --- extensions ---
    std::string outputDir = "runs/run"; // output_dir: metrics + checkpoints/epoch_{n}
    std::string finetune = "lora"; // finetune: lora | full
    bool randomInit = false; // random_init: missing weights start random (demo; no weights file needed)
    int64_t loraR = 8; // lora_r
    double loraAlpha = 8.0; // lora_alpha
    double loraDropout = 0.05; // lora_dropout
    bool useRslora = false; // use_rslora
    // freeze: components whose parameters (adapters included) get no gradient;
    // any of vision_tower, projector, encoder, decoder.
    std::vector<std::string> freeze;

    // Optimiser: AdamW (torch.optim.AdamW's defaults).
    double weightDecay = 0.01; // weight_decay
    double adamBeta1 = 0.9; // adam_beta1
    double adamBeta2 = 0.999; // adam_beta2
    double adamEpsilon = 1e-8; // adam_epsilon
    std::string lrScheduler = "linear"; // lr_scheduler: linear | cosine | constant
    int64_t warmupSteps = 0; // warmup_steps (optimizer steps)
    double warmupRatio = 0.0; // warmup_ratio: of all optimizer steps, when warmup_steps is 0
    int64_t gradientAccumulationSteps = 1; // gradient_accumulation_steps
    double maxGradNorm = 1.0; // max_grad_norm (0: no clipping)
    uint64_t seed = 42; // seed

    // Execution.
    std::string device = "cpu"; // device: cpu | cuda | cuda:N
    std::string precision = "auto"; // precision: auto | fp32 | bf16 | fp16
    int64_t threads = 0; // threads (0: all cores)
    // micro_batch_threads: on the CPU, up to this many of a step's gradient_accumulation_steps
    // micro-batches run at once, one thread each (same result as one after another). Pays off
    // for small models, whose steps are bound by per-op overhead rather than arithmetic.
    int64_t microBatchThreads = 1;
    // dist_timeout: seconds a data-parallel rank waits for the others in a collective before
    // the run ends with an error on every rank (distributed_settings.h).
    double distTimeoutSeconds = 1800;
    int64_t numWorkers = 2; // num_workers: image decoding threads
    int64_t prefetchBatches = 2; // prefetch_batches

    // Data.
    std::vector<std::string> prefixes; // prefixes: only records with these prefixes (empty: all)
    int64_t maxTargetTokens = 0; // max_target_tokens: longer targets are cut (0: decoder's limit)

    // Loop.
    int64_t previewSamples = 3; // preview_samples: val images captioned after each epoch
    int64_t keepLastCheckpoints = 3; // keep_last_checkpoints (0: keep all); best is always kept
    int64_t earlyStoppingPatience = 0; // early_stopping_patience: epochs without improvement (0: off)
    double earlyStoppingMinDelta = 0.0; // early_stopping_min_delta
    int64_t maxBadSteps = 5; // max_bad_steps: non-finite losses in a row before the run stops
    int64_t logEverySteps = 1; // log_every_steps
};

} // namespace fmw::training
