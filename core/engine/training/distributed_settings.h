#pragma once
// Where this process stands in a data-parallel run, in torchrun's terms. Plain C++ (no torch)
// so that the CLI's launcher and the GUI can use it.

#include "common/result.h"

#include <cstdint>
#include <string>

namespace fmw::training {

struct DistributedSettings {
    bool launched = false; // started as one rank of a run (the variables below were set)
    int64_t rank = 0; // RANK: 0 .. worldSize-1; rank 0 writes checkpoints and metrics
    int64_t worldSize = 1; // WORLD_SIZE: processes in the run, all machines together
    int64_t localRank = 0; // LOCAL_RANK: on this machine; picks the GPU (cuda:LOCAL_RANK)
    std::string masterAddr = "127.0.0.1"; // MASTER_ADDR: rank 0's machine (the TCPStore server)
    int64_t masterPort = 29500; // MASTER_PORT
    // dist_timeout: how long a collective (or the rendezvous) waits for the other ranks before
    // the run ends with an error on every rank. Rank 0's checkpoints and previews happen while
    // the others wait, so it must exceed the longest of those.
    double timeoutSeconds = 1800;
};

// The torchrun environment: RANK, WORLD_SIZE, LOCAL_RANK (default: RANK), MASTER_ADDR
// (default 127.0.0.1), MASTER_PORT (default 29500). Without RANK and WORLD_SIZE: a single
// process (launched false). Errors name the variable and its value.
Result<DistributedSettings> distributedFromEnvironment();

// A TCP port nobody listens on now, of 127.0.0.1 (the kernel's choice), for a run on one
// machine; 0 when none could be had.
int freeLoopbackPort();

} // namespace fmw::training
