#include "engine/text/florence2_answer.h"

#include <nlohmann/json.hpp>

namespace fmw::text {

namespace {

template <size_t N> nlohmann::json boxesJson(const std::vector<std::array<float, N>> &boxes)
{
    nlohmann::json out = nlohmann::json::array();
    for (const auto &box : boxes) {
        nlohmann::json b = nlohmann::json::array();
        for (float v : box)
            b.push_back(static_cast<double>(v));
        out.push_back(std::move(b));
    }
    return out;
}

nlohmann::json polygonsJson(const std::vector<std::vector<std::vector<float>>> &instances)
{
    nlohmann::json out = nlohmann::json::array();
    for (const auto &instance : instances) {
        nlohmann::json polys = nlohmann::json::array();
        for (const auto &poly : instance) {
            nlohmann::json p = nlohmann::json::array();
            for (float v : poly)
                p.push_back(static_cast<double>(v));
            polys.push_back(std::move(p));
        }
        out.push_back(std::move(polys));
    }
    return out;
}

} // namespace

nlohmann::json Florence2Answer::toJson() const
{
    switch (kind) {
    case PostProcessKind::PureText:
        return text;
    case PostProcessKind::Ocr:
        return {{"quad_boxes", boxesJson(quadBoxes)}, {"labels", quadLabels}};
    case PostProcessKind::Polygons:
        return {{"polygons", polygonsJson(polygons)}, {"labels", polygonLabels}};
    case PostProcessKind::DescriptionWithBboxesOrPolygons:
        return {{"bboxes", boxesJson(bboxes)}, {"bboxes_labels", bboxLabels},
            {"polygons", polygonsJson(polygons)}, {"polygons_labels", polygonLabels}};
    case PostProcessKind::DescriptionWithBboxes:
    case PostProcessKind::PhraseGrounding:
    case PostProcessKind::Bboxes:
        break;
    }
    return {{"bboxes", boxesJson(bboxes)}, {"labels", bboxLabels}};
}

} // namespace fmw::text
