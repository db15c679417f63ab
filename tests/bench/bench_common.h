#pragma once
// What the model benchmarks share: run counts, medians, peak RSS and the Florence-2-base shape.

#include "bench_stats.h"
#include "engine/model/florence2/florence2_config.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace fmwbench {

// FMW_BENCH_RUNS, default 5.
inline int runs()
{
    const char *env = std::getenv("FMW_BENCH_RUNS");
    return env && std::atoi(env) > 0 ? std::atoi(env) : 5;
}

// This process's peak resident set (VmHWM), GiB.
inline double peakRssGiB()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0)
            return std::atof(line.c_str() + 6) / (1024.0 * 1024.0);
    }
    return 0;
}

// Florence-2-base (florence2-reference.md, "Real configurations") from the large config file's
// fields.
inline fmw::florence2::Florence2Config baseConfig()
{
    fmw::florence2::Florence2Config c;
    c.vision.dimEmbed = {128, 256, 512, 1024};
    c.vision.numHeads = {4, 8, 16, 32};
    c.vision.numGroups = {4, 8, 16, 32};
    c.vision.projectionDim = 768;
    c.text.dModel = 768;
    c.text.encoderLayers = c.text.decoderLayers = 6;
    c.text.encoderAttentionHeads = c.text.decoderAttentionHeads = 12;
    c.text.encoderFfnDim = c.text.decoderFfnDim = 3072;
    return c;
}

} // namespace fmwbench
