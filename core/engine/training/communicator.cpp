#include "engine/training/communicator.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <ATen/ATen.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>

namespace fmw::training {

namespace {

Result<int64_t> integerVariable(const char *name, int64_t fallback, bool *present = nullptr)
{
    const char *value = std::getenv(name);
    if (present)
        *present = value && *value;
    if (!value || !*value)
        return fallback;
    char *end = nullptr;
    const long long v = std::strtoll(value, &end, 10);
    if (*end != '\0' || v < 0)
        return makeError(ErrorCode::InvalidArgument,
            std::string("environment variable ") + name + "='" + value + "' is not a non-negative integer");
    return static_cast<int64_t>(v);
}

// The first line of a library message (Gloo's carry a source location and a backtrace).
std::string firstLine(const std::string &text)
{
    const size_t end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

bool isLoopback(const std::string &host)
{
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

} // namespace

int freeLoopbackPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

Result<DistributedSettings> distributedFromEnvironment()
{
    DistributedSettings s;
    bool hasRank = false, hasWorld = false, hasLocal = false;
    auto rank = integerVariable("RANK", 0, &hasRank);
    auto world = integerVariable("WORLD_SIZE", 1, &hasWorld);
    if (!rank)
        return rank.error();
    if (!world)
        return world.error();
    if (hasRank != hasWorld)
        return makeError(ErrorCode::InvalidArgument,
            std::string("RANK and WORLD_SIZE must be set together (only ") + (hasRank ? "RANK" : "WORLD_SIZE")
                + " is)");
    if (!hasRank)
        return s;
    auto local = integerVariable("LOCAL_RANK", *rank, &hasLocal);
    auto port = integerVariable("MASTER_PORT", 29500);
    if (!local)
        return local.error();
    if (!port)
        return port.error();
    if (*world < 1 || *rank >= *world)
        return makeError(ErrorCode::InvalidArgument,
            "RANK=" + std::to_string(*rank) + " is not below WORLD_SIZE=" + std::to_string(*world));
    if (*port < 1 || *port > 65535)
        return makeError(ErrorCode::InvalidArgument, "MASTER_PORT=" + std::to_string(*port) + " is not a TCP port");
    s.launched = true;
    s.rank = *rank;
    s.worldSize = *world;
    s.localRank = *local;
    s.masterPort = *port;
    if (const char *addr = std::getenv("MASTER_ADDR"); addr && *addr)
        s.masterAddr = addr;
    return s;
}

struct Communicator::Impl {
    DistributedSettings settings;
    std::string backend;
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroup> group;
    double collectiveSeconds = 0;

    // Runs one collective; a failure (a rank gone, a timeout) becomes one clear message.
    template <typename F>
    void collective(const char *what, F &&call)
    {
        const auto start = std::chrono::steady_clock::now();
        try {
            call()->wait();
        } catch (const std::exception &e) {
            throw std::runtime_error("rank " + std::to_string(settings.rank) + " of "
                + std::to_string(settings.worldSize) + ": the " + what
                + " failed: another rank died or stopped answering (dist_timeout "
                + std::to_string(static_cast<int64_t>(settings.timeoutSeconds)) + " s). " + backend + ": "
                + firstLine(e.what()));
        }
        collectiveSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

    // Tensors in buckets: runs `run(flat)` on each bucket's concatenation (1-d, one dtype
    // within a bucket) and copies a concatenation's result back into its members.
    template <typename F>
    void bucketed(const std::vector<at::Tensor> &tensors, bool asBytes, F &&run)
    {
        std::map<c10::ScalarType, std::vector<at::Tensor>> byType;
        // non-contiguous tensors (some gradients of full fine-tuning) travel as contiguous
        // copies, written back afterwards
        std::vector<std::pair<at::Tensor, at::Tensor>> copies;
        for (const at::Tensor &t : tensors) {
            if (!t.defined() || t.numel() == 0)
                continue;
            at::Tensor dense = t.detach(); // shares the memory (parameters may require grad)
            if (!dense.is_contiguous()) {
                dense = dense.contiguous();
                copies.emplace_back(t.detach(), dense);
            }
            const at::Tensor flat = asBytes ? dense.view({-1}).view(at::kByte) : dense.view({-1});
            byType[flat.scalar_type()].push_back(flat);
        }
        for (auto &[type, flats] : byType) {
            (void)type;
            size_t first = 0;
            while (first < flats.size()) {
                size_t last = first, bytes = 0;
                while (last < flats.size() && (last == first || bytes + flats[last].nbytes() <= kBucketBytes))
                    bytes += flats[last++].nbytes();
                std::vector<at::Tensor> members(flats.begin() + static_cast<std::ptrdiff_t>(first),
                    flats.begin() + static_cast<std::ptrdiff_t>(last));
                at::Tensor bucket = members.size() == 1 ? members[0] : at::cat(members);
                run(bucket);
                if (members.size() > 1) {
                    int64_t offset = 0;
                    for (at::Tensor &m : members) {
                        m.copy_(bucket.narrow(0, offset, m.numel()));
                        offset += m.numel();
                    }
                }
                first = last;
            }
        }
        for (auto &[original, dense] : copies)
            original.copy_(dense);
    }
};

Result<std::unique_ptr<Communicator>> Communicator::connect(const DistributedSettings &settings, const c10::Device &device)
{
    auto impl = std::make_unique<Impl>();
    impl->settings = settings;
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(settings.timeoutSeconds * 1000.0));
    const std::string where = settings.masterAddr + ":" + std::to_string(settings.masterPort);
    try {
        c10d::TCPStoreOptions so;
        so.port = static_cast<uint16_t>(settings.masterPort);
        so.isServer = settings.rank == 0;
        so.numWorkers = static_cast<size_t>(settings.worldSize);
        so.waitWorkers = true;
        so.timeout = timeout;
        impl->store = c10::make_intrusive<c10d::TCPStore>(settings.masterAddr, so);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Io,
            "rank " + std::to_string(settings.rank) + " of " + std::to_string(settings.worldSize)
                + ": rendezvous at " + where + " failed within dist_timeout ("
                + std::to_string(static_cast<int64_t>(settings.timeoutSeconds)) + " s): " + firstLine(e.what())
                + (settings.rank == 0 ? " (is the port in use?)" : " (is rank 0 running, and MASTER_ADDR/MASTER_PORT right?)"));
    }
    try {
        if (device.is_cuda()) {
#ifdef USE_C10D_NCCL
            auto options = c10d::ProcessGroupNCCL::Options::create();
            options->timeout = timeout;
            impl->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(
                impl->store, static_cast<int>(settings.rank), static_cast<int>(settings.worldSize), options);
            impl->backend = "nccl";
#else
            return makeError(ErrorCode::Unsupported,
                "device: " + device.str() + " with several processes needs NCCL, which this LibTorch lacks; "
                "use device: cpu (Gloo) or a CUDA build of LibTorch");
#endif
        } else {
            auto options = c10d::ProcessGroupGloo::Options::create(timeout);
            if (const char *ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
                options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
            else if (isLoopback(settings.masterAddr))
                options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
            else
                options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
            options->threads = 2;
            impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(
                impl->store, static_cast<int>(settings.rank), static_cast<int>(settings.worldSize), options);
            impl->backend = "gloo";
        }
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Io,
            "rank " + std::to_string(settings.rank) + " of " + std::to_string(settings.worldSize)
                + ": could not connect the process group through " + where + ": " + firstLine(e.what()));
    }
    return std::unique_ptr<Communicator>(new Communicator(std::move(impl)));
}

Communicator::Communicator(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

Communicator::~Communicator() = default;

int64_t Communicator::rank() const
{
    return d->settings.rank;
}

int64_t Communicator::worldSize() const
{
    return d->settings.worldSize;
}

const std::string &Communicator::backend() const
{
    return d->backend;
}

void Communicator::allReduceSum(const std::vector<at::Tensor> &tensors)
{
    d->bucketed(tensors, false, [&](at::Tensor &bucket) {
        std::vector<at::Tensor> one {bucket};
        d->collective("all-reduce", [&] { return d->group->allreduce(one); });
    });
}

void Communicator::broadcastFromRoot(const std::vector<at::Tensor> &tensors)
{
    d->bucketed(tensors, true, [&](at::Tensor &bucket) {
        std::vector<at::Tensor> one {bucket};
        c10d::BroadcastOptions options;
        options.rootRank = 0;
        d->collective("parameter broadcast", [&] { return d->group->broadcast(one, options); });
    });
}

void Communicator::barrier()
{
    d->collective("barrier", [&] { return d->group->barrier(); });
}

double Communicator::takeCollectiveSeconds()
{
    const double s = d->collectiveSeconds;
    d->collectiveSeconds = 0;
    return s;
}

} // namespace fmw::training
