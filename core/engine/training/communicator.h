#pragma once
// The collectives a data-parallel trainer needs, on PyTorch's c10d: rendezvous through a
// TCPStore served by rank 0, then a Gloo process group (CPU tensors) or NCCL (CUDA tensors,
// when this LibTorch has it). Every collective blocks until done; a rank that died or stopped
// answering makes it throw on the others, with a message that says so (never a hang longer
// than the timeout).

#include "common/result.h"
#include "engine/training/distributed_settings.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

namespace fmw::training {

class Communicator {
public:
    // Joins the run: waits (up to the timeout) until all worldSize ranks have reached the store.
    static Result<std::unique_ptr<Communicator>> connect(const DistributedSettings &settings, const c10::Device &device);
    ~Communicator();
    Communicator(const Communicator &) = delete;
    Communicator &operator=(const Communicator &) = delete;

    int64_t rank() const;
    int64_t worldSize() const;
    const std::string &backend() const; // "gloo" or "nccl"

    // Sums the tensors over the ranks, in place. Tensors of one dtype travel together in
    // buckets of up to bucketBytes (torch DDP's 25 MiB), one collective per bucket.
    void allReduceSum(const std::vector<at::Tensor> &tensors);
    // Copies rank 0's values into every rank's tensors (any dtypes; sent as bytes), bucketed.
    void broadcastFromRoot(const std::vector<at::Tensor> &tensors);
    void barrier();

    // Seconds spent inside collectives since the last call (for per-step timing).
    double takeCollectiveSeconds();

    static constexpr size_t kBucketBytes = 25u << 20;

private:
    struct Impl;
    explicit Communicator(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace fmw::training
