#pragma once
// Small helpers shared by the florence-cli subcommands: exit codes, output, argument parsing.

#include "common/result.h"
#include "dataset/jsonl_codec.h"

#include <QByteArrayView>
#include <QCommandLineParser>
#include <QString>
#include <QStringList>

#include <functional>

namespace fmw::cli {

// Exit codes of every subcommand.
enum Exit { ExitOk = 0, ExitBadInput = 1, ExitUsage = 2 };

void out(const QString &text); // stdout, with newline
void err(const QString &text); // stderr, with newline
int fail(const Error &error); // prints "error: path:line: message", returns ExitBadInput

// Parses `args` (args[0] = "florence-cli <command>") with `parser`, adding --help.
// On a usage error prints it and the help and returns false with *exitCode = ExitUsage;
// on --help prints help and returns false with *exitCode = ExitOk.
bool parseArgs(QCommandLineParser &parser, const QStringList &args, int expectedPositional, int *exitCode);

// Parses `text` as an integer in lo..hi into *value; otherwise prints
// "error: --<name> must be an integer in lo..hi, got '<text>'" and returns false.
bool readInt(const QString &text, const QString &name, qint64 lo, qint64 hi, qint64 *value);

// Reads the file at `path` and calls visit(line, number) for each line (1-based, blank lines
// included). Stops at the first error visit returns and returns it; an unreadable file is an
// Io error naming `path`.
Status forEachLine(const QString &path, const std::function<Status(QByteArrayView line, int number)> &visit);

// forEachLine() for dataset JSONL: each non-blank line is parsed (jsonl::parseLine); visit
// decides what a malformed one means (abort with an error, or report and skip).
Status forEachJsonlLine(
    const QString &path, const std::function<Status(const jsonl::ParsedLine &parsed, int number)> &visit);

} // namespace fmw::cli
