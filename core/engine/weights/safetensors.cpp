#include "engine/weights/safetensors.h"

#include "engine/weights/atomic_file_writer.h"
#include "engine/weights/torch_element_type.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <set>
#include <vector>

namespace fmw::weights {

namespace {

using json = nlohmann::json;

// Upstream refuses headers over 100 MB (safetensors MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct Entry {
    std::string name;
    ElementType type = ElementType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0;
    uint64_t end = 0;
};

std::string shapeText(const std::vector<int64_t> &shape)
{
    std::string s = "[";
    for (size_t k = 0; k < shape.size(); ++k)
        s += (k ? ", " : "") + std::to_string(shape[k]);
    return s + "]";
}

// Parses the header JSON, refusing duplicate keys in any object (nlohmann would keep the last).
Result<json> parseHeader(const char *begin, const char *end, const std::string &path)
{
    if (begin == end || *begin != '{')
        return makeError(ErrorCode::Parse, "the header is not a JSON object (it must start with '{')", path);
    std::vector<std::set<std::string>> keys;
    std::string duplicate;
    const json::parser_callback_t callback = [&](int, json::parse_event_t event, json &parsed) {
        if (event == json::parse_event_t::object_start) {
            keys.emplace_back();
        } else if (event == json::parse_event_t::object_end) {
            if (!keys.empty())
                keys.pop_back();
        } else if (event == json::parse_event_t::key && !keys.empty() && duplicate.empty()) {
            if (!keys.back().insert(parsed.get<std::string>()).second)
                duplicate = parsed.get<std::string>();
        }
        return true;
    };
    json header;
    try {
        header = json::parse(begin, end, callback);
    } catch (const json::exception &e) {
        return makeError(ErrorCode::Parse, std::string("the header is not valid JSON: ") + e.what(), path);
    }
    if (!duplicate.empty())
        return makeError(ErrorCode::Parse, "the header names '" + duplicate + "' twice", path);
    if (!header.is_object())
        return makeError(ErrorCode::Parse, "the header is not a JSON object", path);
    return header;
}

Result<Entry> parseEntry(const std::string &name, const json &info, const std::string &path)
{
    auto bad = [&](const std::string &what) {
        return makeError(ErrorCode::Parse, "tensor '" + name + "': " + what, path);
    };
    if (!info.is_object())
        return bad("its description is not a JSON object");
    Entry e;
    e.name = name;
    const auto dtype = info.find("dtype");
    if (dtype == info.end() || !dtype->is_string())
        return bad("no \"dtype\" string");
    const auto type = elementTypeFromSafetensors(dtype->get<std::string>());
    if (!type)
        return bad("unknown or unsupported dtype \"" + dtype->get<std::string>() +
                   "\" (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
    e.type = *type;
    const auto shape = info.find("shape");
    if (shape == info.end() || !shape->is_array())
        return bad("no \"shape\" array");
    if (shape->size() > 64)
        return bad("a shape of " + std::to_string(shape->size()) + " dimensions");
    uint64_t numel = 1;
    bool overflow = false;
    for (const json &d : *shape) {
        if (d.is_number_integer() && !d.is_number_unsigned())
            return bad("negative dimension " + std::to_string(d.get<int64_t>()) + " in its shape");
        if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t(INT64_MAX))
            return bad("shape dimension " + d.dump() + " is not a non-negative integer");
        e.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
        overflow = overflow || __builtin_mul_overflow(numel, d.get<uint64_t>(), &numel);
    }
    uint64_t bytes = 0;
    if (overflow || __builtin_mul_overflow(numel, uint64_t(elementSize(e.type)), &bytes) ||
        bytes > uint64_t(INT64_MAX))
        return bad("absurd shape " + shapeText(e.shape) + ": its byte size overflows 64 bits");
    const auto offsets = info.find("data_offsets");
    if (offsets == info.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
        return bad("\"data_offsets\" is not a pair of non-negative integers");
    e.begin = (*offsets)[0].get<uint64_t>();
    e.end = (*offsets)[1].get<uint64_t>();
    if (e.end < e.begin)
        return bad("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ") end before they begin");
    if (e.end - e.begin != bytes)
        return bad("shape " + shapeText(e.shape) + " of " + safetensorsName(e.type) + " needs " +
                   std::to_string(bytes) + " bytes, but data_offsets [" + std::to_string(e.begin) + ", " +
                   std::to_string(e.end) + ") hold " + std::to_string(e.end - e.begin));
    return e;
}

using Sink = std::function<Status(const void *, size_t)>;

// Position in upstream's Dtype enum (BOOL, U8, I8, F8_*, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64).
int upstreamRank(ElementType t)
{
    switch (t) {
    case ElementType::Bool: return 0;
    case ElementType::U8: return 1;
    case ElementType::I8: return 2;
    case ElementType::I16: return 5;
    case ElementType::F16: return 7;
    case ElementType::BF16: return 8;
    case ElementType::I32: return 9;
    case ElementType::F32: return 11;
    case ElementType::F64: return 12;
    case ElementType::I64: return 13;
    }
    return 0;
}

Status serializeTo(const TensorMap &tensors, const Metadata &metadata, const Sink &sink)
{
    struct Item {
        std::string name;
        ElementType type;
        at::Tensor data;  // contiguous, on the CPU
    };
    std::vector<Item> items;
    for (const auto &[name, tensor] : tensors) {
        if (name == "__metadata__")
            return makeError(ErrorCode::InvalidArgument, "a tensor may not be called __metadata__");
        if (!tensor.defined())
            return makeError(ErrorCode::InvalidArgument, "tensor '" + name + "' is undefined");
        const auto type = fromScalarType(tensor.scalar_type());
        if (!type)
            return makeError(ErrorCode::Unsupported, "tensor '" + name + "' has dtype " +
                                                         std::string(c10::toString(tensor.scalar_type())) +
                                                         ", which safetensors files here cannot hold");
        items.push_back({name, *type, tensor.detach().to(at::kCPU).contiguous()});
    }
    // Upstream order: descending safetensors Dtype (its enum order, which puts wider types
    // first, so every tensor stays aligned), then by name.
    std::sort(items.begin(), items.end(), [](const Item &a, const Item &b) {
        const int ra = upstreamRank(a.type), rb = upstreamRank(b.type);
        return ra != rb ? ra > rb : a.name < b.name;
    });
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const Item &item : items) {
        const uint64_t bytes = item.data.numel() * elementSize(item.type);
        nlohmann::ordered_json info;
        info["dtype"] = safetensorsName(item.type);
        info["shape"] = item.data.sizes().vec();
        info["data_offsets"] = {offset, offset + bytes};
        header[item.name] = std::move(info);
        offset += bytes;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    uint8_t length[8];
    for (int k = 0; k < 8; ++k)
        length[k] = static_cast<uint8_t>((uint64_t(text.size()) >> (8 * k)) & 0xff);
    if (Status s = sink(length, 8); !s)
        return s;
    if (Status s = sink(text.data(), text.size()); !s)
        return s;
    for (const Item &item : items) {
        if (Status s = sink(item.data.data_ptr(), item.data.numel() * elementSize(item.type)); !s)
            return s;
    }
    return {};
}

} // namespace

Result<TensorFile> readSafetensors(const std::string &path)
{
    auto file = MappedFile::open(path);
    if (!file)
        return file.error();
    return readSafetensors(file.value());
}

Result<TensorFile> readSafetensors(const std::shared_ptr<MappedFile> &file)
{
    const std::string &path = file->path();
    const size_t size = file->size();
    if (size < 8)
        return makeError(ErrorCode::Parse,
                         "the file is " + std::to_string(size) + " bytes, too short for the 8-byte header length",
                         path);
    uint64_t headerBytes = 0;
    for (int k = 7; k >= 0; --k)
        headerBytes = (headerBytes << 8) | file->data()[k];
    if (headerBytes > size - 8)
        return makeError(ErrorCode::Parse,
                         "header length " + std::to_string(headerBytes) + " runs past the end of the file (" +
                             std::to_string(size) + " bytes): truncated or not a safetensors file",
                         path);
    if (headerBytes > kMaxHeaderBytes)
        return makeError(ErrorCode::Parse,
                         "header length " + std::to_string(headerBytes) + " exceeds safetensors' limit of " +
                             std::to_string(kMaxHeaderBytes) + " bytes",
                         path);
    const char *headerBegin = reinterpret_cast<const char *>(file->data() + 8);
    auto header = parseHeader(headerBegin, headerBegin + headerBytes, path);
    if (!header)
        return header.error();

    TensorFile out;
    std::vector<Entry> entries;
    for (const auto &[name, info] : header->items()) {
        if (name == "__metadata__") {
            if (!info.is_object())
                return makeError(ErrorCode::Parse, "__metadata__ is not a JSON object", path);
            for (const auto &[key, value] : info.items()) {
                if (!value.is_string())
                    return makeError(ErrorCode::Parse, "__metadata__ value of '" + key + "' is not a string", path);
                out.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        auto entry = parseEntry(name, info, path);
        if (!entry)
            return entry.error();
        entries.push_back(std::move(entry.value()));
    }

    // Upstream's rule: sorted by offsets, the tensors tile the data section exactly (no hole,
    // no overlap, nothing after the last one). The header may list them in any order.
    const uint64_t dataBytes = size - 8 - headerBytes;
    std::vector<const Entry *> byOffset;
    for (const Entry &e : entries)
        byOffset.push_back(&e);
    std::sort(byOffset.begin(), byOffset.end(), [](const Entry *a, const Entry *b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    uint64_t expected = 0;
    for (const Entry *e : byOffset) {
        const std::string range = "[" + std::to_string(e->begin) + ", " + std::to_string(e->end) + ")";
        if (e->end > dataBytes)
            return makeError(ErrorCode::Parse,
                             "tensor '" + e->name + "' offsets " + range + " exceed the data section (" +
                                 std::to_string(dataBytes) + " bytes): truncated file?",
                             path);
        if (e->begin < expected)
            return makeError(ErrorCode::Parse, "tensor '" + e->name + "' offsets " + range +
                                                   " overlap the previous tensor (which ends at " +
                                                   std::to_string(expected) + ")",
                             path);
        if (e->begin > expected)
            return makeError(ErrorCode::Parse, "tensor '" + e->name + "' offsets " + range +
                                                   " leave a hole after byte " + std::to_string(expected) +
                                                   " of the data section",
                             path);
        expected = e->end;
    }
    if (expected != dataBytes)
        return makeError(ErrorCode::Parse,
                         "the data section has " + std::to_string(dataBytes) + " bytes, but the tensors use " +
                             std::to_string(expected),
                         path);

    uint8_t *data = file->data() + 8 + headerBytes;
    try {
        for (const Entry &e : entries) {
            const auto options = at::TensorOptions().dtype(toScalarType(e.type));
            uint8_t *p = data + e.begin;
            at::Tensor t;
            if (reinterpret_cast<uintptr_t>(p) % elementSize(e.type) == 0) {
                // The deleter owns a reference to the mapping: it lives as long as any tensor.
                std::shared_ptr<MappedFile> keep = file;
                t = at::from_blob(p, e.shape, [keep](void *) {}, options);
            } else {
                // A misaligned tensor (offsets not a multiple of its element size) gets its own copy.
                t = at::empty(e.shape, options);
                std::memcpy(t.data_ptr(), p, e.end - e.begin);
            }
            out.tensors.emplace(e.name, std::move(t));
        }
    } catch (const c10::Error &e) {
        return makeError(ErrorCode::Internal, std::string("cannot create a tensor: ") + e.msg(), path);
    } catch (const std::bad_alloc &) {
        return makeError(ErrorCode::Io, "out of memory", path);
    }
    return out;
}

Result<std::string> serializeSafetensors(const TensorMap &tensors, const Metadata &metadata)
{
    std::string out;
    const Status s = serializeTo(tensors, metadata, [&](const void *p, size_t n) {
        out.append(static_cast<const char *>(p), n);
        return Status{};
    });
    if (!s)
        return s.error();
    return out;
}

Status writeSafetensors(const std::string &path, const TensorMap &tensors, const Metadata &metadata)
{
    AtomicFileWriter writer(path);
    if (Status s = writer.open(); !s)
        return s;
    Status s = serializeTo(tensors, metadata, [&](const void *p, size_t n) { return writer.write(p, n); });
    if (!s) {
        Error e = s.error();
        if (e.path.empty())
            e.path = path;
        return e;
    }
    return writer.commit();
}

} // namespace fmw::weights
