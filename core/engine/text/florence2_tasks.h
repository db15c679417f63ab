#pragma once
// Florence-2 task tokens: which prompt each becomes and how its generated text is parsed
// (upstream Florence2Processor: task_prompts_without_inputs, task_prompts_with_input,
// tasks_answer_post_processing_type; ../shared/docs/florence2-reference.md, "Prompts").

#include "common/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace fmw::text {

enum class PostProcessKind {
    PureText, // <CAPTION>, <OCR>, <REGION_TO_*>, any unknown task
    Ocr, // <OCR_WITH_REGION>: quad boxes
    DescriptionWithBboxes, // <OD>, <DENSE_REGION_CAPTION>
    PhraseGrounding, // <CAPTION_TO_PHRASE_GROUNDING>
    Polygons, // <REFERRING_EXPRESSION_SEGMENTATION>, <REGION_TO_SEGMENTATION>
    DescriptionWithBboxesOrPolygons, // <OPEN_VOCABULARY_DETECTION>
    Bboxes, // <REGION_PROPOSAL>
};

struct Florence2Task {
    const char *token; // "<OD>"
    const char *prompt; // fixed prompt, or a template with "{input}"
    bool takesInput;
    PostProcessKind kind;
};

// All 15 tasks in upstream's order: the 8 without input, then the 7 with input.
const std::vector<Florence2Task> &florence2Tasks();

// The task's parsing; unknown tasks are pure text, as upstream's `.get(task, 'pure_text')`.
PostProcessKind postProcessKindForTask(std::string_view task);

// upstream's name for a kind ("description_with_bboxes").
const char *postProcessKindName(PostProcessKind kind);

// Upstream `_construct_prompts` for one text: a task without input must be the whole text
// (InvalidArgument error otherwise); a task with input has every occurrence of its token
// removed and the rest put into its template, unstripped; any other text passes unchanged.
Result<std::string> constructPrompt(std::string_view text);

} // namespace fmw::text
