#pragma once
// Word-level diff of a generated text against its reference: a longest-common-subsequence
// alignment of white-space separated words, and its rendering as HTML with the removed and
// added words highlighted, for the compare view's side-by-side panel. Plain C++17.

#include <string>
#include <vector>

namespace fmw::eval {

struct DiffOp {
    enum class Kind { Equal, Removed, Added }; // Removed: only in the reference; Added: only generated
    Kind kind = Kind::Equal;
    std::string word;
};

// Words of `reference` and `generated` aligned by an LCS over words (exact, case-sensitive).
// Ties prefer removals before additions, so a replaced word reads "old" then "new". Common
// leading and trailing words are matched first, which keeps long, similar reports cheap; if
// the rest is still huge (over ~4M cells) it is reported as all removed then all added.
std::vector<DiffOp> diffWords(const std::string &reference, const std::string &generated);

// One side of the diff as HTML (text escaped): `reference` side shows equal and removed
// words, the generated side equal and added ones; changed words are wrapped in
// <span class="removed"> / <span class="added"> with an inline background colour.
std::string diffHtml(const std::vector<DiffOp> &ops, bool referenceSide);

// `text` with &, <, >, " escaped for HTML.
std::string htmlEscape(const std::string &text);

} // namespace fmw::eval
