#include "engine/weights/checkpoint_loader.h"

#include "engine/weights/pytorch_bin.h"
#include "engine/weights/safetensors.h"
#include "engine/weights/shard_index.h"

#include <ATen/ATen.h>

#include <sys/stat.h>

#include <tuple>

namespace fmw::weights {

namespace {

bool endsWith(const std::string &s, const std::string &suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isDirectory(const std::string &path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isFile(const std::string &path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string baseName(const std::string &path)
{
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string shapeText(at::IntArrayRef shape)
{
    std::string s = "[";
    for (size_t k = 0; k < shape.size(); ++k)
        s += (k ? ", " : "") + std::to_string(shape[k]);
    return s + "]";
}

Result<TensorFile> readSharded(const WeightsSource &source)
{
    auto index = readShardIndex(source.path);
    if (!index)
        return index.error();
    const bool safetensors = source.format == WeightsFormat::SafetensorsSharded;
    TensorFile out;
    out.metadata = index->metadata;
    for (const std::string &shard : index->shards) {
        const std::string shardPath = index->folder + "/" + shard;
        auto file = safetensors ? readSafetensors(shardPath) : readPytorchBin(shardPath);
        if (!file) {
            Error e = file.error();
            e.message += " (a shard listed in " + baseName(source.path) + ")";
            return e;
        }
        for (const auto &[tensor, where] : index->weightMap) {
            if (where != shard)
                continue;
            const auto it = file->tensors.find(tensor);
            if (it == file->tensors.end())
                return makeError(ErrorCode::Parse,
                                 baseName(source.path) + " puts '" + tensor + "' in this shard, but it is not there",
                                 shardPath);
            out.tensors[tensor] = it->second;
        }
    }
    return out;
}

// Appends up to `budget` names of `names` to `text`, then "and N more".
void listNames(std::string &text, const std::vector<std::string> &names, size_t &budget)
{
    for (size_t k = 0; k < names.size(); ++k) {
        if (budget == 0) {
            text += " and " + std::to_string(names.size() - k) + " more";
            return;
        }
        text += (k ? ", " : " ") + names[k];
        --budget;
    }
}

} // namespace

const char *weightsFormatName(WeightsFormat format)
{
    switch (format) {
    case WeightsFormat::Safetensors: return "safetensors";
    case WeightsFormat::SafetensorsSharded: return "sharded safetensors";
    case WeightsFormat::PytorchBin: return "pytorch_model.bin";
    case WeightsFormat::PytorchBinSharded: return "sharded pytorch_model.bin";
    }
    return "?";
}

const std::vector<std::string> &weightsFileNames()
{
    static const std::vector<std::string> names = {"model.safetensors", "model.safetensors.index.json",
                                                   "pytorch_model.bin", "pytorch_model.bin.index.json"};
    return names;
}

Result<WeightsSource> findWeights(const std::string &folder)
{
    if (!isDirectory(folder))
        return makeError(ErrorCode::Io, "not a model folder", folder);
    for (const std::string &name : weightsFileNames()) {
        const std::string path = folder + "/" + name;
        if (isFile(path))
            return weightsSourceOf(path);
    }
    std::string looked;
    for (const std::string &name : weightsFileNames())
        looked += (looked.empty() ? "" : ", ") + name;
    return makeError(ErrorCode::Io, "the model folder has no weights (looked for " + looked + ")", folder);
}

Result<WeightsSource> weightsSourceOf(const std::string &path)
{
    if (endsWith(path, ".safetensors.index.json"))
        return WeightsSource{path, WeightsFormat::SafetensorsSharded};
    if (endsWith(path, ".bin.index.json"))
        return WeightsSource{path, WeightsFormat::PytorchBinSharded};
    if (endsWith(path, ".safetensors"))
        return WeightsSource{path, WeightsFormat::Safetensors};
    if (endsWith(path, ".bin") || endsWith(path, ".pt") || endsWith(path, ".pth"))
        return WeightsSource{path, WeightsFormat::PytorchBin};
    return makeError(ErrorCode::Unsupported,
                     "unknown weights file type (expected .safetensors, .bin, .pt, .pth or a *.index.json)", path);
}

Result<TensorFile> readWeights(const WeightsSource &source)
{
    switch (source.format) {
    case WeightsFormat::Safetensors:
        return readSafetensors(source.path);
    case WeightsFormat::PytorchBin:
        return readPytorchBin(source.path);
    case WeightsFormat::SafetensorsSharded:
    case WeightsFormat::PytorchBinSharded:
        return readSharded(source);
    }
    return makeError(ErrorCode::Internal, "unknown weights format", source.path);
}

ShapeMap shapesOf(const TensorMap &tensors)
{
    ShapeMap shapes;
    for (const auto &[name, t] : tensors)
        shapes[name] = t.sizes().vec();
    return shapes;
}

Result<TensorMap> toRemoteCodeKeys(const TensorMap &tensors, KeyDialect from, const std::string &source)
{
    if (from == KeyDialect::RemoteCode)
        return tensors;
    TensorMap out;
    for (const auto &[name, t] : tensors) {
        const DialectKey key = nativeToRemote(name);
        at::Tensor value = t;
        if (key.transposed && t.dim() == 2)
            value = t.t().contiguous();
        if (!out.emplace(key.name, value).second)
            return makeError(ErrorCode::Parse, "two tensors map to the remote-code name '" + key.name + "'", source);
    }
    return out;
}

TensorMap toNativeKeys(const TensorMap &tensors)
{
    TensorMap out;
    for (const auto &[name, t] : tensors) {
        const DialectKey key = remoteToNative(name);
        out[key.name] = key.transposed && t.dim() == 2 ? t.t().contiguous() : t;
    }
    return out;
}

void tieEmbeddings(TensorMap &tensors)
{
    const std::vector<std::string> &names = tiedEmbeddingKeys();
    at::Tensor present;
    for (const std::string &name : names) {
        const auto it = tensors.find(name);
        if (it != tensors.end()) {
            present = it->second;
            break;
        }
    }
    if (!present.defined())
        return;
    for (const std::string &name : names)
        tensors.emplace(name, present);  // keeps names already present
}

TensorMap convertFloating(const TensorMap &tensors, c10::ScalarType dtype)
{
    // Tied weights read from a pytorch_model.bin are distinct tensors over one storage: key
    // by the view, not the tensor object, so they stay one tensor after conversion.
    using View = std::tuple<const void *, int64_t, std::vector<int64_t>, std::vector<int64_t>>;
    std::map<View, at::Tensor> converted;
    TensorMap out;
    for (const auto &[name, t] : tensors) {
        if (!at::isFloatingType(t.scalar_type()) || t.scalar_type() == dtype) {
            out[name] = t;
            continue;
        }
        const View view{t.has_storage() ? static_cast<const void *>(t.storage().unsafeGetStorageImpl())
                                        : static_cast<const void *>(t.unsafeGetTensorImpl()),
                        t.storage_offset(), t.sizes().vec(), t.strides().vec()};
        auto it = converted.find(view);
        if (it == converted.end())
            it = converted.emplace(view, t.to(dtype)).first;
        out[name] = it->second;
    }
    return out;
}

Status validateShapes(const TensorMap &tensors, const ShapeMap &expected, const std::string &source)
{
    std::vector<std::string> missing, unexpected, misshaped;
    for (const auto &[name, shape] : expected) {
        const auto it = tensors.find(name);
        if (it == tensors.end())
            missing.push_back(name);
        else if (it->second.sizes().vec() != shape)
            misshaped.push_back(name + " (file " + shapeText(it->second.sizes()) + ", model " + shapeText(shape) + ")");
    }
    for (const auto &[name, t] : tensors)
        if (!expected.count(name))
            unexpected.push_back(name);
    if (missing.empty() && unexpected.empty() && misshaped.empty())
        return {};
    std::string text = "the checkpoint does not match the model:";
    size_t budget = 20;
    const std::pair<const char *, const std::vector<std::string> *> groups[] = {
        {"missing", &missing}, {"unexpected", &unexpected}, {"with the wrong shape", &misshaped}};
    bool first = true;
    for (const auto &[label, names] : groups) {
        if (names->empty())
            continue;
        text += std::string(first ? " " : "; ") + std::to_string(names->size()) + " " + label + ":";
        listNames(text, *names, budget);
        first = false;
    }
    return makeError(ErrorCode::Parse, text, source);
}

Result<Checkpoint> loadCheckpoint(const std::string &folderOrFile, const LoadOptions &options)
{
    auto source = isDirectory(folderOrFile) ? findWeights(folderOrFile) : weightsSourceOf(folderOrFile);
    if (!source)
        return source.error();
    auto file = readWeights(source.value());
    if (!file)
        return file.error();

    Checkpoint out;
    out.source = source.value();
    out.metadata = std::move(file->metadata);
    std::vector<std::string> keys;
    for (const auto &entry : file->tensors)
        keys.push_back(entry.first);
    auto dialect = detectDialect(keys, out.source.path);
    if (!dialect)
        return dialect.error();
    out.dialect = dialect.value();
    auto remote = toRemoteCodeKeys(file->tensors, out.dialect, out.source.path);
    if (!remote)
        return remote.error();
    file->tensors.clear();
    out.tensors = std::move(remote.value());
    tieEmbeddings(out.tensors);

    // The native port has no final_logits_bias; the original's is zero in every release.
    const std::string bias = "language_model.final_logits_bias";
    if (out.dialect == KeyDialect::Native && options.expected && options.expected->count(bias) &&
        !out.tensors.count(bias)) {
        const auto lm = out.tensors.find("language_model.lm_head.weight");
        const auto dtype = lm != out.tensors.end() ? lm->second.scalar_type() : at::kFloat;
        out.tensors[bias] = at::zeros(options.expected->at(bias), at::TensorOptions().dtype(dtype));
    }

    if (options.expected) {
        if (Status s = validateShapes(out.tensors, *options.expected, out.source.path); !s)
            return s.error();
    }
    if (options.dtype) {
        try {
            out.tensors = convertFloating(out.tensors, *options.dtype);
        } catch (const c10::Error &e) {
            return makeError(ErrorCode::Internal, "cannot convert the weights: " + e.msg(), out.source.path);
        }
    }
    return out;
}

} // namespace fmw::weights
