#include "runtime.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <thread>

namespace fmw::engine {

int configureThreads(int threads)
{
    if (threads <= 0) {
        if (const char *env = std::getenv("FMW_THREADS"))
            threads = std::atoi(env);
    }
    if (threads <= 0)
        threads = static_cast<int>(std::thread::hardware_concurrency());
    if (threads <= 0)
        threads = 1;
    at::set_num_threads(threads);
    return at::get_num_threads();
}

int threadCount()
{
    return at::get_num_threads();
}

std::string torchVersion()
{
    return TORCH_VERSION;
}

bool cudaAvailable()
{
    return torch::cuda::is_available();
}

} // namespace fmw::engine
