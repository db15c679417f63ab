#pragma once
// A test-local safetensors reader (8-byte little-endian header length, JSON header, raw
// little-endian data) for reading golden tensors; the engine's own loader is tested elsewhere.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace fmwtest {

struct GoldenTensor {
    std::string dtype; // "F32", "U8", "I64", ...
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;

    template <typename T> std::vector<T> values() const
    {
        std::vector<T> out(bytes.size() / sizeof(T));
        std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(out.size() * sizeof(T)),
            reinterpret_cast<uint8_t *>(out.data()));
        return out;
    }
};

// All tensors of `path`; an empty map and *error set when the file is unreadable or malformed.
inline std::map<std::string, GoldenTensor> readSafetensors(const std::string &path, std::string *error)
{
    std::map<std::string, GoldenTensor> out;
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> file {std::istreambuf_iterator<char>(in), {}};
    if (file.size() < 8) {
        *error = path + ": too short for a safetensors file";
        return {};
    }
    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i)
        headerLen = (headerLen << 8) | file[static_cast<size_t>(i)];
    if (headerLen > file.size() - 8) {
        *error = path + ": header length past the end of the file";
        return {};
    }
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(
            file.begin() + 8, file.begin() + 8 + static_cast<std::ptrdiff_t>(headerLen));
        const size_t dataStart = 8 + headerLen;
        for (auto it = header.begin(); it != header.end(); ++it) {
            if (it.key() == "__metadata__")
                continue;
            GoldenTensor t;
            t.dtype = it.value().at("dtype").get<std::string>();
            t.shape = it.value().at("shape").get<std::vector<int64_t>>();
            const auto offsets = it.value().at("data_offsets").get<std::vector<uint64_t>>();
            if (offsets.size() != 2 || offsets[0] > offsets[1] || dataStart + offsets[1] > file.size()) {
                *error = path + ": tensor " + it.key() + " has offsets outside the file";
                return {};
            }
            t.bytes.assign(file.begin() + static_cast<std::ptrdiff_t>(dataStart + offsets[0]),
                file.begin() + static_cast<std::ptrdiff_t>(dataStart + offsets[1]));
            out.emplace(it.key(), std::move(t));
        }
    } catch (const nlohmann::json::exception &e) {
        *error = path + ": bad header: " + e.what();
        return {};
    }
    return out;
}

} // namespace fmwtest
