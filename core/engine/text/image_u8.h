#pragma once
// An 8-bit image in host memory, rows top to bottom, channels interleaved (HWC), as the
// Florence-2 image pipeline receives it: 1 channel (gray) or 3 (RGB), possibly 4 (RGBA).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fmw::text {

struct ImageU8 {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<uint8_t> pixels; // height * width * channels bytes

    ImageU8() = default;
    ImageU8(int w, int h, int c)
        : width(w)
        , height(h)
        , channels(c)
        , pixels(static_cast<size_t>(w) * h * c)
    {
    }

    uint8_t &at(int x, int y, int c) { return pixels[(static_cast<size_t>(y) * width + x) * channels + c]; }
    uint8_t at(int x, int y, int c) const
    {
        return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
    }
    bool valid() const
    {
        return width > 0 && height > 0 && channels > 0
            && pixels.size() == static_cast<size_t>(width) * height * channels;
    }
};

} // namespace fmw::text
