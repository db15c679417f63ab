#pragma once
// The two names Florence-2 checkpoints give the same tensors: the original remote code's
// (microsoft/Florence-2-*, `vision_tower.convs.0.proj.weight`, our model's member names) and
// the transformers-native port's (`model.vision_tower.convs.0.conv.weight`), following
// transformers' convert_florence2_original_pytorch_to_hf.py. One rule table serves both
// directions. Plain C++: names only; the one transposed tensor is flagged, not touched.

#include "common/result.h"

#include <string>
#include <vector>

namespace fmw::weights {

enum class KeyDialect { RemoteCode, Native };

const char *dialectName(KeyDialect dialect);  // "remote-code", "transformers-native"

struct DialectKey {
    std::string name;
    bool transposed = false;  // the tensor is stored transposed in the other dialect
};

// Names no rule covers (e.g. language_model.final_logits_bias, which the native port lacks)
// come back unchanged.
DialectKey remoteToNative(const std::string &remoteKey);
DialectKey nativeToRemote(const std::string &nativeKey);

// Native when keys start with "model." or are "lm_head.weight", remote-code when they start
// with the remote code's top-level names; remote-code when neither occurs. Both at once is an
// error naming an example of each and `source`.
Result<KeyDialect> detectDialect(const std::vector<std::string> &keys, const std::string &source);

// The tied token embedding's names (remote-code dialect): shared, both embed_tokens, lm_head.
const std::vector<std::string> &tiedEmbeddingKeys();

} // namespace fmw::weights
