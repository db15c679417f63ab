#pragma once
// Florence2Processor: the text and image sides of upstream's Florence2Processor in one object
// for callers (CLI, workbench): task -> prompt ids, a padded prompt batch, images -> resized
// RGB (pixel_values.h makes the tensor), and generated ids -> text -> parsed answer.

#include "annotation/loc_codec.h"
#include "common/result.h"
#include "engine/text/bpe_tokenizer.h"
#include "engine/text/florence2_answer.h"
#include "engine/text/image_preprocessor.h"

#include <string>
#include <string_view>
#include <vector>

namespace fmw::text {

// Prompts of one batch, right-padded with <pad> as the tokenizer pads them when asked.
struct PromptBatch {
    std::vector<std::vector<int>> inputIds;
    std::vector<std::vector<int>> attentionMask; // 1 for real tokens, 0 for padding
};

class Florence2Processor {
public:
    Florence2Processor(BpeTokenizer tokenizer, ImagePreprocessor images);

    // A model folder: its tokenizer (see BpeTokenizer::fromDirectory) and its
    // preprocessor_config.json, or Florence-2's defaults (768 x 768, ImageNet) without one.
    static Result<Florence2Processor> fromDirectory(const std::string &modelDir);

    const BpeTokenizer &tokenizer() const { return m_tokenizer; }
    const ImagePreprocessor &imagePreprocessor() const { return m_images; }

    // constructPrompt, then <s> ... </s> ids.
    Result<std::vector<int>> promptIds(std::string_view taskAndInput) const;
    Result<PromptBatch> promptBatch(const std::vector<std::string> &tasksAndInputs) const;

    // The generated text as upstream's examples obtain it: batch_decode(skip_special_tokens=False)
    // with the tokenizer's configured clean-up.
    std::string decodeGenerated(const std::vector<int> &generatedIds) const;

    // decodeGenerated, then post_process_generation for `task` on the original image size.
    Florence2Answer postProcess(
        const std::vector<int> &generatedIds, std::string_view task, loc::ImageSize imageSize) const;

private:
    BpeTokenizer m_tokenizer;
    ImagePreprocessor m_images;
};

} // namespace fmw::text
