#pragma once
// The demo model folder: a tiny Florence-2 (remote-code config.json), a byte-level BPE tokenizer
// learned from the demo texts with Florence-2's special and <loc_N> tokens, and a
// preprocessor_config.json, but no weights: the trainer starts it from random weights
// (`random_init: true`; config.json also says `"fmw_demo": true`) and trains it from scratch.
// Small enough that a forward and backward pass of 8 images takes a fraction of a second on
// two CPU cores.

#include "common/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace fmw::training {

struct DemoModelOptions {
    // Images are resized to imageSize x imageSize; a multiple of 32 (DaViT's strides 4, 2, 2, 2).
    int imageSize = 128;
    // Learned BPE vocabulary: 4 special tokens + 256 byte symbols + up to 400 merges. On the
    // demo captions merging stops earlier, once every word seen twice is one token (minFrequency).
    int vocabSize = 660;
    int64_t minFrequency = 2;

    // DaViT, one entry per stage (heads are also the channel-attention groups).
    std::vector<int64_t> visionDims {32, 64, 96, 128};
    std::vector<int64_t> visionDepths {1, 1, 1, 1};
    std::vector<int64_t> visionHeads {1, 2, 3, 4};
    int64_t windowSize = 4;
    double dropPathRate = 0.0;

    // BART (projection_dim = dModel).
    int64_t dModel = 128;
    int64_t encoderLayers = 2;
    int64_t decoderLayers = 2;
    int64_t ffnDim = 256;
    int64_t attentionHeads = 4;
    // 0: 128, or more when the image tokens ((imageSize/32)^2 + 1) and a 64-token prompt need it.
    int64_t maxPositionEmbeddings = 0;
    double dropout = 0.1;

    // Where the texts came from, for README.txt ("the bundled demo dataset").
    std::string corpusSource;
};

struct DemoModelSummary {
    int tokenizerSize = 0; // ids in the tokenizer = text_config.vocab_size
    int merges = 0;
    int64_t parameters = 0;
    std::vector<std::string> files; // written, in order
};

// Writes config.json, tokenizer.json, tokenizer_config.json, preprocessor_config.json and
// README.txt into `outDir` (created when missing; an existing folder must be empty), each file
// atomically. The tokenizer is learned from `corpus` (e.g. every suffix of a dataset). Errors
// name the folder or file; nothing is written when the options or the corpus are unusable.
Status writeDemoModel(const std::string &outDir, const std::vector<std::string> &corpus,
    const DemoModelOptions &options = {}, DemoModelSummary *summary = nullptr);

// Whether the config.json text carries the demo marker (`"fmw_demo": true`).
bool isDemoModelConfig(const std::string &configJsonText);

} // namespace fmw::training
