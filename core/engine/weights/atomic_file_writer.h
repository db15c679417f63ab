#pragma once
// Writes a file atomically: the bytes go to a temporary file beside the target, which is
// fsynced and renamed over the target only on commit(). Readers never see a half-written
// file, and a failed or abandoned write leaves the old file untouched.

#include "common/result.h"

#include <cstddef>
#include <string>

namespace fmw::weights {

class AtomicFileWriter {
public:
    explicit AtomicFileWriter(std::string path);
    ~AtomicFileWriter(); // removes the temporary file unless committed
    AtomicFileWriter(const AtomicFileWriter &) = delete;
    AtomicFileWriter &operator=(const AtomicFileWriter &) = delete;

    Status open();
    // After the first failure further writes are ignored and commit() reports that failure,
    // so callers that cannot stop mid-stream (a zip writer's callback) stay simple.
    Status write(const void *data, size_t size);
    Status commit();
    size_t bytesWritten() const { return m_written; }
    const std::string &path() const { return m_path; }

private:
    std::string m_path;
    std::string m_tempPath;
    int m_fd = -1;
    size_t m_written = 0;
    bool m_committed = false;
    Status m_status;
};

// The whole of `bytes` as `path`, through an AtomicFileWriter.
Status writeFileAtomically(const std::string &path, const std::string &bytes);

} // namespace fmw::weights
