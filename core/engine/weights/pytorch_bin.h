#pragma once
// pytorch_model.bin files as torch.save (PyTorch >= 1.6) writes them: a zip archive holding
// data.pkl (the pickled state dict) and one data/<key> record per storage. The zip is read
// by LibTorch's PyTorchStreamReader, the pickle by our own minimal unpickler (which executes
// nothing). Storages stored uncompressed (as torch.save writes them) are memory-mapped, not
// copied; tensors sharing a storage (tied weights, views) share it here too.

#include "common/result.h"
#include "engine/weights/mapped_file.h"
#include "engine/weights/tensor_map.h"

#include <memory>
#include <string>

namespace fmw::weights {

// The legacy pre-1.6 (non-zip) format is refused with a message saying how to convert it.
Result<TensorFile> readPytorchBin(const std::string &path);
Result<TensorFile> readPytorchBin(const std::shared_ptr<MappedFile> &file);

// torch.save's format: tensors that share a storage are written once, with their offsets and
// strides, so tied weights and views survive a round trip and torch.load reads the file.
Result<std::string> serializePytorchBin(const TensorMap &tensors);
// Atomic: temporary file, fsync, rename.
Status writePytorchBin(const std::string &path, const TensorMap &tensors);

} // namespace fmw::weights
