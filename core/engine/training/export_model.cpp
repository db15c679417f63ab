#include "engine/training/export_model.h"

#include "engine/model_loader.h"
#include "engine/training/adapter_files.h"
#include "engine/training/lora.h"
#include "engine/weights/safetensors.h"

#include <filesystem>

#include <unistd.h>

namespace fmw::training {

namespace fs = std::filesystem;

Result<ExportSummary> exportMergedModel(
    const std::string &modelSpec, const std::string &adapterDir, const std::string &outDir)
{
    std::error_code ec;
    if (fs::exists(outDir, ec) && !fs::is_empty(outDir, ec))
        return makeError(ErrorCode::InvalidArgument, outDir + " exists and is not empty; export writes a new folder", outDir);
    engine::LoadModelOptions load;
    load.needProcessor = false;
    auto loaded = engine::loadModel(modelSpec, load);
    if (!loaded)
        return loaded.error();
    auto &model = loaded->model;
    ExportSummary summary;
    summary.outDir = outDir;
    const std::string tmp = fs::path(outDir).parent_path().empty()
        ? ".tmp-export-" + std::to_string(::getpid())
        : (fs::path(outDir).parent_path() / (".tmp-export-" + std::to_string(::getpid()))).string();
    Status written = engine::guarded("exporting to " + outDir, [&]() -> Status {
        if (!adapterDir.empty()) {
            auto config = loadAdapter(*model, adapterDir);
            if (!config)
                return config.error();
            const std::vector<std::string> unmerged = mergeLora(*model);
            if (!unmerged.empty())
                return makeError(ErrorCode::Unsupported,
                    adapterDir + " adapts " + unmerged.front()
                        + ", whose weight is tied to the token embeddings: merging would change both. Use the "
                          "adapter with --adapter instead of exporting merged weights.",
                    adapterDir);
            summary.mergedLayers = static_cast<int64_t>(loraLayers(*model).size());
        }
        // the weights under their checkpoint names, without the adapters' own tensors
        weights::TensorMap tensors;
        for (const auto &item : model->named_parameters(true)) {
            if (item.key().find(".lora_") == std::string::npos)
                tensors[item.key()] = item.value().detach().contiguous();
        }
        for (const auto &item : model->named_buffers(true))
            tensors[item.key()] = item.value().detach().contiguous();
        summary.tensors = static_cast<int64_t>(tensors.size());
        fs::remove_all(tmp, ec);
        fs::create_directories(tmp, ec);
        if (ec)
            return makeError(ErrorCode::Io, "cannot create " + tmp + ": " + ec.message(), tmp);
        if (Status s = weights::writeSafetensors(tmp + "/model.safetensors", tensors, {{"format", "pt"}}); !s)
            return s;
        for (const char *file : {"config.json", "configuration_florence2.py", "modeling_florence2.py",
                 "processing_florence2.py", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
                 "special_tokens_map.json", "added_tokens.json", "preprocessor_config.json", "generation_config.json"}) {
            const fs::path from = fs::path(loaded->folder) / file;
            if (fs::exists(from, ec)) {
                fs::copy_file(from, fs::path(tmp) / file, fs::copy_options::overwrite_existing, ec);
                if (ec)
                    return makeError(ErrorCode::Io, "cannot copy " + from.string() + ": " + ec.message());
            }
        }
        fs::remove(outDir, ec); // an empty folder, if any
        fs::rename(tmp, outDir, ec);
        if (ec)
            return makeError(ErrorCode::Io, "cannot rename " + tmp + " to " + outDir + ": " + ec.message(), outDir);
        return {};
    });
    if (!written) {
        fs::remove_all(tmp, ec);
        return written.error();
    }
    return summary;
}

} // namespace fmw::training
