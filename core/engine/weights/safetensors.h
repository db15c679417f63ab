#pragma once
// safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}},
// then the tensor bytes. Reading memory-maps the file and every tensor views it (no copy);
// the header is checked as strictly as upstream does (bounds, tiling of the data section,
// shape vs byte length, dtypes, duplicate keys). Writing follows upstream's layout.

#include "common/result.h"
#include "engine/weights/mapped_file.h"
#include "engine/weights/tensor_map.h"

#include <memory>
#include <string>

namespace fmw::weights {

// Dtypes F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL. Errors name the file and the tensor.
Result<TensorFile> readSafetensors(const std::string &path);
Result<TensorFile> readSafetensors(const std::shared_ptr<MappedFile> &file);

// Tensors are written contiguous, in upstream's order (larger dtypes first, then by name),
// with the header padded by spaces to a multiple of 8 bytes. Empty metadata is left out.
Result<std::string> serializeSafetensors(const TensorMap &tensors, const Metadata &metadata = {});
// Atomic: temporary file, fsync, rename.
Status writeSafetensors(const std::string &path, const TensorMap &tensors, const Metadata &metadata = {});

} // namespace fmw::weights
