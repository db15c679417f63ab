#pragma once
// BatchLoader: turns a SampleSource into the trainer's batches, as the original train.py's
// DataLoader + collate did: the processor's prompt for each prefix (<pad>-padded, with its
// attention mask), the tokenizer's ids of each suffix as labels (padding set to -100), and the
// images preprocessed exactly as inference does (text::pixelValues), padded per batch to the
// longest sequence. Texts are tokenized once, at construction; images are decoded by worker
// threads a few batches ahead and come out in order. The order of an epoch is a pure function
// of (seed, epoch, number of usable samples), so a run is reproducible whatever the thread
// count, timing or platform. Bad data never throws: a sample whose text cannot be used is
// excluded at construction, one whose image fails is dropped from its batch; both are reported
// through takeSkipped() and counted.

#include "engine/text/florence2_processor.h"
#include "engine/training/sample_source.h"

#include <ATen/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fmw::training {

// One batch, on the CPU.
struct TrainBatch {
    // [B, 3, H, W] float32. Its memory comes from a pool of the loader's and returns there when
    // the last tensor using it is freed (the loader may be gone by then): hold it as long as
    // needed, but do not resize it in place.
    at::Tensor pixelValues;
    at::Tensor inputIds; // [B, Lp] int64: the prompts, right-padded with <pad>
    at::Tensor attentionMask; // [B, Lp] int64: 1 for prompt tokens, 0 for padding
    at::Tensor labels; // [B, Lt] int64: <s> suffix </s>, right-padded with -100
    std::vector<size_t> indices; // the source index of each row
    int64_t batchIndex = 0; // its place in the epoch (startEpoch's firstBatch counts the same way)

    bool empty() const { return indices.empty(); } // keepEmptyBatches only: no rows, no tensors
};

struct BatchLoaderOptions {
    int64_t batchSize = 6;
    // Threads that decode and preprocess images; 0 decodes on the thread that calls next().
    int64_t numWorkers = 2;
    // Batches decoded ahead of the one next() returns (at least 1: the one being waited for).
    int64_t prefetchBatches = 2;
    uint64_t seed = 42;
    bool shuffle = true; // false: source order, e.g. for validation
    // Longer targets are cut to this many tokens, </s> kept last (0: no limit of its own).
    int64_t maxTargetTokens = 0;
    // The decoder's max_position_embeddings: a second limit on targets (0: unknown).
    int64_t maxDecoderPositions = 0;
    bool dropLast = false; // drop a last batch smaller than batchSize (batchSize x worldSize)
    // Data parallel: this process's share. Global batch g of the epoch order holds positions
    // [g*batchSize*worldSize, (g+1)*batchSize*worldSize); rank r takes every worldSize-th of them
    // from the r-th on (torch's DistributedSampler interleaving), so the ranks' batch g together
    // are exactly the global batch, without overlap or repeated samples. A rank's last batches
    // may be shorter, or empty.
    int64_t rank = 0;
    int64_t worldSize = 1;
    // Return batches left empty (by the shard or failed images) as batches without rows instead
    // of passing over them, so that every rank sees each global batch index once.
    bool keepEmptyBatches = false;
    // Only samples with one of these prefixes are used (empty: all).
    std::vector<std::string> prefixes;
};

// A sample left out, with why. epoch is -1 for samples excluded at construction.
struct SkippedSample {
    size_t index = 0;
    std::string origin;
    std::string reason;
    int64_t epoch = -1;
};

struct BatchLoaderCounts {
    size_t samples = 0; // in the source
    size_t usable = 0; // visited by every epoch
    size_t excluded = 0; // left out at construction (prefix filter, text not usable)
    size_t truncated = 0; // targets cut to the length limit
    int64_t skippedThisEpoch = 0; // samples dropped from batches since startEpoch (image failures)
    int64_t skippedTotal = 0; // the same over the loader's life
    int64_t deliveredThisEpoch = 0; // samples returned in batches since startEpoch
};

// The order of one epoch: 0..n-1 shuffled by Fisher-Yates (i from n-1 down to 1, swap i with a
// uniform j in [0, i]) driven by splitmix64. mix(x) is splitmix64's output for state x: z = x +
// 0x9E3779B97F4A7C15, z = (z ^ z>>30) * 0xBF58476D1CE4E5B9, z = (z ^ z>>27) * 0x94D049BB133111EB,
// z ^ z>>31. The generator starts at state mix(seed) ^ mix(epoch + 0x9E3779B97F4A7C15) and
// returns mix(state), then adds 0x9E3779B97F4A7C15 to it. A uniform value below m is the first
// draw x < 2^64 - (2^64 mod m), taken mod m. Only 64-bit integer arithmetic, so every platform
// gives the same order. shuffle false: the identity.
std::vector<size_t> epochOrder(uint64_t seed, int64_t epoch, size_t n, bool shuffle = true);

class BatchLoader {
public:
    // `source` must outlive the loader and be safe to load() from several threads. The
    // processor is only used here (prompts, targets, image settings are copied).
    BatchLoader(
        const SampleSource &source, const text::Florence2Processor &processor, BatchLoaderOptions options);
    // Stops the workers mid-epoch if need be and joins them.
    ~BatchLoader();
    BatchLoader(const BatchLoader &) = delete;
    BatchLoader &operator=(const BatchLoader &) = delete;

    // Starts (or restarts) epoch `epoch` at batch `firstBatch`: the batches that follow are
    // exactly those an uninterrupted epoch yields from that batch on. Cancels the previous
    // epoch's work.
    void startEpoch(int64_t epoch, int64_t firstBatch = 0);
    // The epoch's next batch, in order; nullopt at its end (or before any startEpoch). A batch
    // lacks the samples whose image failed; a batch left empty is passed over.
    std::optional<TrainBatch> next();
    // Batches of one epoch (counting any that failing images may leave empty).
    int64_t batchesPerEpoch() const;

    // Samples left out since the last call, in the order they were met: first the
    // construction's exclusions, then image failures as batches come out. A sample whose
    // image fails is reported the first time; later epochs drop it again without decoding,
    // counting it but not reporting it again.
    std::vector<SkippedSample> takeSkipped();
    BatchLoaderCounts counts() const;
    // One line about cut targets ("12 targets were longer than 1024 tokens and cut ..."), empty
    // when none was; for the caller to log once.
    std::string truncationSummary() const;
    // Source indices an epoch visits, in source order.
    const std::vector<size_t> &usableIndices() const;

private:
    struct State;
    std::unique_ptr<State> d;
};

} // namespace fmw::training
