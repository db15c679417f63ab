#pragma once
// The model's image input: a batch of images -> pixel_values [B, 3, H, W] float32 (CPU).
// The only torch-dependent step of the Florence-2 processor; everything before it is in
// ImagePreprocessor.

#include "common/result.h"
#include "engine/text/image_preprocessor.h"

#include <torch/torch.h>

#include <vector>

namespace fmw::text {

// Converts, resizes, rescales and normalizes every image; all end at the configured size.
Result<torch::Tensor> pixelValues(const ImagePreprocessor &preprocessor, const std::vector<ImageU8> &images);

// Rescales and normalizes already-resized RGB images of one size.
Result<torch::Tensor> pixelValuesFromResized(
    const ImagePreprocessor &preprocessor, const std::vector<ImageU8> &resizedRgb);

} // namespace fmw::text
