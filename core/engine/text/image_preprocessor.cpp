#include "engine/text/image_preprocessor.h"

#include "engine/text/pil_resize.h"

#include <nlohmann/json.hpp>

#include <fstream>

namespace fmw::text {

Result<ImageProcessorConfig> ImageProcessorConfig::fromJsonFile(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        return makeError(ErrorCode::Io, "cannot open the file for reading", path);
    nlohmann::json j;
    try {
        in >> j;
    } catch (const nlohmann::json::exception &e) {
        return makeError(ErrorCode::Parse, std::string("not valid JSON: ") + e.what(), path);
    }
    ImageProcessorConfig c;
    try {
        if (j.contains("size")) {
            const auto &size = j["size"];
            if (!size.is_object() || !size.contains("height") || !size.contains("width"))
                return makeError(ErrorCode::Unsupported,
                    "'size' must be {\"height\": H, \"width\": W} (Florence-2 resizes to an exact size); got "
                        + size.dump(),
                    path);
            c.height = size["height"].get<int>();
            c.width = size["width"].get<int>();
            if (c.height <= 0 || c.width <= 0)
                return makeError(ErrorCode::Parse, "'size' must be positive", path);
        }
        if (j.contains("resample") && !j["resample"].is_null() && j["resample"].get<int>() != 3)
            return makeError(ErrorCode::Unsupported,
                "only resample 3 (bicubic) is implemented; got " + j["resample"].dump(), path);
        if (j.value("do_center_crop", false))
            return makeError(
                ErrorCode::Unsupported, "do_center_crop is not supported (Florence-2 does not crop)", path);
        auto flag = [&](const char *key, bool def) {
            return j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : def;
        };
        c.doResize = flag("do_resize", c.doResize);
        c.doRescale = flag("do_rescale", c.doRescale);
        c.doNormalize = flag("do_normalize", c.doNormalize);
        if (j.contains("rescale_factor") && j["rescale_factor"].is_number())
            c.rescaleFactor = j["rescale_factor"].get<double>();
        for (const auto &[key, target] :
            {std::pair<const char *, std::array<double, 3> *> {"image_mean", &c.mean},
                std::pair<const char *, std::array<double, 3> *> {"image_std", &c.std}}) {
            if (!j.contains(key))
                continue;
            const auto &v = j[key];
            if (!v.is_array() || v.size() != 3)
                return makeError(ErrorCode::Parse, std::string("'") + key + "' must hold 3 numbers", path);
            for (size_t i = 0; i < 3; ++i)
                (*target)[i] = v[i].get<double>();
        }
    } catch (const nlohmann::json::exception &e) {
        return makeError(ErrorCode::Parse, std::string("unexpected value: ") + e.what(), path);
    }
    return c;
}

Result<ImageU8> ImagePreprocessor::toRgb(const ImageU8 &image)
{
    if (!image.valid())
        return makeError(
            ErrorCode::InvalidArgument, "the image is empty or its pixel buffer has the wrong size");
    if (image.channels == 3)
        return image;
    if (image.channels != 1 && image.channels != 4)
        return makeError(ErrorCode::Unsupported,
            "images must have 1 (gray), 3 (RGB) or 4 (RGBA) channels; got " + std::to_string(image.channels));
    ImageU8 rgb(image.width, image.height, 3);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x)
            for (int c = 0; c < 3; ++c)
                rgb.at(x, y, c) = image.at(x, y, image.channels == 1 ? 0 : c);
    return rgb;
}

Result<ImageU8> ImagePreprocessor::resize(const ImageU8 &image) const
{
    auto rgb = toRgb(image);
    if (!rgb || !m_config.doResize)
        return rgb;
    return resizeBicubicPil(*rgb, m_config.width, m_config.height);
}

std::vector<float> ImagePreprocessor::normalize(const ImageU8 &rgb) const
{
    const size_t plane = static_cast<size_t>(rgb.width) * rgb.height;
    std::vector<float> out(plane * 3);
    for (int c = 0; c < 3; ++c) {
        // transformers casts mean and std to the image dtype (float32) and computes in it.
        const auto mean = static_cast<float>(m_config.mean[c]);
        const auto stdev = static_cast<float>(m_config.std[c]);
        float *dst = out.data() + c * plane;
        for (size_t i = 0; i < plane; ++i) {
            const uint8_t v = rgb.pixels[i * 3 + c];
            float x
                = m_config.doRescale ? static_cast<float>(v * m_config.rescaleFactor) : static_cast<float>(v);
            if (m_config.doNormalize)
                x = (x - mean) / stdev;
            dst[i] = x;
        }
    }
    return out;
}

} // namespace fmw::text
