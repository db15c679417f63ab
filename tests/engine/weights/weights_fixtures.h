#pragma once
// Plain C++ helpers for the weights tests (they also build without Qt): paths of the shared
// fixtures (a missing one aborts: never skip), of the committed data files, temporary
// folders and whole-file I/O.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <dirent.h>
#include <ftw.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace weightstest {

inline std::string sharedFile(const std::string &relative)
{
    const char *env = std::getenv("FMW_SHARED_DIR");
    const std::string path = std::string(env && *env ? env : FMW_SHARED_DIR) + "/" + relative;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        std::fprintf(stderr, "required shared fixture missing: %s (set FMW_SHARED_DIR)\n", path.c_str());
        std::abort();
    }
    return path;
}

// A file committed under tests/engine/weights/data/.
inline std::string dataFile(const std::string &name)
{
    return std::string(FMW_SOURCE_DIR) + "/tests/engine/weights/data/" + name;
}

inline std::string readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void writeFile(const std::string &path, const std::string &bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline bool fileExists(const std::string &path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// Names in a folder, sorted, without "." and "..".
inline std::vector<std::string> listFolder(const std::string &path)
{
    std::vector<std::string> names;
    if (DIR *dir = ::opendir(path.c_str())) {
        while (const dirent *e = ::readdir(dir)) {
            const std::string name = e->d_name;
            if (name != "." && name != "..")
                names.push_back(name);
        }
        ::closedir(dir);
    }
    std::sort(names.begin(), names.end());
    return names;
}

// A fresh folder under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
public:
    TempDir()
    {
        const char *tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/fmw-weights-XXXXXX";
        if (!::mkdtemp(pattern.data())) {
            std::perror("mkdtemp");
            std::abort();
        }
        m_path = pattern;
    }
    ~TempDir()
    {
        ::nftw(
            m_path.c_str(),
            [](const char *p, const struct stat *, int, struct FTW *) { return ::remove(p); }, 16,
            FTW_DEPTH | FTW_PHYS);
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    const std::string &path() const { return m_path; }
    std::string file(const std::string &name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

} // namespace weightstest
