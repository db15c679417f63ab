#include "engine/text/pixel_values.h"

#include <cstring>

namespace fmw::text {

Result<torch::Tensor> pixelValuesFromResized(
    const ImagePreprocessor &preprocessor, const std::vector<ImageU8> &resizedRgb)
{
    if (resizedRgb.empty())
        return makeError(ErrorCode::InvalidArgument, "no images to preprocess");
    const int w = resizedRgb.front().width;
    const int h = resizedRgb.front().height;
    auto out = torch::empty({static_cast<int64_t>(resizedRgb.size()), 3, h, w}, torch::kFloat32);
    for (size_t b = 0; b < resizedRgb.size(); ++b) {
        const ImageU8 &img = resizedRgb[b];
        if (!img.valid() || img.channels != 3 || img.width != w || img.height != h)
            return makeError(ErrorCode::InvalidArgument,
                "image " + std::to_string(b) + " is not a " + std::to_string(w) + "x" + std::to_string(h)
                    + " RGB image like the first one");
        const std::vector<float> chw = preprocessor.normalize(img);
        std::memcpy(out[static_cast<int64_t>(b)].data_ptr<float>(), chw.data(), chw.size() * sizeof(float));
    }
    return out;
}

Result<torch::Tensor> pixelValues(const ImagePreprocessor &preprocessor, const std::vector<ImageU8> &images)
{
    std::vector<ImageU8> resized;
    resized.reserve(images.size());
    for (size_t i = 0; i < images.size(); ++i) {
        auto r = preprocessor.resize(images[i]);
        if (!r)
            return makeError(r.error().code, "image " + std::to_string(i) + ": " + r.error().message);
        resized.push_back(std::move(*r));
    }
    return pixelValuesFromResized(preprocessor, resized);
}

} // namespace fmw::text
