#pragma once
// Unicode character classes used by the GPT-2 pre-tokenizer regex: \p{L}, \p{N} and \s as
// Oniguruma (the regex engine behind Hugging Face `tokenizers`) and Rust's `regex` define them.

namespace fmw::text {

enum class CharClass : unsigned char {
    Other, // neither letter, number nor white space (punctuation, symbols, marks, controls)
    Letter, // \p{L}: general categories Lu, Ll, Lt, Lm, Lo
    Number, // \p{N}: Nd, Nl, No
    Space, // \s: U+0009..U+000D, U+0085 and categories Zs, Zl, Zp (the White_Space property)
};

CharClass charClass(char32_t cp);

inline bool isUnicodeWhitespace(char32_t cp)
{
    return charClass(cp) == CharClass::Space;
}

} // namespace fmw::text
