#pragma once
// Statistics every benchmark reports, without the engine headers bench_common.h brings.

#include <algorithm>
#include <vector>

namespace fmwbench {

// The upper median (v[n/2] after sorting): a measured run, never an average of two.
inline double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace fmwbench
