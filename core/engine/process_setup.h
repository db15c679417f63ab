#pragma once
// Process start-up for programs that run the model. Plain C++ (no torch, no Qt).

namespace fmw::engine {

// glibc's transparent-huge-page malloc (GLIBC_TUNABLES=glibc.malloc.hugetlb=1) made the
// Florence-2 CPU forward up to 2.3x faster on the machines we measured (fewer page faults on
// large activations), but glibc reads the setting only at process start. Call first thing in
// main(): when the variable lacks the setting and FMW_HUGEPAGES is not "0", it adds it and
// re-executes the program with the same arguments (once; the marker variable stops loops).
// Returns normally when nothing needs doing or the re-exec fails, after
// keepFreedMemoryForReuse() (also skipped when FMW_HUGEPAGES is "0").
void enableHugePageMalloc(int argc, char **argv);

// The model frees and allocates activations of tens of MB at every layer. glibc serves
// blocks above its mmap threshold (32 MB at most) with fresh mappings, every page faulted in
// and zeroed again: 45% of the 768 px vision tower's first stage on the machines we measured
// (stage 0 fp32: 0.71 s -> 0.37 s without). This serves every block from the heap and never
// returns freed heap to the system, so the pages are reused; the process keeps its peak.
void keepFreedMemoryForReuse();

// Whether this process runs with the huge-page malloc setting.
bool hugePageMallocEnabled();

} // namespace fmw::engine
