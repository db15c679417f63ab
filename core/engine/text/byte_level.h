#pragma once
// GPT-2 byte-level pre-tokenization: the regex split of a text segment into pre-tokens, and the
// reversible byte <-> printable-character map that lets BPE work on arbitrary bytes
// (openai/gpt-2 encoder.py `bytes_to_unicode`; HF tokenizers `pre_tokenizers::byte_level`).

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fmw::text {

class ByteLevel {
public:
    // Byte b -> the code point that stands for it in vocab/merges files.
    static char32_t byteToChar(unsigned char b);
    // Inverse of byteToChar; -1 for code points that stand for no byte.
    static int charToByte(char32_t cp);

    // UTF-8 bytes of `raw` mapped char by char ("a b" -> "aĠb").
    static std::string toByteLevel(std::string_view raw);
    // Inverse of toByteLevel. Returns false (and leaves *raw unspecified) when a character of
    // `mapped` stands for no byte, as added tokens written in plain text may.
    static bool fromByteLevel(std::string_view mapped, std::string *raw);

    // Splits valid UTF-8 `text` with the GPT-2 pattern
    //   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    // implemented by hand on code points. Appends [begin, end) byte ranges to *out.
    static void split(std::string_view text, std::vector<std::pair<size_t, size_t>> *out);
};

} // namespace fmw::text
