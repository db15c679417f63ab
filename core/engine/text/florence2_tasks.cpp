#include "engine/text/florence2_tasks.h"

namespace fmw::text {

const std::vector<Florence2Task> &florence2Tasks()
{
    static const std::vector<Florence2Task> tasks = {
        {"<OCR>", "What is the text in the image?", false, PostProcessKind::PureText},
        {"<OCR_WITH_REGION>", "What is the text in the image, with regions?", false, PostProcessKind::Ocr},
        {"<CAPTION>", "What does the image describe?", false, PostProcessKind::PureText},
        {"<DETAILED_CAPTION>", "Describe in detail what is shown in the image.", false,
            PostProcessKind::PureText},
        {"<MORE_DETAILED_CAPTION>", "Describe with a paragraph what is shown in the image.", false,
            PostProcessKind::PureText},
        {"<OD>", "Locate the objects with category name in the image.", false,
            PostProcessKind::DescriptionWithBboxes},
        {"<DENSE_REGION_CAPTION>", "Locate the objects in the image, with their descriptions.", false,
            PostProcessKind::DescriptionWithBboxes},
        {"<REGION_PROPOSAL>", "Locate the region proposals in the image.", false, PostProcessKind::Bboxes},
        {"<CAPTION_TO_PHRASE_GROUNDING>", "Locate the phrases in the caption: {input}", true,
            PostProcessKind::PhraseGrounding},
        {"<REFERRING_EXPRESSION_SEGMENTATION>", "Locate {input} in the image with mask", true,
            PostProcessKind::Polygons},
        {"<REGION_TO_SEGMENTATION>", "What is the polygon mask of region {input}", true,
            PostProcessKind::Polygons},
        {"<OPEN_VOCABULARY_DETECTION>", "Locate {input} in the image.", true,
            PostProcessKind::DescriptionWithBboxesOrPolygons},
        {"<REGION_TO_CATEGORY>", "What is the region {input}?", true, PostProcessKind::PureText},
        {"<REGION_TO_DESCRIPTION>", "What does the region {input} describe?", true,
            PostProcessKind::PureText},
        {"<REGION_TO_OCR>", "What text is in the region {input}?", true, PostProcessKind::PureText},
    };
    return tasks;
}

PostProcessKind postProcessKindForTask(std::string_view task)
{
    for (const Florence2Task &t : florence2Tasks())
        if (task == t.token)
            return t.kind;
    return PostProcessKind::PureText;
}

const char *postProcessKindName(PostProcessKind kind)
{
    switch (kind) {
    case PostProcessKind::PureText:
        return "pure_text";
    case PostProcessKind::Ocr:
        return "ocr";
    case PostProcessKind::DescriptionWithBboxes:
        return "description_with_bboxes";
    case PostProcessKind::PhraseGrounding:
        return "phrase_grounding";
    case PostProcessKind::Polygons:
        return "polygons";
    case PostProcessKind::DescriptionWithBboxesOrPolygons:
        return "description_with_bboxes_or_polygons";
    case PostProcessKind::Bboxes:
        return "bboxes";
    }
    return "pure_text";
}

Result<std::string> constructPrompt(std::string_view text)
{
    std::string out(text);
    for (const Florence2Task &t : florence2Tasks()) {
        if (t.takesInput || out.find(t.token) == std::string::npos)
            continue;
        if (out != t.token)
            return makeError(ErrorCode::InvalidArgument,
                std::string("task token ") + t.token + " must be the whole text (it takes no input); got '"
                    + out + "'");
        out = t.prompt;
        break;
    }
    for (const Florence2Task &t : florence2Tasks()) {
        if (!t.takesInput || out.find(t.token) == std::string::npos)
            continue;
        const std::string token = t.token;
        std::string input;
        size_t pos = 0;
        for (size_t hit; (hit = out.find(token, pos)) != std::string::npos; pos = hit + token.size())
            input.append(out, pos, hit - pos);
        input.append(out, pos, std::string::npos);
        std::string prompt = t.prompt;
        prompt.replace(prompt.find("{input}"), 7, input);
        out = prompt;
        break;
    }
    return out;
}

} // namespace fmw::text
