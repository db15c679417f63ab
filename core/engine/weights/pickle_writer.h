#pragma once
// Writes the data.pkl record of a state dict the way torch.save does (protocol 2: an
// OrderedDict whose values are _rebuild_tensor_v2 calls on persistent storage ids), so
// PyTorch's torch.load reads the result.

#include "engine/weights/element_type.h"

#include <cstdint>
#include <string>
#include <vector>

namespace fmw::weights {

struct PickleTensorEntry {
    std::string name;
    std::string storageKey;  // record data/<key>
    ElementType type = ElementType::F32;
    int64_t storageNumel = 0;
    int64_t storageOffset = 0;  // elements
    std::vector<int64_t> sizes;
    std::vector<int64_t> strides;
};

// Entries in the order they should appear; tensors sharing a storage name the same key.
std::string writeStateDictPickle(const std::vector<PickleTensorEntry> &entries);

} // namespace fmw::weights
