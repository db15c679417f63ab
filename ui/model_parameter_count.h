#pragma once
// The parameter count of the Florence-2 a config.json describes, found by building the model
// once on the CPU: for model folders without weights (the demo model, random_init). Plain C++:
// the LibTorch side of the model-folder check, kept out of Qt translation units.

#include "common/result.h"

#include <cstdint>
#include <string>

namespace fmw::ui {

// Unique parameters (the tied embedding once). Errors name the config file.
Result<int64_t> countParametersFromConfig(const std::string &configPath);

} // namespace fmw::ui
