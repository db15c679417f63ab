#include "rank_launcher.h"

#include "cli_util.h"

#include "engine/training/distributed_settings.h"

#include <QByteArray>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

namespace fmw::cli {

namespace {

std::atomic<int> g_launcherInterrupts {0};

void onLauncherInterrupt(int)
{
    g_launcherInterrupts.fetch_add(1);
}

struct Rank {
    int rank = 0;
    pid_t pid = -1;
    bool running = false;
    int exitCode = 0; // 128 + signal when killed
    QString how; // "exited with code 1", "was killed by signal 9 (Killed)"
};

QString describeStatus(int status, int *code)
{
    if (WIFEXITED(status)) {
        *code = WEXITSTATUS(status);
        return QStringLiteral("exited with code %1").arg(*code);
    }
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        *code = 128 + sig;
        return QStringLiteral("was killed by signal %1 (%2)").arg(sig).arg(QString::fromLocal8Bit(strsignal(sig)));
    }
    *code = 1;
    return QStringLiteral("ended (status %1)").arg(status);
}

} // namespace

int launchRanks(const RankLaunch &launch)
{
    const int world = launch.nproc * launch.nnodes;
    int port = launch.masterPort > 0 ? launch.masterPort : fmw::training::freeLoopbackPort();
    if (port == 0)
        port = 29500;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const std::string threads = std::to_string(std::max(1u, cores / static_cast<unsigned>(launch.nproc)));

    err(QStringLiteral("starting %1 rank%2 on this machine (ranks %3-%4 of %5), rendezvous at %6:%7")
            .arg(launch.nproc)
            .arg(launch.nproc == 1 ? QString() : QStringLiteral("s"))
            .arg(launch.nodeRank * launch.nproc)
            .arg(launch.nodeRank * launch.nproc + launch.nproc - 1)
            .arg(world)
            .arg(launch.masterAddr)
            .arg(port));

    // argv and environment of every rank, built before forking
    std::vector<std::string> argStrings {launch.program.toStdString()};
    for (const QString &a : launch.arguments)
        argStrings.push_back(a.toStdString());
    std::vector<char *> argv;
    for (std::string &a : argStrings)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<Rank> ranks;
    struct sigaction action {};
    action.sa_handler = onLauncherInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    for (int local = 0; local < launch.nproc; ++local) {
        const int rank = launch.nodeRank * launch.nproc + local;
        std::vector<std::string> envStrings;
        const char *skip[] = {"RANK=", "LOCAL_RANK=", "WORLD_SIZE=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT="};
        bool hasThreads = false, hasOmp = false;
        for (char **e = environ; *e; ++e) {
            const std::string entry = *e;
            bool drop = false;
            for (const char *prefix : skip)
                drop = drop || entry.rfind(prefix, 0) == 0;
            hasThreads = hasThreads || entry.rfind("FMW_THREADS=", 0) == 0;
            hasOmp = hasOmp || entry.rfind("OMP_NUM_THREADS=", 0) == 0;
            if (!drop)
                envStrings.push_back(entry);
        }
        envStrings.push_back("RANK=" + std::to_string(rank));
        envStrings.push_back("LOCAL_RANK=" + std::to_string(local));
        envStrings.push_back("WORLD_SIZE=" + std::to_string(world));
        envStrings.push_back("LOCAL_WORLD_SIZE=" + std::to_string(launch.nproc));
        envStrings.push_back("MASTER_ADDR=" + launch.masterAddr.toStdString());
        envStrings.push_back("MASTER_PORT=" + std::to_string(port));
        // the cores are shared: each rank takes its part unless told otherwise (torchrun sets 1)
        if (!hasThreads)
            envStrings.push_back("FMW_THREADS=" + threads);
        if (!hasOmp)
            envStrings.push_back("OMP_NUM_THREADS=" + threads);
        std::vector<char *> envp;
        for (std::string &e : envStrings)
            envp.push_back(e.data());
        envp.push_back(nullptr);

        const pid_t pid = ::fork();
        if (pid < 0) {
            err(QStringLiteral("error: cannot start rank %1: %2").arg(rank).arg(QString::fromLocal8Bit(std::strerror(errno))));
            for (Rank &r : ranks)
                ::kill(r.pid, SIGKILL);
            return ExitBadInput;
        }
        if (pid == 0) {
            // its own process group: the terminal's Ctrl+C reaches the launcher only, which
            // passes it on once; and it dies with the launcher
            ::setpgid(0, 0);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            ::execve(argv[0], argv.data(), envp.data());
            std::fprintf(stderr, "error: cannot run %s: %s\n", argv[0], std::strerror(errno));
            ::_exit(127);
        }
        ranks.push_back({rank, pid, true, 0, QString()});
    }

    using Clock = std::chrono::steady_clock;
    int forwarded = 0;
    int firstFailure = 0;
    bool killing = false; // after a failure: kill what still runs at `deadline`
    Clock::time_point failedAt {}, deadline {};
    const auto grace = std::chrono::milliseconds(static_cast<int64_t>(launch.timeoutSeconds * 1000.0) + 30000);
    for (;;) {
        const int interrupts = g_launcherInterrupts.load();
        if (interrupts > forwarded) {
            // first: stop after the current step (checkpoint written); second: kill
            const int sig = interrupts >= 2 ? SIGKILL : SIGINT;
            if (forwarded == 0 && sig == SIGINT)
                err(QStringLiteral("stopping all ranks after the current step (Ctrl+C again to kill)..."));
            for (const Rank &r : ranks)
                if (r.running)
                    ::kill(r.pid, sig);
            forwarded = interrupts;
        }
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            for (Rank &r : ranks) {
                if (r.pid != pid)
                    continue;
                r.running = false;
                r.how = describeStatus(status, &r.exitCode);
                if (r.exitCode != 0) {
                    err(QStringLiteral("rank %1 (pid %2) %3").arg(r.rank).arg(r.pid).arg(r.how));
                    if (!firstFailure) {
                        firstFailure = r.exitCode;
                        failedAt = Clock::now();
                        deadline = failedAt + grace;
                        killing = true;
                        bool others = false;
                        for (const Rank &o : ranks)
                            others = others || o.running;
                        if (others)
                            err(QStringLiteral("the run has failed; waiting up to %1 s for the other ranks to notice")
                                    .arg(static_cast<int64_t>(launch.timeoutSeconds + 30)));
                    }
                }
            }
            continue;
        }
        bool any = false;
        for (const Rank &r : ranks)
            any = any || r.running;
        if (!any)
            break;
        if (killing && Clock::now() > deadline) {
            for (Rank &r : ranks) {
                if (!r.running)
                    continue;
                err(QStringLiteral("rank %1 (pid %2) still running after the failure; killed").arg(r.rank).arg(r.pid));
                ::kill(r.pid, SIGKILL);
            }
            killing = false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (firstFailure)
        err(QStringLiteral("run failed: all %1 ranks on this machine ended within %2 s of the first failure")
                .arg(launch.nproc)
                .arg(std::chrono::duration<double>(Clock::now() - failedAt).count(), 0, 'f', 1));
    return firstFailure;
}

} // namespace fmw::cli
