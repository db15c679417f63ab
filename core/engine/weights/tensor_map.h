#pragma once
// Named tensors as weights files hold them. at::Tensor is torch::Tensor; this header pulls in
// only ATen's tensor type, not all of <torch/torch.h>.

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace fmw::weights {

using TensorMap = std::map<std::string, at::Tensor>;  // ordered by name
using Metadata = std::map<std::string, std::string>;

// What one weights file (or a sharded set) yields: the tensors and the file's string metadata
// (safetensors `__metadata__`, or an index file's "metadata").
struct TensorFile {
    TensorMap tensors;
    Metadata metadata;
};

} // namespace fmw::weights
