// make-demo-dataset: writes the synthetic chest X-ray demo dataset.

#include "cli_commands.h"
#include "cli_util.h"

#include "demo/demo_dataset.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

namespace fmw::cli {

int makeDemoDataset(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes a synthetic chest X-ray dataset (PNG and DICOM images, <CAPTION>, <DETAILED_CAPTION> "
        "and <OD> records, train/val/test splits) into a new or empty folder. The same options "
        "always give byte-identical files."));
    const QCommandLineOption outOpt(
        QStringLiteral("out"), QStringLiteral("Output folder (new or empty)."), QStringLiteral("DIR"));
    const QCommandLineOption countOpt(QStringLiteral("count"),
        QStringLiteral("Number of images (default 100)."), QStringLiteral("N"), QStringLiteral("100"));
    const QCommandLineOption seedOpt(QStringLiteral("seed"), QStringLiteral("Random seed (default 1)."),
        QStringLiteral("S"), QStringLiteral("1"));
    const QCommandLineOption sizeOpt(QStringLiteral("size"),
        QStringLiteral("Image width and height in pixels (default 512)."), QStringLiteral("PX"),
        QStringLiteral("512"));
    const QCommandLineOption dicomOpt(QStringLiteral("dicom-fraction"),
        QStringLiteral("Share of images written as DICOM, 0..1 (default 0.1)."), QStringLiteral("F"),
        QStringLiteral("0.1"));
    parser.addOptions({outOpt, countOpt, seedOpt, sizeOpt, dicomOpt});
    int exitCode = ExitOk;
    if (!parseArgs(parser, args, 0, &exitCode))
        return exitCode;
    if (!parser.isSet(outOpt) || parser.value(outOpt).isEmpty()) {
        err(QStringLiteral("error: --out DIR is required"));
        err(parser.helpText());
        return ExitUsage;
    }

    demo::DemoOptions options;
    qint64 value = 0;
    if (!readInt(parser.value(countOpt), QStringLiteral("count"), 1, demo::kMaxDemoCount, &value))
        return ExitUsage;
    options.count = int(value);
    if (!readInt(parser.value(seedOpt), QStringLiteral("seed"), 0, 0xFFFFFFFFLL, &value))
        return ExitUsage;
    options.seed = quint32(value);
    if (!readInt(
            parser.value(sizeOpt), QStringLiteral("size"), demo::kMinDemoSize, demo::kMaxDemoSize, &value))
        return ExitUsage;
    options.size = int(value);
    bool ok = false;
    options.dicomFraction = parser.value(dicomOpt).toDouble(&ok);
    if (!ok || options.dicomFraction < 0.0 || options.dicomFraction > 1.0) {
        err(QStringLiteral("error: --dicom-fraction must be a number in 0..1, got '%1'")
                .arg(parser.value(dicomOpt)));
        return ExitUsage;
    }

    const QString dir = parser.value(outOpt);
    const Result<demo::DemoSummary> written = demo::writeDemoDataset(dir, options);
    if (!written)
        return fail(written.error());
    const demo::DemoSummary &s = written.value();
    out(QStringLiteral(
        "wrote %1 synthetic images (%2 DICOM, %3 with findings) to %4: train %5, val %6, test %7")
            .arg(s.images)
            .arg(s.dicom)
            .arg(s.withFindings)
            .arg(dir)
            .arg(s.train)
            .arg(s.val)
            .arg(s.test));
    return ExitOk;
}

} // namespace fmw::cli
