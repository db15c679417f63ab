#pragma once
// Process-wide LibTorch runtime settings. Plain C++ header (no torch, no Qt) so Qt code can
// call it without pulling torch into its translation units.

#include <string>

namespace fmw::engine {

// Sets LibTorch's intra-op thread count. `threads` <= 0 means: FMW_THREADS if set, else the
// machine's core count (LibTorch's own default here is 1). Returns the count in effect.
int configureThreads(int threads = 0);

int threadCount();

// "1.13.1" etc.
std::string torchVersion();

// Whether this build of LibTorch can use CUDA and sees at least one device.
bool cudaAvailable();

} // namespace fmw::engine
