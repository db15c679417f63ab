#pragma once
// UTF-8 helpers for the tokenizer: code point iteration over valid text, encoding, and
// lossy repair of arbitrary bytes exactly as Rust's String::from_utf8_lossy does it.

#include <cstddef>
#include <string>
#include <string_view>

namespace fmw::text {

// Decodes the code point starting at `pos` of *valid* UTF-8 text and sets *len to its byte
// length. Precondition: `s` is valid UTF-8 (see toValidUtf8) and pos < s.size().
char32_t decodeUtf8At(std::string_view s, size_t pos, size_t *len);

void appendUtf8(std::string &out, char32_t cp);

// Length of the well-formed UTF-8 sequence at `pos` (1..4), or 0 if the bytes there do not
// start one; *maximalPrefix then holds how many bytes form the longest valid-so-far prefix
// (at least 1), which is what one U+FFFD replaces.
size_t validSequenceLength(std::string_view s, size_t pos, size_t *maximalPrefix);

bool isValidUtf8(std::string_view s);

// Replaces each maximal invalid subsequence with U+FFFD (Unicode's "substitution of maximal
// subparts", the policy of Rust's from_utf8_lossy and of Python's errors="replace").
std::string toValidUtf8(std::string_view bytes);

} // namespace fmw::text
