#pragma once
// A fine-tuned model as a plain model folder: the base model with a LoRA adapter merged into
// its weights, written as model.safetensors under the original checkpoint key names, with the
// base's config, tokenizer and processor files copied, so that `--model DIR` (and
// transformers' from_pretrained) load it like the base.

#include "common/result.h"

#include <string>

namespace fmw::training {

struct ExportSummary {
    std::string outDir;
    int64_t tensors = 0;
    int64_t mergedLayers = 0;
};

// `outDir` must not exist or be empty; it appears complete or not at all. An adapter on the
// tied lm_head cannot be merged (it would change the token embeddings too) and is an error.
Result<ExportSummary> exportMergedModel(
    const std::string &modelSpec, const std::string &adapterDir, const std::string &outDir);

} // namespace fmw::training
