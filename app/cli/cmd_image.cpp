// florence-cli image-info / render: the imaging core's metadata summary and display pipeline.

#include "cli_commands.h"
#include "cli_util.h"

#include "imaging/image_loader.h"
#include "imaging/image_renderer.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <nlohmann/json.hpp>

#include <cmath>

namespace fmw::cli {

namespace {

using Json = nlohmann::ordered_json;

std::string str(const QString &s)
{
    return s.toStdString();
}

// PHI appears only as the names of the tags present, never their values.
Json metadataJson(const QString &file, const imaging::ImageMetadata &m)
{
    Json j;
    j["file"] = str(file);
    j["format"] = str(m.format);
    j["width"] = m.width;
    j["height"] = m.height;
    j["frames"] = m.frames;
    j["samples_per_pixel"] = m.samplesPerPixel;
    j["bits_allocated"] = m.bitsAllocated;
    j["bits_stored"] = m.bitsStored;
    j["signed"] = m.isSigned;
    j["photometric"] = str(m.photometric);
    j["rescale_slope"] = m.rescaleSlope;
    j["rescale_intercept"] = m.rescaleIntercept;
    j["window"] = m.window ? Json {{"center", m.window->center}, {"width", m.window->width}} : Json(nullptr);
    j["voi_lut"] = m.hasVoiLut;
    j["modality"] = str(m.modality);
    j["view_position"] = str(m.viewPosition);
    j["transfer_syntax"] = str(m.transferSyntax);
    j["transfer_syntax_name"] = str(m.transferSyntaxName);
    Json phi = Json::array();
    for (const QString &tag : m.phiTags)
        phi.push_back(str(tag));
    j["phi_tags"] = phi;
    return j;
}

QString orDash(const QString &s)
{
    return s.isEmpty() ? QStringLiteral("-") : s;
}

void printText(const QString &file, const imaging::ImageMetadata &m)
{
    out(QStringLiteral("file:            %1").arg(file));
    out(QStringLiteral("format:          %1").arg(m.format));
    out(QStringLiteral("size:            %1 x %2").arg(m.width).arg(m.height));
    out(QStringLiteral("frames:          %1").arg(m.frames));
    out(QStringLiteral("samples/pixel:   %1").arg(m.samplesPerPixel));
    out(QStringLiteral("bits:            %1 stored of %2 allocated, %3")
            .arg(m.bitsStored)
            .arg(m.bitsAllocated)
            .arg(m.isSigned ? QStringLiteral("signed") : QStringLiteral("unsigned")));
    out(QStringLiteral("photometric:     %1").arg(m.photometric));
    out(QStringLiteral("rescale:         slope %1, intercept %2")
            .arg(m.rescaleSlope)
            .arg(m.rescaleIntercept));
    out(QStringLiteral("window:          %1%2")
            .arg(m.window ? QStringLiteral("center %1, width %2").arg(m.window->center).arg(m.window->width)
                          : QStringLiteral("-"))
            .arg(m.hasVoiLut ? QStringLiteral(" (VOI LUT applied)") : QString()));
    out(QStringLiteral("modality:        %1").arg(orDash(m.modality)));
    out(QStringLiteral("view position:   %1").arg(orDash(m.viewPosition)));
    if (m.isDicom)
        out(QStringLiteral("transfer syntax: %1 (%2)").arg(m.transferSyntax, m.transferSyntaxName));
    out(QStringLiteral("PHI tags:        %1")
            .arg(m.phiTags.isEmpty() ? QStringLiteral("none") : m.phiTags.join(QStringLiteral(", "))));
}

// "CENTER,WIDTH" with a finite center and a width above 0.
bool parseWindow(const QString &text, imaging::Window *window)
{
    const QStringList parts = text.split(QLatin1Char(','));
    if (parts.size() != 2)
        return false;
    bool okCenter = false, okWidth = false;
    const double center = parts[0].trimmed().toDouble(&okCenter);
    const double width = parts[1].trimmed().toDouble(&okWidth);
    if (!okCenter || !okWidth || !std::isfinite(center) || !std::isfinite(width) || width <= 0)
        return false;
    *window = imaging::Window {center, width};
    return true;
}

} // namespace

int imageInfo(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Prints an image's size, bits, photometric interpretation, rescale, window, frames, "
                       "transfer syntax and which PHI tags it carries (names only, never values)."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("DICOM, PNG, JPEG or TIFF file"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(jsonOption);
    int exitCode = ExitOk;
    if (!parseArgs(parser, args, 1, &exitCode))
        return exitCode;
    const QString file = parser.positionalArguments().first();

    Result<imaging::ImageMetadata> meta = imaging::readMetadata(file);
    if (!meta)
        return fail(meta.error());
    if (parser.isSet(jsonOption))
        out(QString::fromStdString(metadataJson(file, *meta).dump(2)));
    else
        printText(file, *meta);
    return ExitOk;
}

int render(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes the 8-bit PNG the viewer shows: rescale, window (the file's, else min..max) or "
        "VOI LUT, MONOCHROME1 inversion. No metadata, hence no PHI, goes into the PNG."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("DICOM, PNG, JPEG or TIFF file"));
    const QCommandLineOption outOption(
        QStringLiteral("out"), QStringLiteral("PNG file to write."), QStringLiteral("PNG"));
    const QCommandLineOption windowOption(QStringLiteral("window"),
        QStringLiteral("Window in modality units, e.g. 40,400 (width > 0)."), QStringLiteral("CENTER,WIDTH"));
    const QCommandLineOption invertOption(QStringLiteral("invert"), QStringLiteral("Invert the display."));
    parser.addOptions({outOption, windowOption, invertOption});
    int exitCode = ExitOk;
    if (!parseArgs(parser, args, 1, &exitCode))
        return exitCode;
    if (!parser.isSet(outOption) || parser.value(outOption).isEmpty()) {
        err(QStringLiteral("error: --out PNG is required"));
        err(parser.helpText());
        return ExitUsage;
    }
    imaging::DisplaySettings settings;
    settings.invert = parser.isSet(invertOption);
    if (parser.isSet(windowOption)) {
        imaging::Window window;
        if (!parseWindow(parser.value(windowOption), &window)) {
            err(QStringLiteral("error: --window expects CENTER,WIDTH with numbers and WIDTH > 0, got '%1'")
                    .arg(parser.value(windowOption)));
            return ExitUsage;
        }
        settings.window = window;
    }

    const QString file = parser.positionalArguments().first();
    const QString outPath = parser.value(outOption);
    Result<imaging::DecodedImage> image = imaging::loadImage(file);
    if (!image)
        return fail(image.error());
    const Status written = imaging::exportPng(*image, outPath, false, settings);
    if (!written)
        return fail(written.error());
    const imaging::Window used = settings.window.value_or(imaging::defaultWindow(*image));
    const bool lut = !settings.window && image->meta.hasVoiLut;
    out(QStringLiteral("wrote %1 (%2 x %3, %4)")
            .arg(outPath)
            .arg(image->meta.width)
            .arg(image->meta.height)
            .arg(lut ? QStringLiteral("VOI LUT")
                     : QStringLiteral("window %1/%2").arg(used.center).arg(used.width)));
    return ExitOk;
}

} // namespace fmw::cli
