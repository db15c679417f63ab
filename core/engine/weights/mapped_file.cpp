#include "engine/weights/mapped_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fmw::weights {

Result<std::shared_ptr<MappedFile>> MappedFile::open(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return makeError(ErrorCode::Io, std::string("cannot open: ") + std::strerror(errno), path);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const std::string why = S_ISDIR(st.st_mode) ? "is a folder, not a file" : std::strerror(errno);
        ::close(fd);
        return makeError(ErrorCode::Io, "cannot read: " + why, path);
    }
    std::shared_ptr<MappedFile> file(new MappedFile);
    file->m_path = path;
    file->m_size = static_cast<size_t>(st.st_size);
    if (file->m_size > 0) {
        // Private and writable: reading maps the page cache directly, an in-place write to a
        // tensor copies just that page and never reaches the file.
        void *p = ::mmap(nullptr, file->m_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            return makeError(ErrorCode::Io, std::string("cannot map into memory: ") + std::strerror(err), path);
        }
        file->m_data = static_cast<uint8_t *>(p);
        file->m_mapped = true;
    }
    ::close(fd);
    return file;
}

std::shared_ptr<MappedFile> MappedFile::fromBytes(const std::string &bytes, const std::string &path)
{
    std::shared_ptr<MappedFile> file(new MappedFile);
    file->m_path = path;
    file->m_size = bytes.size();
    // operator new[] aligns for any fundamental type, as mmap's page alignment does.
    file->m_data = new uint8_t[bytes.size() + 1];
    std::memcpy(file->m_data, bytes.data(), bytes.size());
    return file;
}

MappedFile::~MappedFile()
{
    if (m_mapped)
        ::munmap(m_data, m_size);
    else
        delete[] m_data;
}

} // namespace fmw::weights
