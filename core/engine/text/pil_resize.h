#pragma once
// Resampling identical to Pillow's `Image.resize(size, Image.BICUBIC)` (reducing_gap=None) on
// 8-bit images: separable two-pass convolution (horizontal first, rounded to 8 bits in between),
// bicubic kernel a = -0.5 whose support widens by the downscale factor (antialiasing), weights
// normalized per output pixel and applied in 22-bit fixed point, each rounded as Pillow does.
// Written from the description of Pillow's libImaging/Resample.c.

#include "engine/text/image_u8.h"

namespace fmw::text {

// Resizes every channel of `in` to outWidth x outHeight. Precondition: in.valid(), sizes > 0.
ImageU8 resizeBicubicPil(const ImageU8 &in, int outWidth, int outHeight);

} // namespace fmw::text
