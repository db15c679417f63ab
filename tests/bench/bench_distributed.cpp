// Data parallel on the CPU: LoRA train steps of a Florence-2-base-shaped model (random
// weights; r=8 on q/k/v/out_proj + lm_head, 1.30 M trainable parameters; batch 1 per process,
// 768x768, prompt 8, labels 40; fp32) in 1 process and in 2 processes joined by Gloo over
// loopback (the trainer's Communicator: bucketed all-reduce of the LoRA gradients plus the
// step's loss/sample scalars), each process in its own child. Reports the step time, the
// all-reduce time per step (rank 0) and the scaling efficiency: throughput of 2 processes x 1
// thread over twice that of 1 process x 1 thread (the same per-process work, so 1.0 is
// perfect). Also the practical comparison on this machine: 2 processes x 1 thread against
// 1 process using both cores. Medians over FMW_BENCH_RUNS (default 5) steps after a warm-up in
// each child, then over FMW_BENCH_PROCESSES (default 3) rounds of the three set-ups.
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/florence2_for_conditional_generation.h"
#include "engine/process_setup.h"
#include "engine/runtime.h"
#include "engine/training/communicator.h"

#include "bench_common.h"

#include <ATen/ATen.h>
#include <torch/optim/adamw.h>
#include <torch/utils.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace fmw::florence2;
using fmwbench::baseConfig;
using fmwbench::runs;

namespace {

struct Figures {
    double stepS = 0; // median
    double allReduceMs = 0; // median, rank 0: the all-reduces alone (after a barrier)
    double waitMs = 0; // median, rank 0: the barrier, i.e. waiting for the slower rank
    long long trainable = 0;
    bool ok = false;
};

Figures measure(int rank, int world, int threads, int port)
{
    fmw::engine::configureThreads(threads);
    std::unique_ptr<fmw::training::Communicator> comm;
    if (world > 1) {
        fmw::training::DistributedSettings s;
        s.launched = true;
        s.rank = rank;
        s.worldSize = world;
        s.localRank = rank;
        s.masterPort = port;
        s.timeoutSeconds = 600;
        auto c = fmw::training::Communicator::connect(s, at::kCPU);
        if (!c) {
            std::fprintf(stderr, "rank %d: %s\n", rank, c.error().message.c_str());
            std::exit(1);
        }
        comm = std::move(*c);
    }
    fmwbench::LoraModel m = fmwbench::baseLoraModel(at::kFloat);
    Florence2ForConditionalGeneration &model = m.model;
    std::vector<at::Tensor> &trainable = m.trainable;
    Figures f;
    f.trainable = m.parameters;
    torch::optim::AdamW optimizer(trainable, torch::optim::AdamWOptions(1e-4));
    model->train();
    torch::manual_seed(1 + rank); // each rank its own batch
    ForwardInputs in;
    in.pixelValues = at::randn({1, 3, 768, 768});
    in.inputIds = at::randint(3, 50000, {1, 8});
    in.labels = at::randint(3, 50000, {1, 40});
    std::vector<double> steps, reduces, waits;
    for (int i = 0; i <= runs(); ++i) { // the first is a warm-up
        const auto start = std::chrono::steady_clock::now();
        optimizer.zero_grad();
        at::Tensor loss = model->forward(in).loss;
        loss.backward();
        double reduceS = 0, waitS = 0;
        if (comm) {
            // the barrier absorbs the ranks' skew, so that the all-reduces time the transfer
            comm->barrier();
            waitS = comm->takeCollectiveSeconds();
            std::vector<at::Tensor> grads;
            for (at::Tensor &t : trainable)
                grads.push_back(t.grad());
            comm->allReduceSum(grads);
            at::Tensor scalars = at::tensor({loss.item<double>(), 1.0, 0.0}, at::kDouble);
            comm->allReduceSum({scalars});
            reduceS = comm->takeCollectiveSeconds();
            for (at::Tensor &g : grads)
                g.div_(world);
        }
        optimizer.step();
        if (i == 0)
            continue;
        steps.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        reduces.push_back(reduceS * 1000.0);
        waits.push_back(waitS * 1000.0);
    }
    f.stepS = fmwbench::median(steps);
    f.allReduceMs = fmwbench::median(reduces);
    f.waitMs = fmwbench::median(waits);
    f.ok = true;
    return f;
}

// `world` children (ranks), each `threads` intra-op threads; rank 0's figures.
Figures measureInChildren(int world, int threads)
{
    const int port = fmw::training::freeLoopbackPort();
    int fd[2];
    if (::pipe(fd) != 0)
        std::exit(1);
    std::vector<pid_t> pids;
    for (int rank = 0; rank < world; ++rank) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::close(fd[0]);
            const Figures f = measure(rank, world, threads, port);
            if (rank == 0 && ::write(fd[1], &f, sizeof f) != sizeof f)
                ::_exit(1);
            ::_exit(0);
        }
        pids.push_back(pid);
    }
    ::close(fd[1]);
    Figures f;
    if (::read(fd[0], &f, sizeof f) != sizeof f)
        f.ok = false;
    ::close(fd[0]);
    for (pid_t pid : pids) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        f.ok = f.ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    return f;
}

} // namespace

int main(int argc, char **argv)
{
    fmw::engine::enableHugePageMalloc(argc, argv);
    const int cores = fmw::engine::configureThreads();
    std::printf("Data parallel LoRA train steps, Florence-2-base shape, random weights, r=8 on q/k/v/out_proj + "
                "lm_head, batch 1 per process, 768x768, prompt 8, labels 40, fp32; Gloo over loopback; median of "
                "%d steps after a warm-up; LibTorch %s; %d cores; huge-page malloc: %s\n",
        runs(), fmw::engine::torchVersion().c_str(), cores, fmw::engine::hugePageMallocEnabled() ? "on" : "off");
    std::fflush(stdout); // before forking: the children must not print it again

    // Step times differ by several per cent from one process to the next: several rounds of
    // the three set-ups, alternating, and the verdict on the medians.
    const char *env = std::getenv("FMW_BENCH_PROCESSES");
    const int rounds = env && std::atoi(env) > 0 ? std::atoi(env) : 3;
    std::vector<double> oneSteps, twoSteps, wideSteps, reduces, waits;
    long long trainable = 0;
    bool allOk = true;
    for (int round = 1; round <= rounds; ++round) {
        const Figures one = measureInChildren(1, 1);
        const Figures two = measureInChildren(2, 1);
        const Figures wide = measureInChildren(1, std::max(1, cores));
        allOk = allOk && one.ok && two.ok && wide.ok;
        std::printf("  round %d: 1 process x 1 thread %.3f s; 2 processes x 1 thread %.3f s (all-reduce %.1f ms, "
                    "waiting for the other rank %.1f ms); 1 process x %d threads %.3f s per step\n",
            round, one.stepS, two.stepS, two.allReduceMs, two.waitMs, cores, wide.stepS);
        std::fflush(stdout);
        oneSteps.push_back(one.stepS);
        twoSteps.push_back(two.stepS);
        wideSteps.push_back(wide.stepS);
        reduces.push_back(two.allReduceMs);
        waits.push_back(two.waitMs);
        trainable = two.trainable;
    }
    if (!allOk) {
        std::printf("FAIL: a child process failed\n");
        return 1;
    }
    const double one = fmwbench::median(oneSteps), two = fmwbench::median(twoSteps), wide = fmwbench::median(wideSteps);
    const double reduceMs = fmwbench::median(reduces);
    std::printf("  medians of %d rounds: 1 process x 1 thread %.3f s -> %.3f samples/s; 2 processes x 1 thread "
                "%.3f s -> %.3f samples/s; 1 process x %d threads %.3f s -> %.3f samples/s\n",
        rounds, one, 1.0 / one, two, 2.0 / two, cores, wide, 1.0 / wide);
    std::printf("  all-reduce per step: %.1f ms for %lld fp32 gradients (%.1f MB) + 3 scalars, %.2f %% of the step; "
                "waiting for the slower rank %.1f ms\n",
        reduceMs, trainable, trainable * 4.0 / 1e6, 100.0 * reduceMs / 1000.0 / two, fmwbench::median(waits));
    const double efficiency = (2.0 / two) / (2.0 * (1.0 / one));
    const double versusWide = (2.0 / two) / (1.0 / wide);
    const bool ok = efficiency >= 0.8;
    std::printf("  scaling efficiency, 2 processes vs 1 (1 thread each): %.2f (target >= 0.80) %s\n", efficiency,
        ok ? "ok" : "MISSED");
    std::printf("  2 processes x 1 thread vs 1 process x %d threads: %.2fx the throughput\n", cores, versusWide);
    std::printf("%s\n", ok ? "PASS" : "FAIL: target missed");
    return ok ? 0 : 1;
}
