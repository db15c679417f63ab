#pragma once
// A minimal unpickler for the data.pkl record of a torch.save'd state dict. It accepts only
// the opcodes and globals such a pickle needs (OrderedDict, _rebuild_tensor_v2,
// _rebuild_parameter, torch.*Storage, tuples, ints, strings, ...), executes nothing, and
// describes the tensors instead of building them, so it needs no LibTorch. Anything else
// (os.system, builtins.eval, INST, EXT, ...) is an error naming the opcode or global.

#include "common/result.h"
#include "engine/weights/element_type.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace fmw::weights {

// One tensor as _rebuild_tensor_v2 describes it: a view (offset, sizes, strides, in
// elements) into a storage named by its record key.
struct PickledTensor {
    std::string storageKey;
    int64_t storageOffset = 0;
    std::vector<int64_t> sizes;
    std::vector<int64_t> strides;
};

// A storage as the persistent id ('storage', torch.FloatStorage, key, location, numel) names it.
struct PickledStorage {
    ElementType type = ElementType::F32;
    int64_t numel = 0;
    std::string location;  // "cpu", "cuda:0", ...
};

struct PickledStateDict {
    // In pickle order; a key set twice keeps its last value (Python dict semantics).
    std::vector<std::pair<std::string, PickledTensor>> tensors;
    std::map<std::string, PickledStorage> storages;  // by key
};

// Guards against hostile input; generous for any real state dict.
struct PickleLimits {
    size_t maxStack = size_t(1) << 20;
    size_t maxMemo = size_t(1) << 20;
    int maxDepth = 32;  // container nesting (a state dict needs 4)
};

// Parses `size` bytes of data.pkl. `source` (the .bin path) goes into the Error's path; the
// message says "data.pkl byte N: ...". Views are checked against their storage's numel.
Result<PickledStateDict> readStateDictPickle(const uint8_t *data, size_t size, const std::string &source,
                                             const PickleLimits &limits = {});

} // namespace fmw::weights
