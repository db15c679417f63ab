#include "imaging/model_image.h"

#include "imaging/image_loader.h"
#include "imaging/image_renderer.h"

#include <QImage>

#include <algorithm>
#include <cstdint>

namespace fmw::imaging {

text::ImageU8 toModelImage(const DecodedImage &decoded)
{
    const cv::Mat &m = decoded.pixels;
    if (!decoded.meta.isDicom && (m.type() == CV_8UC1 || m.type() == CV_8UC3)) {
        text::ImageU8 image(m.cols, m.rows, m.channels());
        const size_t rowBytes = static_cast<size_t>(m.cols) * m.channels();
        for (int y = 0; y < m.rows; ++y)
            std::copy_n(m.ptr<uint8_t>(y), rowBytes, image.pixels.data() + static_cast<size_t>(y) * rowBytes);
        return image;
    }
    const QImage shown = render(decoded).convertToFormat(QImage::Format_Grayscale8);
    text::ImageU8 image(shown.width(), shown.height(), 1);
    for (int y = 0; y < shown.height(); ++y)
        std::copy_n(shown.constScanLine(y), shown.width(),
            image.pixels.data() + static_cast<size_t>(y) * shown.width());
    return image;
}

Result<text::ImageU8> loadModelImage(const QString &path)
{
    auto decoded = loadImage(path);
    if (!decoded)
        return decoded.error();
    text::ImageU8 image = toModelImage(*decoded);
    if (!image.valid())
        return makeError(
            ErrorCode::Internal, "the decoded image could not be rendered to 8 bits", path.toStdString());
    return image;
}

} // namespace fmw::imaging
