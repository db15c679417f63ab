#include "engine/weights/shard_index.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace fmw::weights {

Result<ShardIndex> readShardIndex(const std::string &indexPath)
{
    std::ifstream in(indexPath, std::ios::binary);
    if (!in)
        return makeError(ErrorCode::Io, "cannot open the shard index", indexPath);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json index;
    try {
        index = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception &e) {
        return makeError(ErrorCode::Parse, std::string("the shard index is not valid JSON: ") + e.what(), indexPath);
    }
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
        return makeError(ErrorCode::Parse, "the shard index has no \"weight_map\" object", indexPath);

    ShardIndex out;
    const size_t slash = indexPath.find_last_of('/');
    out.folder = slash == std::string::npos ? "." : indexPath.substr(0, slash);
    std::set<std::string> shards;
    for (const auto &[tensor, shard] : index["weight_map"].items()) {
        if (!shard.is_string())
            return makeError(ErrorCode::Parse, "weight_map entry '" + tensor + "' is not a file name", indexPath);
        const std::string name = shard.get<std::string>();
        if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
            name.find('\\') != std::string::npos)
            return makeError(ErrorCode::Parse,
                             "weight_map puts '" + tensor + "' in '" + name +
                                 "', which is not a plain file name beside the index",
                             indexPath);
        out.weightMap[tensor] = name;
        shards.insert(name);
    }
    out.shards.assign(shards.begin(), shards.end());
    if (index.contains("metadata") && index["metadata"].is_object()) {
        for (const auto &[key, value] : index["metadata"].items())
            out.metadata[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    return out;
}

} // namespace fmw::weights
