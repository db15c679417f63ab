#pragma once
// Florence-2 image preprocessing up to the float values, without torch: gray/RGBA to RGB,
// exact resize to the configured size with Pillow's antialiased bicubic, rescale by 1/255
// (float64, then float32) and ImageNet normalization in float32, laid out CHW. This is
// CLIPImageProcessor as Florence2Processor configures it (../shared/docs/florence2-reference.md,
// "Image preprocessing"); pixel_values.h turns the result into the model's input tensor.

#include "common/result.h"
#include "engine/text/image_u8.h"

#include <array>
#include <string>
#include <vector>

namespace fmw::text {

// The fields of a HF preprocessor_config.json that Florence-2 uses.
struct ImageProcessorConfig {
    int width = 768;
    int height = 768;
    bool doResize = true;
    bool doRescale = true;
    bool doNormalize = true;
    double rescaleFactor = 1.0 / 255.0;
    std::array<double, 3> mean {0.485, 0.456, 0.406};
    std::array<double, 3> std {0.229, 0.224, 0.225};

    // Missing keys keep the defaults above. Errors for resample other than 3 (bicubic),
    // do_center_crop, and sizes that are not {"height", "width"}.
    static Result<ImageProcessorConfig> fromJsonFile(const std::string &path);
};

class ImagePreprocessor {
public:
    explicit ImagePreprocessor(ImageProcessorConfig config = {})
        : m_config(config)
    {
    }
    const ImageProcessorConfig &config() const { return m_config; }

    // 1 channel is replicated to RGB, 4 loses its alpha (PIL convert("RGB")); 3 is kept.
    static Result<ImageU8> toRgb(const ImageU8 &image);

    // toRgb, then the resize to width x height (when doResize).
    Result<ImageU8> resize(const ImageU8 &image) const;

    // Rescale and normalize an RGB image into CHW float32 planes (3 * h * w values).
    std::vector<float> normalize(const ImageU8 &rgb) const;

private:
    ImageProcessorConfig m_config;
};

} // namespace fmw::text
