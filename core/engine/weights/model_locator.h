#pragma once
// Finds a model's files: a local folder, or a Hugging Face hub id ("org/name", optionally
// "org/name@revision") already in the standard Hugging Face cache. Nothing is downloaded:
// when files are missing the error lists exactly which, and the command that fetches them on
// a machine with internet access.

#include "common/result.h"

#include <string>

namespace fmw::weights {

struct ModelFiles {
    std::string folder;         // the model folder (a cache snapshot for hub ids)
    std::string config;         // config.json
    std::string weights;        // model.safetensors, pytorch_model.bin or an index (see checkpoint_loader.h)
    std::string tokenizer;      // tokenizer.json, else vocab.json (with merges.txt beside it)
    std::string preprocessor;   // preprocessor_config.json
    std::string hubId;          // "org/name" when found through the cache, else empty
    std::string revision;       // the snapshot's commit hash for hub ids
};

struct LocateOptions {
    std::string cacheDir;  // hub cache folder; empty: huggingFaceCacheDir()
};

// $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub (huggingface_hub's order).
std::string huggingFaceCacheDir();

// "org/name" or "org/name@revision": letters, digits, '-', '_', '.'; not a path that exists.
bool looksLikeHubId(const std::string &spec);

// `spec` is a folder, or a hub id looked up as <cache>/models--org--name/snapshots/<rev>/ with
// <rev> from refs/main (or refs/<revision>, or a snapshot named <revision>), else the newest
// snapshot.
Result<ModelFiles> locateModel(const std::string &spec, const LocateOptions &options = {});

} // namespace fmw::weights
