#pragma once
// Lossless JSONL line codec: splits a file into lines without losing a byte (CRLF, a missing
// final newline), validates one line as strict JSON (RFC 8259) and UTF-8, extracts the
// `image`/`prefix`/`suffix` strings of a record, and re-serialises an edited record by
// replacing only the values that changed, so unknown fields, key order, number formats and
// escapes of everything else stay byte-identical.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <vector>

namespace fmw::jsonl {

enum class LineEnd : quint8 { None, Lf, CrLf };

struct LineSpan {
    qsizetype offset = 0;
    qsizetype length = 0; // without the terminator
    LineEnd end = LineEnd::None;
};

// Lines of `content`, split at '\n' (a '\r' just before it belongs to the terminator). The
// text after the last '\n', if any, is a last line with LineEnd::None.
std::vector<LineSpan> splitLines(QByteArrayView content);
QByteArrayView terminator(LineEnd end);

// Byte index of the first invalid UTF-8 sequence (overlong, surrogate, > U+10FFFF,
// truncated), or -1 if `bytes` is valid.
qsizetype findInvalidUtf8(QByteArrayView bytes);

// Where a value sits in a line: the quoted JSON string, quotes included.
struct Span {
    qsizetype offset = 0;
    qsizetype length = 0;
};

// What one line holds.
struct ParsedLine {
    enum class Status {
        Record, // a JSON object with string image, prefix and suffix
        Blank, // empty or white space only: kept, not a problem
        InvalidUtf8, // message names the byte column
        Malformed, // not a JSON object; message names the column and what was expected
        MissingField, // valid object, but image/prefix/suffix absent or not a string
    };
    Status status = Status::Malformed;
    QString message;
    QString image, prefix, suffix; // decoded only when parseLine() is asked to
    Span imageSpan, prefixSpan, suffixSpan; // set for Status::Record
};
// With `decode` false the three values are left empty: callers that decode lazily use the
// spans and decodeString().
ParsedLine parseLine(QByteArrayView line, bool decode = true);

// The text of a JSON string that parseLine() validated (quotes included).
QString decodeString(QByteArrayView quoted);

// `original` is the record's line as loaded (or empty for a record added since). Values
// equal to the ones in `original` keep their bytes; changed ones are written in the line's
// escape style (\u00e9-style escapes when the line is all ASCII with \u escapes, else UTF-8).
// A new record is `{"image": ..., "prefix": ..., "suffix": ...}`.
QByteArray serializeRecord(
    QByteArrayView original, const QString &image, const QString &prefix, const QString &suffix);

// `s` as a quoted JSON string.
QByteArray jsonString(const QString &s, bool asciiOnly = false);

} // namespace fmw::jsonl
