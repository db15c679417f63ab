#pragma once
// The tiny Florence-2 fixture (fixtures/florence2-tiny) for the model tests: its config,
// weights and golden tensors, and the scale-relative comparison the fixture's README suggests.

#include "engine/engine_fixtures.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/florence2_for_conditional_generation.h"
#include "engine/model/florence2/functional.h"
#include "engine/runtime.h"
#include "engine/weights/safetensors.h"

#include <ATen/Context.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <vector>

namespace tiny {

using namespace fmw::florence2;
using TensorMap = std::map<std::string, at::Tensor>;


inline constexpr double kActivationTolerance = 2e-5; // x max|reference|
inline constexpr double kGradientTolerance = 1e-4; // x max|reference|
inline constexpr double kLossTolerance = 1e-5; // relative

inline std::string fixtureDir()
{
    return fmwtest::engineSharedPath("fixtures/florence2-tiny");
}

inline TensorMap readTensors(const std::string &path)
{
    auto file = fmw::weights::readSafetensors(path);
    if (!file)
        throw std::runtime_error(file.error().toString());
    return file->tensors;
}

inline const TensorMap &golden()
{
    static const TensorMap tensors = readTensors(fixtureDir() + "/golden.safetensors");
    return tensors;
}

inline const TensorMap &checkpoint()
{
    static const TensorMap tensors = readTensors(fixtureDir() + "/model.safetensors");
    return tensors;
}

inline at::Tensor g(const std::string &name)
{
    const auto it = golden().find(name);
    if (it == golden().end())
        throw std::runtime_error("golden.safetensors has no " + name);
    return it->second;
}

inline at::Device testDevice()
{
    const char *name = std::getenv("FMW_TEST_DEVICE");
    const at::Device device(name && *name ? name : "cpu");
    if (device.is_cuda()) {
        // float32 parity: no TF32 in matmuls or convolutions
        at::globalContext().setAllowTF32CuBLAS(false);
        at::globalContext().setAllowTF32CuDNN(false);
    }
    return device;
}

inline Florence2Config tinyConfig()
{
    auto config = loadFlorence2Config(fixtureDir());
    if (!config)
        throw std::runtime_error(config.error().toString());
    return *config;
}

// A fresh model with the fixture's weights, in eval mode.
inline Florence2ForConditionalGeneration loadTinyModel()
{
    fmw::engine::configureThreads();
    Florence2ForConditionalGeneration model(tinyConfig());
    if (fmw::Status s = model->loadStateDict(checkpoint()); !s)
        throw std::runtime_error(s.error().toString());
    model->to(testDevice());
    model->eval();
    return model;
}

inline ForwardInputs goldenInputs()
{
    const at::Device device = testDevice();
    ForwardInputs in;
    in.pixelValues = g("pixel_values").to(device);
    in.inputIds = g("input_ids").to(device);
    in.decoderInputIds = g("decoder_input_ids").to(device);
    in.labels = g("labels").to(device);
    return in;
}

inline double maxAbs(const at::Tensor &t)
{
    return t.numel() ? t.abs().max().item<double>() : 0.0;
}

// Empty when `actual` is within tolerance x max|expected| of `expected`; prints one line of
// the parity table either way.
inline std::string compare(
    const std::string &name, const at::Tensor &actual, const at::Tensor &expected, double tolerance)
{
    if (!actual.defined())
        return name + ": not produced";
    if (actual.sizes() != expected.sizes()) {
        std::ostringstream os;
        os << name << ": shape " << actual.sizes() << " vs reference " << expected.sizes();
        return os.str();
    }
    const at::Tensor a = actual.detach().to(at::kCPU, at::kDouble), e = expected.to(at::kCPU, at::kDouble);
    const double scale = maxAbs(e);
    const double err = maxAbs(a - e);
    const double ratio = scale > 0 ? err / scale : err;
    std::printf("parity %-72s max_abs %.3e  max_ref %.3e  ratio %.2e\n", name.c_str(), err, scale, ratio);
    if (!(err <= tolerance * scale))
        return name + ": max abs error " + std::to_string(err) + " > " + std::to_string(tolerance) + " x "
            + std::to_string(scale);
    return {};
}

inline std::string compareLoss(const std::string &name, const at::Tensor &actual, const at::Tensor &expected)
{
    const double a = actual.item<double>(), e = expected.item<double>();
    const double rel = std::abs(a - e) / std::abs(e);
    std::printf("parity %-72s value %.9f  ref %.9f  rel %.2e\n", name.c_str(), a, e, rel);
    if (!(rel <= kLossTolerance))
        return name + ": " + std::to_string(a) + " vs " + std::to_string(e);
    return {};
}

inline bool startsWith(const std::string &s, const char *prefix)
{
    return s.rfind(prefix, 0) == 0;
}

// The float tensors a plain forward must reproduce (everything but gradients, generation,
// preprocessing, the prompt-mask variant, inputs and losses).
inline std::vector<std::string> forwardTensorNames()
{
    std::vector<std::string> names;
    for (const auto &[name, t] : golden()) {
        if (!t.is_floating_point() || startsWith(name, "grad.") || startsWith(name, "gen.")
            || startsWith(name, "preproc.") || name.find("_padmask") != std::string::npos
            || startsWith(name, "loss") || name == "pixel_values")
            continue;
        names.push_back(name);
    }
    return names;
}

inline std::vector<AttentionBackend> backends()
{
    std::vector<AttentionBackend> list {AttentionBackend::Matmul};
    if (sdpaAvailable())
        list.push_back(AttentionBackend::Sdpa);
    return list;
}

inline const char *backendName(AttentionBackend b)
{
    return b == AttentionBackend::Sdpa ? "sdpa" : "matmul";
}

} // namespace tiny
