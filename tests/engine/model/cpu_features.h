#pragma once
// Whether this CPU runs the engine's hand-written kernels (AVX-512 F + BW + VL), the same test
// the kernels make: tests expect the kernels' paths exactly where this is true.

inline bool cpuHasAvx512()
{
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl");
#else
    return false;
#endif
}

// ScreenedArgmax's further need (AVX-512 VNNI).
inline bool cpuHasAvx512Vnni()
{
#if defined(__x86_64__)
    return cpuHasAvx512() && __builtin_cpu_supports("avx512vnni");
#else
    return false;
#endif
}
