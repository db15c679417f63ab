#pragma once
// ROUGE-L exactly as pycocoevalcap's Rouge (rouge/rouge.py): per pair, the longest common
// subsequence with each reference gives precision lcs/|prediction| and recall lcs/|reference|; the
// maxima over references (taken separately) give F = (1 + b^2) P R / (R + b^2 P) with b = 1.2, or 0
// when either maximum is 0. Corpus score = mean of the pair scores.
// Sentences are split with Python's str.split(" ") as upstream does, so an empty sentence is one
// empty word and repeated spaces make empty words; tokenizer output never contains either.

#include "evaluation/text_tokenizer.h"

#include <vector>

namespace fmw::eval {

// Throws std::invalid_argument when a pair has no reference (upstream asserts); no pairs give
// empty per-sample scores and corpus 0.
ScalarScores rougeL(const std::vector<TextPair> &pairs, TextInput input = TextInput::Tokenized);

} // namespace fmw::eval
