#pragma once
// `florence-cli train --nproc N`: starts this machine's N ranks of a data-parallel run as
// child processes of the same program, with torchrun's environment (RANK, LOCAL_RANK,
// WORLD_SIZE, MASTER_ADDR, MASTER_PORT), and watches them: Ctrl+C reaches every rank (they
// agree to stop at one step and rank 0 writes the checkpoint); a rank that fails ends the
// run: the others notice within dist_timeout and exit with their own message, and any still
// running after that (plus a grace period) are killed.

#include <QString>
#include <QStringList>

namespace fmw::cli {

struct RankLaunch {
    QString program; // this executable
    QStringList arguments; // the rank's command line (after the program)
    int nproc = 1; // ranks on this machine
    int nnodes = 1; // machines
    int nodeRank = 0; // this machine's place: ranks nodeRank*nproc .. +nproc-1
    QString masterAddr = QStringLiteral("127.0.0.1");
    int masterPort = 0; // 0: a free port of this machine (one machine only)
    double timeoutSeconds = 1800; // the config's dist_timeout
};

// Runs the ranks to the end; returns 0 when all succeeded, else the first failure's exit code
// (128 + signal for a killed rank). Messages go to stderr.
int launchRanks(const RankLaunch &launch);

} // namespace fmw::cli
