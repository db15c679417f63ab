#pragma once
// The parsed result of one Florence-2 generation, shaped like the dict that upstream
// `Florence2Processor.post_process_generation` returns for the task (without the task key).
// Coordinates are original-image pixels in float32, exactly as upstream computes them.

#include "annotation/loc_codec.h"
#include "engine/text/florence2_tasks.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <string>
#include <vector>

namespace fmw::text {

struct Florence2Answer {
    PostProcessKind kind = PostProcessKind::PureText;

    std::string text; // PureText

    // DescriptionWithBboxes, Bboxes, PhraseGrounding, DescriptionWithBboxesOrPolygons
    std::vector<loc::BoxPx> bboxes; // x1, y1, x2, y2
    std::vector<std::string> bboxLabels;

    // Ocr
    std::vector<std::array<float, 8>> quadBoxes; // x1, y1, ..., x4, y4
    std::vector<std::string> quadLabels;

    // Polygons, DescriptionWithBboxesOrPolygons: per instance a list of flat [x, y, ...] polygons
    std::vector<std::vector<std::vector<float>>> polygons;
    std::vector<std::string> polygonLabels;

    // Upstream's JSON form: a string for pure text; {"bboxes", "labels"};
    // {"quad_boxes", "labels"}; {"polygons", "labels"};
    // {"bboxes", "bboxes_labels", "polygons", "polygons_labels"}.
    nlohmann::json toJson() const;
};

} // namespace fmw::text
