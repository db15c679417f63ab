#pragma once
// Loads a Florence-2 checkpoint from a model folder (or one weights file): picks the weights
// file, reads it (safetensors, pytorch_model.bin, or either sharded), maps transformers-native
// names to the remote-code names our model uses, fills the tied embedding's other names,
// converts floating tensors to a requested dtype and checks names and shapes against the
// model's state dict, naming every missing, unexpected or mis-shaped tensor.

#include "common/result.h"
#include "engine/weights/key_dialect.h"
#include "engine/weights/tensor_map.h"

#include <c10/core/ScalarType.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fmw::weights {

enum class WeightsFormat { Safetensors, SafetensorsSharded, PytorchBin, PytorchBinSharded };

const char *weightsFormatName(WeightsFormat format);

struct WeightsSource {
    std::string path;
    WeightsFormat format = WeightsFormat::Safetensors;
};

// The weights file names of a Hugging Face model folder, in order of preference:
// model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json.
const std::vector<std::string> &weightsFileNames();

// The first of weightsFileNames() present in `folder`; the error lists what was looked for.
Result<WeightsSource> findWeights(const std::string &folder);
// A weights file by its name: *.safetensors, *.safetensors.index.json, *.bin / *.pt / *.pth,
// *.bin.index.json.
Result<WeightsSource> weightsSourceOf(const std::string &path);
// The tensors under the names the file(s) use. Sharded: every shard the index names, each
// tensor taken from the shard the index assigns it to; the index's metadata.
Result<TensorFile> readWeights(const WeightsSource &source);

using ShapeMap = std::map<std::string, std::vector<int64_t>>;  // state-dict name -> shape

ShapeMap shapesOf(const TensorMap &tensors);

struct LoadOptions {
    std::optional<c10::ScalarType> dtype;  // convert floating tensors (integer ones stay)
    const ShapeMap *expected = nullptr;   // the model's named parameters and buffers
};

struct Checkpoint {
    TensorMap tensors;  // remote-code names, tied names filled in
    Metadata metadata;
    WeightsSource source;
    KeyDialect dialect = KeyDialect::RemoteCode;  // the dialect the file used
};

// `folderOrFile`: a model folder or a weights file.
Result<Checkpoint> loadCheckpoint(const std::string &folderOrFile, const LoadOptions &options = {});

// --- the steps of loadCheckpoint, for tests and the export step ---

// Renames (and transposes image_projection) from `from` to remote-code names; two names
// landing on one is an error naming `source`.
Result<TensorMap> toRemoteCodeKeys(const TensorMap &tensors, KeyDialect from, const std::string &source);
// Remote-code -> transformers-native names (for writing a native checkpoint).
TensorMap toNativeKeys(const TensorMap &tensors);
// Any present name of the tied embedding (tiedEmbeddingKeys()) fills the missing ones with the
// same tensor; names already present are kept.
void tieEmbeddings(TensorMap &tensors);
// Floating tensors to `dtype`; tensors that were the same object stay one object.
TensorMap convertFloating(const TensorMap &tensors, c10::ScalarType dtype);
// Missing, unexpected and mis-shaped names, at most ~20 listed (then "and N more").
Status validateShapes(const TensorMap &tensors, const ShapeMap &expected, const std::string &source);

} // namespace fmw::weights
