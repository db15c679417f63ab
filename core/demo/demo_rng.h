#pragma once
// Seeded random numbers for the demo generator whose outputs are identical on every platform
// and compiler: std::mt19937's raw stream is fully specified by the standard, the std::
// distributions are not, so every distribution here is written out by hand.

#include <cstdint>
#include <random>

namespace fmw::demo {

class DemoRng {
public:
    explicit DemoRng(std::uint32_t seed) : m_engine(seed) {}

    std::uint32_t next() { return static_cast<std::uint32_t>(m_engine()); }

    // Uniform integer in [0, n), n > 0, by rejection (no modulo bias).
    int below(int n);
    // Uniform double in [0, 1) with 53 random bits.
    double uniform();
    // Uniform double in [lo, hi).
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    // True with probability p.
    bool chance(double p) { return uniform() < p; }
    // Approximately standard normal (Irwin-Hall sum of four uniforms, rescaled to unit
    // variance): only + and * so the value is bit-identical everywhere, unlike Box-Muller's
    // log/cos whose last bits depend on the math library.
    double gaussian();

private:
    std::mt19937 m_engine;
};

// Mixes a seed with a stream index (splitmix64 finaliser), so sample i's stream does not
// depend on how many samples are generated.
std::uint32_t mixSeed(std::uint32_t seed, std::uint32_t stream, std::uint32_t salt = 0);
std::uint64_t splitMix64(std::uint64_t x);

} // namespace fmw::demo
