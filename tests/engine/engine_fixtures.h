#pragma once
// Where engine tests find ../shared (the Florence-2 goldens), without Qt: the FMW_SHARED_DIR
// environment variable (set by CTest), else the path CMake compiled in. A missing folder stops
// the test binary loudly: engine parity tests must fail, never skip, without their fixtures.

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace fmwtest {

inline std::string engineSharedDir()
{
    const char *env = std::getenv("FMW_SHARED_DIR");
    std::string dir = env && *env ? env : FMW_SHARED_DIR;
    struct stat st { };
    if (::stat((dir + "/fixtures").c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        std::fprintf(stderr,
            "FAIL: the shared fixtures are missing: '%s/fixtures' does not exist. Set FMW_SHARED_DIR to the "
            "folder holding docs/ and fixtures/ (normally ../shared next to the source tree).\n",
            dir.c_str());
        std::abort();
    }
    return dir;
}

// Absolute path of `relative` inside the shared folder, e.g. "fixtures/florence2-tokenizer/tokenizer.json".
inline std::string engineSharedPath(const std::string &relative)
{
    return engineSharedDir() + "/" + relative;
}

// Every line of a JSONL file; stops the binary when the file cannot be read or parsed.
inline std::vector<nlohmann::json> readJsonLines(const std::string &path)
{
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "FAIL: cannot read %s\n", path.c_str());
        std::abort();
    }
    std::vector<nlohmann::json> rows;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        try {
            rows.push_back(nlohmann::json::parse(line));
        } catch (const nlohmann::json::exception &e) {
            std::fprintf(stderr, "FAIL: %s line %zu: %s\n", path.c_str(), rows.size() + 1, e.what());
            std::abort();
        }
    }
    return rows;
}

} // namespace fmwtest
