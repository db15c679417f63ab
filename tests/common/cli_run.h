#pragma once
// Running the florence-cli executable (FMW_CLI_PATH, defined per test target) from a test.

#include <QByteArray>
#include <QProcess>
#include <QStringList>
#include <QtGlobal>

namespace fmwtest {

struct CliRun {
    int code = -1; // -1 when the process crashed
    QByteArray out;
    QByteArray err;
};

// Runs florence-cli with `args`, `input` on stdin; aborts the test binary if it does not finish
// within `timeoutMs` (a hang must fail, not stall CI).
inline CliRun runCli(const QStringList &args, const QByteArray &input = {}, int timeoutMs = 300000)
{
    QProcess p;
    p.start(QStringLiteral(FMW_CLI_PATH), args);
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs))
        qFatal("florence-cli %s did not finish", qPrintable(args.join(QLatin1Char(' '))));
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
        p.readAllStandardError()};
}

} // namespace fmwtest
