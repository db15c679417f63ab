#pragma once
// Where the trainer's examples come from: an indexable list of (image, prefix, suffix). Plain
// C++ (no torch, no Qt): core implements it over the JSONL datasets and the imaging code
// (core/training/jsonl_sample_source.h), tests over vectors in memory.

#include "common/result.h"
#include "engine/text/image_u8.h"

#include <cstddef>
#include <string>

namespace fmw::training {

struct RawSample {
    text::ImageU8 image; // decoded as the model sees it (8-bit; DICOM through its window)
    std::string prefix; // "<CAPTION>", "<OD>", or a custom prefix
    std::string suffix; // the target text
    std::string origin; // "train.jsonl:12 (images/demo-0001.png)", for messages
};

// One example's text side, known without decoding its image.
struct SampleText {
    std::string prefix;
    std::string suffix;
    std::string origin;
};

class SampleSource {
public:
    virtual ~SampleSource() = default;
    virtual size_t size() const = 0;
    // Texts only (cheap): what batching and preview need without pixels.
    virtual const SampleText &text(size_t index) const = 0;
    // Decodes example `index`. Thread-safe: the loader's workers call it concurrently. An
    // Error (unreadable or corrupt image) names the file; the loader skips and counts it.
    virtual Result<RawSample> load(size_t index) const = 0;
};

} // namespace fmw::training
