#include "engine/process_setup.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

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

void enableHugePageMalloc(int argc, char **argv)
{
    (void)argc;
    const char *off = std::getenv("FMW_HUGEPAGES");
    if ((off && std::strcmp(off, "0") == 0) || hugePageMallocEnabled() || std::getenv(kMarker))
        return;
    const char *tunables = std::getenv("GLIBC_TUNABLES");
    std::string value = tunables && *tunables ? std::string(tunables) + ":" + kTunable : kTunable;
    ::setenv("GLIBC_TUNABLES", value.c_str(), 1);
    ::setenv(kMarker, "1", 1);
    ::execv("/proc/self/exe", argv);
    // exec failed (no /proc): carry on with the default malloc
    ::unsetenv(kMarker);
}

} // namespace fmw::engine
