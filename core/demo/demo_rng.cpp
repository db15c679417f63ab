#include "demo/demo_rng.h"

namespace fmw::demo {

int DemoRng::below(int n)
{
    if (n <= 1)
        return 0;
    const std::uint32_t range = static_cast<std::uint32_t>(n);
    // Largest multiple of `range` that fits in 2^32; draws at or above it are rejected.
    const std::uint64_t limit = (std::uint64_t(1) << 32) / range * range;
    for (;;) {
        const std::uint32_t r = next();
        if (r < limit)
            return static_cast<int>(r % range);
    }
}

double DemoRng::uniform()
{
    const std::uint64_t hi = next() >> 5;  // 27 bits
    const std::uint64_t lo = next() >> 6;  // 26 bits
    return static_cast<double>((hi << 26) | lo) * (1.0 / 9007199254740992.0);  // / 2^53
}

double DemoRng::gaussian()
{
    // Sum of 4 U(0,1) has mean 2 and variance 4/12; scale by sqrt(3) for unit variance.
    const double s = uniform() + uniform() + uniform() + uniform();
    return (s - 2.0) * 1.7320508075688772;
}

std::uint64_t splitMix64(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

std::uint32_t mixSeed(std::uint32_t seed, std::uint32_t stream, std::uint32_t salt)
{
    const std::uint64_t key = (std::uint64_t(seed) << 32) | stream;
    return static_cast<std::uint32_t>(splitMix64(key ^ splitMix64(salt)) >> 32);
}

} // namespace fmw::demo
