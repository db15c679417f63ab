#include "engine/process_setup.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace fmw::engine {

namespace {
constexpr const char *kTunable = "glibc.malloc.hugetlb=1";
constexpr const char *kMarker = "FMW_HUGEPAGES_REEXEC";
} // namespace

bool hugePageMallocEnabled()
{
    const char *tunables = std::getenv("GLIBC_TUNABLES");
    return tunables && std::strstr(tunables, kTunable);
}

void keepFreedMemoryForReuse()
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

void enableHugePageMalloc(int argc, char **argv)
{
    (void)argc;
    const char *off = std::getenv("FMW_HUGEPAGES");
    if (off && std::strcmp(off, "0") == 0)
        return;
    if (!hugePageMallocEnabled() && !std::getenv(kMarker)) {
        const char *tunables = std::getenv("GLIBC_TUNABLES");
        std::string value = tunables && *tunables ? std::string(tunables) + ":" + kTunable : kTunable;
        ::setenv("GLIBC_TUNABLES", value.c_str(), 1);
        ::setenv(kMarker, "1", 1);
        ::execv("/proc/self/exe", argv);
        // exec failed (no /proc): carry on with the default malloc
        ::unsetenv(kMarker);
    }
    keepFreedMemoryForReuse();
}

} // namespace fmw::engine
