#pragma once
// Reporting named intermediate tensors (llama.cpp's eval callback): model components call it
// with names such as "vision.stage2" or "encoder_hidden_states.1" so a tool can dump them and
// compare layer by layer with the reference. The names are those of the parity fixture
// (fixtures/florence2-tiny/README.md).

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>

namespace fmw::florence2 {

using TensorCallback = std::function<void(const std::string &name, const at::Tensor &tensor)>;

inline void report(const TensorCallback &callback, const std::string &name, const at::Tensor &tensor)
{
    if (callback)
        callback(name, tensor);
}

} // namespace fmw::florence2
