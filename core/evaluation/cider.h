#pragma once
// CIDEr-D exactly as pycocoevalcap's Cider (cider/cider_scorer.py, n = 4, sigma = 6):
//  - document frequency df(g) = number of pairs whose references (any of them) contain n-gram g;
//    the reference corpus is the pairs given, so the score of a pair depends on the whole corpus;
//  - tf-idf weight of g in a sentence = count(g) * (log(N) - log(max(1, df(g)))), N = number of pairs;
//  - per n and reference: sum over the prediction's n-grams of min(w_pred, w_ref) * w_ref, divided
//    by both vector norms when neither is 0, times exp(-delta^2 / (2 sigma^2)) where delta is the
//    difference of the two sentences' *bigram* counts (upstream's `length`, a quirk kept on purpose);
//  - pair score = 10 * mean over n of (sum over references) / number of references;
//    corpus score = mean of the pair scores.
// Input sentences are split on whitespace like Python's str.split().

#include "evaluation/text_tokenizer.h"

#include <vector>

namespace fmw::eval {

// Throws std::invalid_argument when a pair has no reference (upstream divides by zero); no pairs
// give empty per-sample scores and corpus 0.
ScalarScores cider(
    const std::vector<TextPair> &pairs, TextInput input = TextInput::Tokenized, double sigma = 6.0);

} // namespace fmw::eval
