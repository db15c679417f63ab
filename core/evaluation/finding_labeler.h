#pragma once

// Rule-based labeler for the 14 CheXpert observations in chest X-ray report text.
//
// It approximates the CheXpert labeler (Irvin et al. 2019, itself built on NegBio) with
// hand-written phrase lists and surface-level negation / uncertainty cues instead of a
// dependency parse; it does NOT reproduce the CheXpert labeler or CheXbert, so clinical-efficacy
// numbers computed with it are comparable between runs of this tool, not with published tables.
//
// Rules in brief:
//  - Text is lower-cased (ASCII) and tokenised once. Sentences end at . ? ! ; : and blank lines;
//    clauses also end at "but", "however", "although", "though", "except", "whereas", "while",
//    "aside from", "and there". Cues never act across a sentence or clause boundary.
//  - Mentions: longest phrase match ("pleural thickening" is Pleural Other, not a bare
//    "thickening"; "pleural line", "mass effect" are nothing). Anatomical mentions ("heart size",
//    "cardiac silhouette", "mediastinal contours") only count with the nearest qualifier a few words
//    away in the clause: normal/unremarkable -> Negative, enlarged/widened/prominent -> Positive,
//    borderline/stable/unchanged -> Uncertain (CheXpert's reading of "stable heart size").
//  - Cues: negation ("no", "without", "negative for", "free of", "clear of", "absence of",
//    "rule out", "not seen", "has resolved", "removed"...) and uncertainty ("possible", "likely",
//    "may represent", "suggestive of", "concerning for", "questionable", "versus"...). A forward
//    cue covers later mentions up to the next cue or the clause end; a trailing cue ("... cannot be
//    excluded", "... has resolved") covers earlier mentions back to the previous cue; "not",
//    "likely", "resolved"... act forward when a mention follows them, else backward. Where both
//    reach a mention, the forward cue keeps only the first mention after it. "versus" marks the
//    nearest mention on either side. An explanatory cue inside a negation scope stays negated
//    ("no consolidation to suggest pneumonia"), as does "no suspicious mass".
//    Precedence follows CheXpert: "cannot exclude"-type and "no new" uncertainty > negation >
//    other uncertainty > positive. "No (interval) change" is not a negation.
//  - Report label per observation: Positive > Uncertain > Negative > NotMentioned over mentions.
//    "chf"/"heart failure" (positive or uncertain) also add an uncertain Cardiomegaly mention.
//  - No Finding is Positive when no observation other than Support Devices, and no "other"
//    finding (emphysema, granuloma, scoliosis, pericardial effusion...), is Positive or Uncertain;
//    otherwise NotMentioned (CheXpert never negates it). A report without any word is all
//    NotMentioned.
//
// Known gaps: no dependency parse, so long-range or nested syntax ("no X, small Y" negates Y;
// "X, Y is not seen" negates X) can be mislabelled; section headers are not used (the whole text
// is labelled, where CheXpert uses the impression only); non-ASCII text is only split on.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fmw::eval {

// CheXpert's column order.
enum class Observation : std::uint8_t {
    NoFinding,
    EnlargedCardiomediastinum,
    Cardiomegaly,
    LungOpacity,
    LungLesion,
    Edema,
    Consolidation,
    Pneumonia,
    Atelectasis,
    Pneumothorax,
    PleuralEffusion,
    PleuralOther,
    Fracture,
    SupportDevices,
};

inline constexpr std::size_t kObservationCount = 14;

// Ordered so that the report-level aggregate is the maximum.
enum class FindingLabel : std::uint8_t { NotMentioned, Negative, Uncertain, Positive };

using FindingLabels = std::array<FindingLabel, kObservationCount>;

constexpr std::size_t observationIndex(Observation o)
{
    return static_cast<std::size_t>(o);
}

const std::array<Observation, kObservationCount> &allObservations();

// CheXpert's names, e.g. "Enlarged Cardiomediastinum".
const char *observationName(Observation o);

// "positive", "negative", "uncertain", "not mentioned".
const char *findingLabelName(FindingLabel l);

// One labelled mention; begin/end are byte offsets into the report (for highlighting).
struct FindingMention {
    Observation observation = Observation::NoFinding;
    FindingLabel label = FindingLabel::NotMentioned;
    std::size_t begin = 0;
    std::size_t end = 0;
};

// Thread-safe: the phrase tables are built once and only read afterwards.
FindingLabels labelReport(std::string_view report);
std::vector<FindingLabels> labelReports(const std::vector<std::string> &reports);

// Mentions of the 13 observations behind labelReport() (No Finding is derived, never mentioned).
std::vector<FindingMention> findMentions(std::string_view report);

} // namespace fmw::eval
