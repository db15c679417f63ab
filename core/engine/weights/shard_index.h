#pragma once
// The index of a sharded checkpoint (model.safetensors.index.json,
// pytorch_model.bin.index.json): {"metadata": {...}, "weight_map": {tensor: shard file}}.
// Shard names must be plain file names in the index's folder.

#include "common/result.h"

#include <map>
#include <string>
#include <vector>

namespace fmw::weights {

struct ShardIndex {
    std::string folder;                          // the index's folder
    std::map<std::string, std::string> weightMap;  // tensor -> shard file name
    std::vector<std::string> shards;             // distinct shard names, in name order
    std::map<std::string, std::string> metadata;   // values as text (total_size is a number)
};

Result<ShardIndex> readShardIndex(const std::string &indexPath);

} // namespace fmw::weights
