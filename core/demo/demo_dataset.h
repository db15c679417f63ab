#pragma once
// The synthetic chest X-ray demo dataset: one sample as a pure function of (seed, index, size),
// and a whole dataset folder in the users' layout (images/ + split JSONL files + README.txt).
// Equal options give byte-identical folders.

#include "common/result.h"
#include "demo/chest_phantom.h"
#include "demo/demo_findings.h"
#include "demo/phantom_spec.h"

#include <QString>
#include <QtGlobal>

#include <opencv2/core/mat.hpp>

#include <vector>

namespace fmw::demo {

struct DemoOptions {
    int count = 100;
    quint32 seed = 1;
    int size = 512;               // square images, pixels
    double dicomFraction = 0.1;   // share of images written as DICOM
};

// The options resources/demo-dataset (the bundled copy) is generated with; a test checks
// that the bundled files are exactly what these options give. Regenerate after any generator
// change with: florence-cli make-demo-dataset --out resources/demo-dataset --count 48
// --seed 2024 --size 256 --dicom-fraction 0.1   (into the emptied folder)
DemoOptions bundledDemoOptions();

inline constexpr int kMinDemoSize = 64;
inline constexpr int kMaxDemoSize = 4096;
inline constexpr int kMaxDemoCount = 100000;

// One synthetic radiograph with its findings, texts and boxes.
struct DemoSample {
    int index = 0;
    PhantomSpec spec;               // findings, anatomy and texture seeds
    cv::Mat image;                  // CV_32FC1 display brightness 0..1 (noise included)
    std::vector<PhantomBox> boxes;  // pixels, impression order
    QString caption;                // <CAPTION>: the impression
    QString detailedCaption;        // <DETAILED_CAPTION>: the findings
    QString od;                     // <OD>: labels + <loc_N> boxes; empty when there are none

    const DemoFindings &findings() const { return spec.findings; }
};

DemoSample makeDemoSample(quint32 seed, int index, int size);

// 8-bit gray image as written to PNG: round(brightness * 255).
cv::Mat toGray8(const cv::Mat &image);

enum class DemoSplit { Train, Val, Test };

// Where each image goes and how it is stored, decided from seed and count alone.
struct DemoImagePlan {
    QString name;          // file name under images/, e.g. "demo-0007.dcm"
    DemoSplit split = DemoSplit::Train;
    bool dicom = false;
    bool monochrome1 = false;
    int bitsStored = 8;
};
// About 80/10/10 (val and test get at least one image each from 3 images on). The k-th
// DICOM in index order is MONOCHROME2/12, MONOCHROME1/16, MONOCHROME1/12, MONOCHROME2/16,
// repeating, so any four DICOMs cover both photometrics and both depths.
std::vector<DemoImagePlan> planDemoDataset(const DemoOptions &options);

struct DemoSummary {
    int images = 0;
    int dicom = 0;
    int train = 0;
    int val = 0;
    int test = 0;
    int withFindings = 0;
};

// Writes the dataset into `dir`, which must be missing or empty (nothing is ever overwritten).
// The folder is built beside `dir` and renamed into place, so `dir` ends up complete or not at all.
Result<DemoSummary> writeDemoDataset(const QString &dir, const DemoOptions &options);

} // namespace fmw::demo
