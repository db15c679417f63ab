#pragma once
// Florence-2 post-processing: generated text (as batch_decode(skip_special_tokens=False)
// returns it) -> the task's structured answer. Reproduces upstream Florence2PostProcesser
// (processing_florence2.py, remote code) including its quirks: see
// ../shared/fixtures/florence2-tokenizer/NOTES.md §5 and golden_postprocess.jsonl.

#include "annotation/loc_codec.h"
#include "engine/text/florence2_answer.h"

#include <string_view>

namespace fmw::text {

// `imageSize` is the original image's (width, height), as upstream's image_size.
Florence2Answer postProcessGeneration(
    std::string_view generatedText, std::string_view task, loc::ImageSize imageSize);

// The same, with the parsing chosen directly.
Florence2Answer postProcessGeneration(
    std::string_view generatedText, PostProcessKind kind, loc::ImageSize imageSize);

} // namespace fmw::text
