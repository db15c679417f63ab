#include "demo/demo_dataset.h"

#include "annotation/loc_codec.h"
#include "demo/demo_rng.h"
#include "demo/dicom_writer.h"
#include "demo/finding_text.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSaveFile>
#include <QtConcurrent/QtConcurrentMap>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fmw::demo {

namespace {

// Stream ids of the plan's own random streams (samples use their index).
constexpr std::uint32_t kPlanStream = 0xFFFFFFFFu;
constexpr std::uint32_t kSaltSplit = 1;
constexpr std::uint32_t kSaltDicom = 2;

// Images generated in parallel per round; bounds memory for large counts.
constexpr int kChunk = 16;

std::vector<int> shuffled(int count, DemoRng &rng)
{
    std::vector<int> order(count);
    std::iota(order.begin(), order.end(), 0);
    for (int i = count - 1; i > 0; --i)
        std::swap(order[i], order[rng.below(i + 1)]);
    return order;
}

Status writeAtomically(const QString &path, const QByteArray &bytes)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::Io, "cannot create file: " + file.errorString().toStdString(),
                         path.toStdString());
    if (file.write(bytes) != bytes.size() || !file.commit())
        return makeError(ErrorCode::Io,
                         "cannot write file: " + file.errorString().toStdString()
                             + "; check free space and permissions",
                         path.toStdString());
    return {};
}

QByteArray recordLine(const QString &image, const char *prefix, const QString &suffix)
{
    nlohmann::ordered_json record;
    record["image"] = image.toStdString();
    record["prefix"] = prefix;
    record["suffix"] = suffix.toStdString();
    return QByteArray::fromStdString(record.dump()) + '\n';
}

QByteArray readme(const DemoOptions &o, const DemoSummary &s)
{
    return QStringLiteral(
               "SYNTHETIC DEMO DATASET - NOT REAL PATIENT DATA\n"
               "=============================================\n"
               "\n"
               "Every image here was drawn procedurally by `florence-cli make-demo-dataset`\n"
               "(Florence Medical Workbench). They resemble PA chest radiographs but show no real\n"
               "person, and no finding in them has any clinical meaning. Do not use them for\n"
               "anything but trying out the software.\n"
               "\n"
               "Generated with: --count %1 --seed %2 --size %3 (DICOM share %4).\n"
               "The same options always give byte-identical files.\n"
               "\n"
               "Contents: %5 images (%6 DICOM), %7 with findings; splits train %8, val %9, test %10.\n"
               "\n"
               "Layout\n"
               "  images/                      PNG (8-bit gray) and DICOM files\n"
               "  train.jsonl val.jsonl test.jsonl\n"
               "                               <CAPTION> (impression) and <OD> (boxes) records\n"
               "  train_detailed_caption.jsonl val_detailed_caption.jsonl test_detailed_caption.jsonl\n"
               "                               <DETAILED_CAPTION> (findings) records\n"
               "Each line is {\"image\": <path under images/>, \"prefix\": <task>, \"suffix\": <target>}.\n"
               "\n"
               "Findings: nodule (side, upper/middle/lower zone, small/large), pleural effusion\n"
               "(side, small = blunted costophrenic angle, large = meniscus), cardiomegaly,\n"
               "pneumothorax (side), and support devices (endotracheal tube, central line,\n"
               "pacemaker); 0 to 3 per image. Sides are the patient's: on these PA views the\n"
               "patient's right is on the image's left. The texts follow from the drawn findings\n"
               "with fixed templates, and each <OD> box encloses the pixels its finding changes\n"
               "(labels: nodule, pleural effusion, cardiomegaly, pneumothorax, endotracheal tube,\n"
               "central line, pacemaker). Images without findings have no <OD> record.\n"
               "\n"
               "DICOM files are DX, ViewPosition PA, 16 bits allocated with 12 or 16 stored,\n"
               "MONOCHROME2 or MONOCHROME1 (inverted stored values), with rescale slope/intercept\n"
               "and a window. Their patient and study attributes are deliberately fake\n"
               "(PatientName DEMO^SYNTHETIC, PatientID DEMO-nnnn, ...) so that PHI flagging can\n"
               "be tried; their UIDs are derived from the seed under the 2.25 (UUID) root.\n")
        .arg(o.count)
        .arg(o.seed)
        .arg(o.size)
        .arg(o.dicomFraction)
        .arg(s.images)
        .arg(s.dicom)
        .arg(s.withFindings)
        .arg(s.train)
        .arg(s.val)
        .arg(s.test)
        .toUtf8();
}

Status validate(const DemoOptions &o)
{
    if (o.count < 1 || o.count > kMaxDemoCount)
        return makeError(ErrorCode::InvalidArgument,
                         "count must be 1.." + std::to_string(kMaxDemoCount));
    if (o.size < kMinDemoSize || o.size > kMaxDemoSize)
        return makeError(ErrorCode::InvalidArgument, "size must be " + std::to_string(kMinDemoSize)
                                                         + ".." + std::to_string(kMaxDemoSize) + " pixels");
    if (!(o.dicomFraction >= 0.0 && o.dicomFraction <= 1.0))
        return makeError(ErrorCode::InvalidArgument, "DICOM fraction must be between 0 and 1");
    return {};
}

} // namespace

DemoOptions bundledDemoOptions()
{
    DemoOptions o;
    o.count = 48;
    o.seed = 2024;
    o.size = 256;
    o.dicomFraction = 0.1;
    return o;
}

DemoSample makeDemoSample(quint32 seed, int index, int size)
{
    DemoRng rng(mixSeed(seed, std::uint32_t(index)));
    DemoSample s;
    s.index = index;
    const DemoFindings findings = drawFindings(rng);
    s.spec = drawPhantomSpec(findings, rng);
    PhantomImage rendered = renderPhantom(s.spec, size);
    s.image = rendered.image;
    s.boxes = std::move(rendered.boxes);
    s.caption = impressionText(findings);
    s.detailedCaption = findingsText(findings);
    std::vector<loc::OdBox> od;
    for (const PhantomBox &b : s.boxes)
        od.push_back({b.label, loc::quantizeBox(b.box, {double(size), double(size)})});
    if (!od.empty())
        s.od = QString::fromStdString(loc::formatOd(od));
    return s;
}

cv::Mat toGray8(const cv::Mat &image)
{
    cv::Mat out(image.rows, image.cols, CV_8UC1);
    for (int y = 0; y < image.rows; ++y) {
        const float *in = image.ptr<float>(y);
        uchar *o = out.ptr<uchar>(y);
        for (int x = 0; x < image.cols; ++x)
            o[x] = uchar(std::lround(std::min(1.0, std::max(0.0, double(in[x]))) * 255.0));
    }
    return out;
}

std::vector<DemoImagePlan> planDemoDataset(const DemoOptions &o)
{
    const int n = std::max(0, o.count);
    std::vector<DemoImagePlan> plan(n);
    const int digits = std::max(4, int(QString::number(n).size()));

    DemoRng splitRng(mixSeed(o.seed, kPlanStream, kSaltSplit));
    const std::vector<int> order = shuffled(n, splitRng);
    int nVal = int(std::lround(0.1 * n));
    int nTest = nVal;
    if (n >= 3) {
        nVal = std::max(1, nVal);
        nTest = std::max(1, nTest);
    }
    for (int k = 0; k < n; ++k) {
        const int i = order[k];
        plan[i].split = k < n - nVal - nTest ? DemoSplit::Train
                        : k < n - nTest      ? DemoSplit::Val
                                             : DemoSplit::Test;
    }

    DemoRng dicomRng(mixSeed(o.seed, kPlanStream, kSaltDicom));
    const std::vector<int> dicomOrder = shuffled(n, dicomRng);
    const int nDicom = std::min(n, int(std::lround(o.dicomFraction * n)));
    for (int k = 0; k < nDicom; ++k)
        plan[dicomOrder[k]].dicom = true;

    int dicomSeen = 0;
    for (int i = 0; i < n; ++i) {
        DemoImagePlan &p = plan[i];
        const QString stem = QStringLiteral("demo-%1").arg(i + 1, digits, 10, QLatin1Char('0'));
        if (p.dicom) {
            const int variant = dicomSeen++ % 4;
            p.monochrome1 = variant == 1 || variant == 2;
            p.bitsStored = variant == 0 || variant == 2 ? 12 : 16;
            p.name = stem + QStringLiteral(".dcm");
        } else {
            p.name = stem + QStringLiteral(".png");
        }
    }
    return plan;
}

namespace {

// Writes the whole dataset into the (new) folder `dir`.
Result<DemoSummary> writeInto(const QString &dir, const DemoOptions &o)
{
    const QDir root(dir);
    if (!QDir().mkpath(root.filePath(QStringLiteral("images"))))
        return makeError(ErrorCode::Io, "cannot create the output folder; check permissions",
                         dir.toStdString());
    const std::vector<DemoImagePlan> plan = planDemoDataset(o);
    const QString imagesDir = root.filePath(QStringLiteral("images"));
    DemoSummary summary;
    summary.images = o.count;
    // Split file contents: [split][0] = caption/OD file, [split][1] = detailed captions.
    QByteArray files[3][2];

    for (int start = 0; start < o.count; start += kChunk) {
        std::vector<int> indices(std::min(kChunk, o.count - start));
        std::iota(indices.begin(), indices.end(), start);
        // Render and PNG-encode in parallel; write in index order.
        struct Rendered {
            DemoSample sample;
            QByteArray png;  // empty for DICOM images
        };
        const std::vector<Rendered> rendered = QtConcurrent::blockingMapped<std::vector<Rendered>>(
            indices, [&o, &plan](int i) {
                Rendered r{makeDemoSample(o.seed, i, o.size), {}};
                if (!plan[size_t(i)].dicom) {
                    std::vector<uchar> png;
                    const std::vector<int> params = {cv::IMWRITE_PNG_COMPRESSION, 9};
                    if (cv::imencode(".png", toGray8(r.sample.image), png, params))
                        r.png = QByteArray(reinterpret_cast<const char *>(png.data()), int(png.size()));
                }
                return r;
            });

        for (const Rendered &r : rendered) {
            const DemoSample &s = r.sample;
            const DemoImagePlan &p = plan[size_t(s.index)];
            const QString path = QDir(imagesDir).filePath(p.name);
            if (p.dicom) {
                DemoDicomOptions d;
                d.monochrome1 = p.monochrome1;
                d.bitsStored = p.bitsStored;
                d.seed = o.seed;
                d.index = s.index;
                if (Status st = writeDemoDicom(path, s.image, d); !st)
                    return st.error();
                ++summary.dicom;
            } else {
                if (r.png.isEmpty())
                    return makeError(ErrorCode::Internal, "PNG encoding failed", path.toStdString());
                if (Status st = writeAtomically(path, r.png); !st)
                    return st.error();
            }
            const int split = int(p.split);
            files[split][0] += recordLine(p.name, "<CAPTION>", s.caption);
            if (!s.od.isEmpty())
                files[split][0] += recordLine(p.name, "<OD>", s.od);
            files[split][1] += recordLine(p.name, "<DETAILED_CAPTION>", s.detailedCaption);
            summary.withFindings += s.findings().count() > 0 ? 1 : 0;
            (p.split == DemoSplit::Train ? summary.train
             : p.split == DemoSplit::Val ? summary.val
                                         : summary.test)++;
        }
    }

    const char *splitNames[3] = {"train", "val", "test"};
    for (int split = 0; split < 3; ++split) {
        const QString base = QString::fromLatin1(splitNames[split]);
        if (Status st = writeAtomically(root.filePath(base + QStringLiteral(".jsonl")), files[split][0]); !st)
            return st.error();
        if (Status st = writeAtomically(root.filePath(base + QStringLiteral("_detailed_caption.jsonl")),
                                        files[split][1]);
            !st)
            return st.error();
    }
    if (Status st = writeAtomically(root.filePath(QStringLiteral("README.txt")), readme(o, summary)); !st)
        return st.error();
    return summary;
}

} // namespace

Result<DemoSummary> writeDemoDataset(const QString &dir, const DemoOptions &o)
{
    if (Status valid = validate(o); !valid)
        return valid.error();
    const QString target = QFileInfo(dir).absoluteFilePath();
    const QDir existing(target);
    if (existing.exists()
        && !existing.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System))
        return makeError(ErrorCode::InvalidArgument,
                         "the output folder is not empty; choose a new folder (nothing was written)",
                         dir.toStdString());

    // Build the dataset in a sibling folder and rename it into place: the target is either
    // untouched or complete.
    const QString work = target + QStringLiteral(".partial-%1").arg(QCoreApplication::applicationPid());
    QDir(work).removeRecursively();
    Result<DemoSummary> written = writeInto(work, o);
    if (!written) {
        QDir(work).removeRecursively();
        return written.error();
    }
    if (existing.exists())
        QDir().rmdir(target);  // empty, checked above
    if (!QDir().rename(work, target)) {
        QDir(work).removeRecursively();
        return makeError(ErrorCode::Io, "cannot move the finished dataset into place; check permissions",
                         dir.toStdString());
    }
    return written;
}

} // namespace fmw::demo
