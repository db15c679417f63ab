#pragma once
// Small helpers shared by the florence-cli subcommands: exit codes, output, argument parsing.

#include "common/result.h"

#include <QCommandLineParser>
#include <QString>
#include <QStringList>

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

} // namespace fmw::cli
