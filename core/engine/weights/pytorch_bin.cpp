#include "engine/weights/pytorch_bin.h"

#include "engine/weights/atomic_file_writer.h"
#include "engine/weights/pickle_reader.h"
#include "engine/weights/pickle_writer.h"
#include "engine/weights/torch_element_type.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>

#include <cstring>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace fmw::weights {

namespace {

// Lets PyTorchStreamReader read from our mapping (or in-memory bytes) instead of opening the
// file a second time.
class MappedReadAdapter final : public caffe2::serialize::ReadAdapterInterface {
public:
    explicit MappedReadAdapter(std::shared_ptr<MappedFile> file) : m_file(std::move(file)) {}
    size_t size() const override { return m_file->size(); }
    size_t read(uint64_t pos, void *buf, size_t n, const char *) const override
    {
        if (pos >= m_file->size())
            return 0;
        n = std::min<uint64_t>(n, m_file->size() - pos);
        std::memcpy(buf, m_file->data() + pos, n);
        return n;
    }

private:
    std::shared_ptr<MappedFile> m_file;
};

uint64_t le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int k = bytes - 1; k >= 0; --k)
        v = (v << 8) | p[k];
    return v;
}

// PyTorchStreamReader gives a record's data offset but not its header. The local header
// ends right before the data (30 fixed bytes, the name, the extra field), so search back for
// the header whose lengths and name put it exactly there. True when the record is stored
// uncompressed and unencrypted with exactly `bytes` bytes, i.e. usable in place. The sizes
// come from the header (or its ZIP64 extra field) or, when the writer streamed the record
// (flag bit 3, as PyTorchStreamWriter does), from the data descriptor right after the data.
bool storedInPlace(const MappedFile &file, uint64_t dataOffset, const std::string &name, uint64_t bytes)
{
    const uint8_t *d = file.data();
    if (dataOffset > file.size() || bytes > file.size() - dataOffset)
        return false;
    for (uint64_t k = 0; k <= 2 * 0xffffu && k + 30 <= dataOffset; ++k) {
        const uint8_t *h = d + (dataOffset - 30 - k);
        if (le(h, 4) != 0x04034b50)
            continue;
        const uint64_t nameLen = le(h + 26, 2), extraLen = le(h + 28, 2);
        if (nameLen + extraLen != k)
            continue;
        const std::string_view stored(reinterpret_cast<const char *>(h + 30), nameLen);
        const std::string suffix = "/" + name;
        if (stored != name && !(stored.size() > suffix.size() &&
                                stored.compare(stored.size() - suffix.size(), suffix.size(), suffix) == 0))
            continue;
        const uint64_t flags = le(h + 6, 2), method = le(h + 8, 2);
        if (method != 0 || (flags & 1) != 0)
            return false;
        if (flags & 8) {
            const uint8_t *desc = d + dataOffset + bytes;
            const uint64_t left = file.size() - dataOffset - bytes;
            if (left < 16 || le(desc, 4) != 0x08074b50)
                return false;
            const bool sizes32 = le(desc + 8, 4) == bytes && le(desc + 12, 4) == bytes;
            const bool sizes64 = left >= 24 && le(desc + 8, 8) == bytes && le(desc + 16, 8) == bytes;
            return sizes32 || sizes64;
        }
        uint64_t compressed = le(h + 18, 4), size = le(h + 22, 4);
        // ZIP64: sizes of 0xffffffff live in the extra field's 0x0001 block, in this order.
        const uint8_t *extra = h + 30 + nameLen;
        for (uint64_t pos = 0; pos + 4 <= extraLen;) {
            const uint64_t id = le(extra + pos, 2), len = le(extra + pos + 2, 2);
            if (pos + 4 + len > extraLen)
                break;
            if (id == 1) {
                uint64_t field = pos + 4;
                if (size == 0xffffffffu && field + 8 <= pos + 4 + len) {
                    size = le(extra + field, 8);
                    field += 8;
                }
                if (compressed == 0xffffffffu && field + 8 <= pos + 4 + len)
                    compressed = le(extra + field, 8);
            }
            pos += 4 + len;
        }
        return compressed == bytes && size == bytes;
    }
    return false;
}

// torch.save before 1.6 wrote a bare pickle (magic number first) or, before 0.4, a tar file.
std::optional<std::string> legacyFormat(const MappedFile &file)
{
    const uint8_t *d = file.data();
    const size_t n = file.size();
    const bool pickle = n >= 2 && d[0] == 0x80 && d[1] >= 2 && d[1] <= 5;
    const bool tar = n >= 262 && std::memcmp(d + 257, "ustar", 5) == 0;
    if (!pickle && !tar)
        return std::nullopt;
    return std::string("this is the legacy torch.save format (") + (tar ? "tar, PyTorch < 0.4" : "PyTorch < 1.6") +
           "), not a zip archive, and is not supported: re-save it with PyTorch >= 1.6 "
           "(torch.save(torch.load(f), f)) or convert it to safetensors";
}

// One first line of a LibTorch exception, without the C++ backtrace.
std::string firstLine(const std::string &s)
{
    return s.substr(0, s.find('\n'));
}

at::Storage storageOnFile(const std::shared_ptr<MappedFile> &file, uint8_t *p, size_t bytes)
{
    std::shared_ptr<MappedFile> keep = file;
    return at::from_blob(p, {static_cast<int64_t>(bytes)}, [keep](void *) {}, at::kByte).storage();
}

Result<TensorFile> readArchive(const std::shared_ptr<MappedFile> &file)
{
    const std::string &path = file->path();
    caffe2::serialize::PyTorchStreamReader reader(std::make_shared<MappedReadAdapter>(file));
    if (!reader.hasRecord("data.pkl"))
        return makeError(ErrorCode::Unsupported,
                         "the archive has no data.pkl record: not a torch.save'd state dict (a TorchScript "
                         "model from torch.jit.save?)",
                         path);
    at::DataPtr pickle;
    size_t pickleBytes = 0;
    std::tie(pickle, pickleBytes) = reader.getRecord("data.pkl");
    auto parsed = readStateDictPickle(static_cast<const uint8_t *>(pickle.get()), pickleBytes, path);
    if (!parsed)
        return parsed.error();

    std::map<std::string, at::Storage> storages;
    for (const auto &[key, info] : parsed->storages) {
        const std::string record = "data/" + key;
        if (!reader.hasRecord(record))
            return makeError(ErrorCode::Parse,
                             "data.pkl refers to storage '" + key + "', but the archive has no record " + record,
                             path);
        const size_t itemSize = elementSize(info.type);
        const uint64_t bytes = static_cast<uint64_t>(info.numel) * itemSize;
        auto mismatch = [&](uint64_t have) {
            return makeError(ErrorCode::Parse,
                             "record " + record + " holds " + std::to_string(have) + " bytes, but data.pkl says its " +
                                 torchStorageName(info.type) + " has " + std::to_string(info.numel) +
                                 " elements (" + std::to_string(bytes) + " bytes)",
                             path);
        };
        const uint64_t offset = reader.getRecordOffset(record);
        if (storedInPlace(*file, offset, record, bytes)) {
            if (offset % itemSize == 0) {
                storages.emplace(key, storageOnFile(file, file->data() + offset, bytes));
            } else {
                at::Tensor copy = at::empty({static_cast<int64_t>(bytes)}, at::kByte);
                std::memcpy(copy.data_ptr(), file->data() + offset, bytes);
                storages.emplace(key, copy.storage());
            }
            continue;
        }
        // Compressed (not written by torch.save, but valid zip) or of another size: let miniz
        // inflate and check it.
        at::DataPtr data;
        size_t size = 0;
        std::tie(data, size) = reader.getRecord(record);
        if (size != bytes)
            return mismatch(size);
        storages.emplace(key, at::Storage(at::Storage::use_byte_size_t(), size, std::move(data), nullptr, false));
    }

    TensorFile out;
    for (const auto &[name, t] : parsed->tensors) {
        const auto options = at::TensorOptions().dtype(toScalarType(parsed->storages.at(t.storageKey).type));
        out.tensors[name] = at::empty({0}, options).set_(storages.at(t.storageKey), t.storageOffset, t.sizes, t.strides);
    }
    return out;
}

using Sink = std::function<void(const void *, size_t)>;

Status serializeTo(const TensorMap &tensors, const Sink &sink)
{
    struct StorageOut {
        std::string key;
        ElementType type;
        int64_t numel;
        at::Tensor cpu;          // set when the storage is not on the CPU
        const void *data = nullptr;
    };
    std::map<const c10::StorageImpl *, StorageOut> storages;
    std::vector<const StorageOut *> order;
    std::vector<PickleTensorEntry> entries;
    for (const auto &[name, tensor] : tensors) {
        if (!tensor.defined())
            return makeError(ErrorCode::InvalidArgument, "tensor '" + name + "' is undefined");
        const auto type = fromScalarType(tensor.scalar_type());
        if (!type)
            return makeError(ErrorCode::Unsupported, "tensor '" + name + "' has dtype " +
                                                         std::string(c10::toString(tensor.scalar_type())) +
                                                         ", which pytorch_model.bin files here cannot hold");
        if (!tensor.has_storage() || tensor.is_sparse())
            return makeError(ErrorCode::Unsupported, "tensor '" + name + "' has no plain storage (sparse or "
                                                                         "opaque layout): convert it to dense first");
        const at::Storage &storage = tensor.storage();
        auto it = storages.find(storage.unsafeGetStorageImpl());
        if (it == storages.end()) {
            const size_t item = elementSize(*type);
            if (storage.nbytes() % item != 0)
                return makeError(ErrorCode::InvalidArgument,
                                 "tensor '" + name + "' views a storage whose size is not a whole number of elements");
            StorageOut s{std::to_string(storages.size()), *type, static_cast<int64_t>(storage.nbytes() / item), {}, nullptr};
            if (tensor.is_cpu()) {
                s.data = storage.data_ptr().get();
            } else {
                // The whole storage goes to the CPU, as torch.save does.
                s.cpu = at::empty({0}, tensor.options()).set_(storage, 0, {s.numel}, {1}).to(at::kCPU);
                s.data = s.cpu.data_ptr();
            }
            it = storages.emplace(storage.unsafeGetStorageImpl(), std::move(s)).first;
            order.push_back(&it->second);
        } else if (it->second.type != *type) {
            return makeError(ErrorCode::InvalidArgument,
                             "tensor '" + name + "' views a storage that another tensor views with a different dtype");
        }
        entries.push_back({name, it->second.key, *type, it->second.numel, tensor.storage_offset(),
                           tensor.sizes().vec(), tensor.strides().vec()});
    }
    const std::string pickle = writeStateDictPickle(entries);
    // Our sink never reports failure to the zip writer (the caller checks it afterwards), so
    // PyTorchStreamWriter cannot throw from its destructor.
    caffe2::serialize::PyTorchStreamWriter writer([&](const void *p, size_t n) {
        sink(p, n);
        return n;
    });
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    for (const StorageOut *s : order)
        writer.writeRecord("data/" + s->key, s->data, static_cast<size_t>(s->numel) * elementSize(s->type));
    writer.writeEndOfFile();
    return {};
}

Status serializeGuarded(const TensorMap &tensors, const Sink &sink)
{
    try {
        return serializeTo(tensors, sink);
    } catch (const c10::Error &e) {
        return makeError(ErrorCode::Internal, "cannot write the archive: " + firstLine(e.msg()));
    } catch (const std::bad_alloc &) {
        return makeError(ErrorCode::Io, "out of memory while writing the archive");
    }
}

} // namespace

Result<TensorFile> readPytorchBin(const std::string &path)
{
    auto file = MappedFile::open(path);
    if (!file)
        return file.error();
    return readPytorchBin(file.value());
}

Result<TensorFile> readPytorchBin(const std::shared_ptr<MappedFile> &file)
{
    const std::string &path = file->path();
    if (auto legacy = legacyFormat(*file))
        return makeError(ErrorCode::Unsupported, *legacy, path);
    try {
        return readArchive(file);
    } catch (const c10::Error &e) {
        return makeError(ErrorCode::Parse,
                         "not a readable PyTorch zip archive (truncated or damaged?): " + firstLine(e.msg()), path);
    } catch (const std::bad_alloc &) {
        return makeError(ErrorCode::Io, "out of memory", path);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Parse, std::string("not a readable PyTorch zip archive: ") + e.what(), path);
    }
}

Result<std::string> serializePytorchBin(const TensorMap &tensors)
{
    std::string out;
    const Status s = serializeGuarded(tensors, [&](const void *p, size_t n) {
        out.append(static_cast<const char *>(p), n);
    });
    if (!s)
        return s.error();
    return out;
}

Status writePytorchBin(const std::string &path, const TensorMap &tensors)
{
    AtomicFileWriter writer(path);
    if (Status s = writer.open(); !s)
        return s;
    Status s = serializeGuarded(tensors, [&](const void *p, size_t n) { (void)writer.write(p, n); });
    if (!s) {
        Error e = s.error();
        e.path = path;
        return e;
    }
    return writer.commit();  // reports the first write failure, if any
}

} // namespace fmw::weights
