#pragma once
// The bytes of one weights file, memory-mapped copy-on-write (MAP_PRIVATE, readable and
// writable) so tensors built on it cost no copy and may even be modified in place without
// touching the file. Held by shared_ptr: every tensor viewing the bytes keeps it alive.

#include "common/result.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace fmw::weights {

class MappedFile {
public:
    // Maps the whole file. An empty file gives an empty view (nothing to map).
    static Result<std::shared_ptr<MappedFile>> open(const std::string &path);
    // An in-memory copy of `bytes` under the name `path` (used in messages): for data that is
    // not in a file of its own, and for tests.
    static std::shared_ptr<MappedFile> fromBytes(const std::string &bytes, const std::string &path);

    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    uint8_t *data() const { return m_data; }
    size_t size() const { return m_size; }
    const std::string &path() const { return m_path; }

private:
    MappedFile() = default;

    uint8_t *m_data = nullptr;
    size_t m_size = 0;
    bool m_mapped = false;  // true: munmap on destruction; false: delete[]
    std::string m_path;
};

} // namespace fmw::weights
