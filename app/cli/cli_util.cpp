#include "cli_util.h"

#include <QCoreApplication>
#include <QFile>

#include <cstdio>

namespace fmw::cli {

namespace {
// QCommandLineParser names the program after argv[0]; show the subcommand instead.
QString helpFor(const QCommandLineParser &parser, const QStringList &args)
{
    QString help = parser.helpText();
    const QStringList appArgs = QCoreApplication::arguments();
    if (!appArgs.isEmpty() && !args.isEmpty())
        help.replace(appArgs.constFirst(), args.constFirst());
    return help;
}
} // namespace

void out(const QString &text)
{
    std::fputs(text.toUtf8().constData(), stdout);
    std::fputc('\n', stdout);
}

void err(const QString &text)
{
    std::fputs(text.toUtf8().constData(), stderr);
    std::fputc('\n', stderr);
}

int fail(const Error &error)
{
    err(QStringLiteral("error: ") + QString::fromStdString(error.toString()));
    return ExitBadInput;
}

bool parseArgs(QCommandLineParser &parser, const QStringList &args, int expectedPositional, int *exitCode)
{
    const QCommandLineOption help(
        {QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    parser.addOption(help);
    if (!parser.parse(args)) {
        err(QStringLiteral("error: ") + parser.errorText());
        err(helpFor(parser, args));
        *exitCode = ExitUsage;
        return false;
    }
    if (parser.isSet(help)) {
        out(helpFor(parser, args));
        *exitCode = ExitOk;
        return false;
    }
    if (expectedPositional >= 0 && parser.positionalArguments().size() != expectedPositional) {
        err(QStringLiteral("error: expected %1 argument(s), got %2")
                .arg(expectedPositional)
                .arg(parser.positionalArguments().size()));
        err(helpFor(parser, args));
        *exitCode = ExitUsage;
        return false;
    }
    return true;
}

bool readInt(const QString &text, const QString &name, qint64 lo, qint64 hi, qint64 *value)
{
    bool ok = false;
    const qint64 v = text.toLongLong(&ok);
    if (!ok || v < lo || v > hi) {
        err(QStringLiteral("error: --%1 must be an integer in %2..%3, got '%4'")
                .arg(name)
                .arg(lo)
                .arg(hi)
                .arg(text));
        return false;
    }
    *value = v;
    return true;
}

Status forEachLine(const QString &path, const std::function<Status(QByteArrayView line, int number)> &visit)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(
            ErrorCode::Io, "cannot read the file: " + file.errorString().toStdString(), path.toStdString());
    const QByteArray content = file.readAll();
    const std::vector<jsonl::LineSpan> spans = jsonl::splitLines(content);
    for (size_t i = 0; i < spans.size(); ++i) {
        const QByteArrayView line(content.constData() + spans[i].offset, qsizetype(spans[i].length));
        if (Status s = visit(line, int(i) + 1); !s)
            return s;
    }
    return {};
}

Status forEachJsonlLine(
    const QString &path, const std::function<Status(const jsonl::ParsedLine &parsed, int number)> &visit)
{
    return forEachLine(path, [&](QByteArrayView line, int number) -> Status {
        const jsonl::ParsedLine parsed = jsonl::parseLine(line);
        if (parsed.status == jsonl::ParsedLine::Status::Blank)
            return {};
        return visit(parsed, number);
    });
}

} // namespace fmw::cli
