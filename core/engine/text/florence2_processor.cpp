#include "engine/text/florence2_processor.h"

#include "engine/text/florence2_post_processor.h"
#include "engine/text/florence2_tasks.h"

#include <algorithm>
#include <sys/stat.h>

namespace fmw::text {

Florence2Processor::Florence2Processor(BpeTokenizer tokenizer, ImagePreprocessor images)
    : m_tokenizer(std::move(tokenizer))
    , m_images(std::move(images))
{
}

Result<Florence2Processor> Florence2Processor::fromDirectory(const std::string &modelDir)
{
    auto tokenizer = BpeTokenizer::fromDirectory(modelDir);
    if (!tokenizer)
        return tokenizer.error();
    const std::string configPath
        = modelDir + (modelDir.empty() || modelDir.back() == '/' ? "" : "/") + "preprocessor_config.json";
    struct stat st { };
    if (::stat(configPath.c_str(), &st) != 0)
        return Florence2Processor(*tokenizer, ImagePreprocessor());
    auto config = ImageProcessorConfig::fromJsonFile(configPath);
    if (!config)
        return config.error();
    return Florence2Processor(*tokenizer, ImagePreprocessor(*config));
}

Result<std::vector<int>> Florence2Processor::promptIds(std::string_view taskAndInput) const
{
    auto prompt = constructPrompt(taskAndInput);
    if (!prompt)
        return prompt.error();
    return m_tokenizer.encode(*prompt);
}

Result<PromptBatch> Florence2Processor::promptBatch(const std::vector<std::string> &tasksAndInputs) const
{
    PromptBatch batch;
    size_t longest = 0;
    for (const std::string &text : tasksAndInputs) {
        auto ids = promptIds(text);
        if (!ids)
            return ids.error();
        longest = std::max(longest, ids->size());
        batch.inputIds.push_back(std::move(*ids));
    }
    const int pad = m_tokenizer.padTokenId();
    for (std::vector<int> &ids : batch.inputIds) {
        std::vector<int> mask(ids.size(), 1);
        mask.resize(longest, 0);
        ids.resize(longest, pad);
        batch.attentionMask.push_back(std::move(mask));
    }
    return batch;
}

std::string Florence2Processor::decodeGenerated(const std::vector<int> &generatedIds) const
{
    return m_tokenizer.decode(generatedIds, false);
}

Florence2Answer Florence2Processor::postProcess(
    const std::vector<int> &generatedIds, std::string_view task, loc::ImageSize imageSize) const
{
    return postProcessGeneration(decodeGenerated(generatedIds), task, imageSize);
}

} // namespace fmw::text
