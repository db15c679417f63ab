#include "engine/weights/atomic_file_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace fmw::weights {

namespace {

std::string parentFolder(const std::string &path)
{
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

Error ioError(const std::string &what, const std::string &path)
{
    return makeError(ErrorCode::Io, what + ": " + std::strerror(errno), path);
}

} // namespace

AtomicFileWriter::AtomicFileWriter(std::string path)
    : m_path(std::move(path))
{
}

AtomicFileWriter::~AtomicFileWriter()
{
    if (m_fd >= 0)
        ::close(m_fd);
    if (!m_committed && !m_tempPath.empty())
        ::unlink(m_tempPath.c_str());
}

Status AtomicFileWriter::open()
{
    std::string pattern = m_path + ".tmp-XXXXXX";
    m_fd = ::mkstemp(pattern.data());
    if (m_fd < 0)
        return ioError("cannot create a temporary file beside it", m_path);
    m_tempPath = pattern;
    // mkstemp creates 0600; give the file the permissions a plain create would.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(m_fd, 0666 & ~mask);
    return {};
}

Status AtomicFileWriter::write(const void *data, size_t size)
{
    if (!m_status)
        return m_status;
    if (m_fd < 0)
        return m_status = makeError(ErrorCode::Internal, "write before open()", m_path);
    const char *p = static_cast<const char *>(data);
    while (size > 0) {
        const ssize_t n = ::write(m_fd, p, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return m_status = ioError("cannot write", m_path);
        }
        p += n;
        size -= static_cast<size_t>(n);
        m_written += static_cast<size_t>(n);
    }
    return {};
}

Status AtomicFileWriter::commit()
{
    if (!m_status)
        return m_status;
    if (m_fd < 0)
        return makeError(ErrorCode::Internal, "commit before open()", m_path);
    if (::fsync(m_fd) != 0)
        return m_status = ioError("cannot flush to disk", m_path);
    const int fd = std::exchange(m_fd, -1);
    if (::close(fd) != 0)
        return m_status = ioError("cannot close", m_path);
    if (::rename(m_tempPath.c_str(), m_path.c_str()) != 0)
        return m_status = ioError("cannot replace", m_path);
    m_committed = true;
    // Make the rename itself durable.
    const int dir = ::open(parentFolder(m_path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return {};
}

Status writeFileAtomically(const std::string &path, const std::string &bytes)
{
    AtomicFileWriter writer(path);
    if (Status s = writer.open(); !s)
        return s;
    if (Status s = writer.write(bytes.data(), bytes.size()); !s)
        return s;
    return writer.commit();
}

} // namespace fmw::weights
