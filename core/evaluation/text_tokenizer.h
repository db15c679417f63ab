#pragma once
// Report text -> the tokens pycocoevalcap scores: an approximation of what its PTBTokenizer wrapper
// produces (Stanford CoreNLP 3.4.1 `PTBTokenizer -preserveLines -lowerCase`, then dropping the tokens
// '' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ;). Plain C++17, no Qt.
//
// What tokenizeReport() does (a hand-written longest-match scanner after PTBLexer's rules):
//  - splits on whitespace (ASCII, NBSP, U+2000..U+200A, U+202F); tokens are lower-cased at the end,
//    as -lowerCase does;
//  - words: letters, digits, '_' and inner hyphens stay one token ("well-defined", "t2-weighted",
//    "5mm", "c5-c6", "1.5-cm");
//  - numbers: digits with inner '.', ',' or ':' stay one token ("2.5", "1,000", "10:30", ".5"),
//    a sign directly in front is kept ("-5"), "(5)" is one token; "2.5cm" -> "2.5" "cm";
//  - slashes: "and/or", "t2/flair", "1/2", "12/05/2020" stay one token with PTB3's escape ("and\/or");
//    a lone "/" becomes "\/", a run of '*' is escaped ("\*");
//  - clitics the PTB way: "patient's" -> "patient" "'s" ('m 'd 're 've 'll likewise), "don't" ->
//    "do" "n't", "can't" -> "ca" "n't"; "cannot" stays one token (3.4.1 predates splitAssimilations);
//    U+2019 counts as an apostrophe and the clitic is written with "'";
//  - periods are split from words ("cm." -> "cm"), except acronyms/single letters ("e.g.", "u.s.",
//    "a."), a few titles and "etc." / "vs." ("dr.", "mr.", "etc."), and a word directly followed
//    by , ; : ("cm.,") which PTB keeps as "cm.";
//  - brackets become -lrb- -rrb- -lsb- -rsb- -lcb- -rcb-. pycocoevalcap lower-cases before its
//    filter, whose list is upper-case ("-LRB-"), so these tokens survive into the scores, as here;
//  - dropped (PTB punctuation that pycocoevalcap removes): . ? ! , ; : quotes (" ' ` and curly ones),
//    "-", "--", runs of 3-4 hyphens, en/em dashes, "..." / ". . ." / U+2026; '\' and '|' are dropped
//    as PTB does; other symbols (% & + = $ # @ < > ~ ^) are their own tokens.
// Known or possible differences from the real PTBTokenizer (the CoreNLP jar was not available to
// check against; see tst_text_metrics.cpp):
//  - PTB's abbreviation lists (months, US states, company suffixes, "No.") are not applied: PTB
//    keeps e.g. "Mass." or "Jan." with its period (3.4.1 may do so for lower-case "mass." too);
//    here only the titles listed above keep theirs;
//  - URLs, e-mail addresses, SGML tags, phone numbers, "o'clock"-style apostrophe words, "'90s"
//    ("o'brien", "d'amico" are handled);
//  - non-ASCII letters are word characters; only ASCII and Latin-1 capitals are lower-cased (Java
//    lower-cases every script); other non-ASCII symbols (degree sign, multiplication sign) are
//    treated as letters, PTB may split or delete them;
//  - PTB 3.4.1 details that were recalled, not verified: bracket names for [ ] { } < >, whether
//    "(5)" and signed numbers are single tokens, the slash escaping.

#include <string>
#include <string_view>
#include <vector>

namespace fmw::eval {

// One prediction and its references; either raw report text or already tokenized (tokens joined by
// single spaces, as pycocoevalcap's scorers expect), depending on TextInput at the call site.
struct TextPair {
    std::string prediction;
    std::vector<std::string> references;
};

enum class TextInput { Tokenized, Raw };

// A metric with one value per pair plus the corpus value (ROUGE-L, CIDEr-D).
struct ScalarScores {
    double corpus = 0.0;
    std::vector<double> perSample;
};

// Tokens of raw report text, lower-cased, punctuation removed (see above).
std::vector<std::string> tokenizeReport(std::string_view text);
// The same tokens joined with single spaces: the form the scorers take.
std::string tokenizeReportJoined(std::string_view text);
// Every prediction and reference through tokenizeReportJoined().
std::vector<TextPair> tokenizePairs(const std::vector<TextPair> &raw);

} // namespace fmw::eval
