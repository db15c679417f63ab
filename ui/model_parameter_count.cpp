#include "ui/model_parameter_count.h"

#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/florence2_for_conditional_generation.h"

#include <c10/util/Exception.h>

namespace fmw::ui {

Result<int64_t> countParametersFromConfig(const std::string &configPath)
{
    auto config = florence2::loadFlorence2Config(configPath);
    if (!config)
        return config.error();
    try {
        florence2::Florence2ForConditionalGeneration model(*config);
        return model->numParameters();
    } catch (const c10::Error &e) {
        return makeError(ErrorCode::InvalidArgument,
            std::string("cannot build the model this config describes: ") + e.what_without_backtrace(),
            configPath);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Internal, std::string("cannot build the model: ") + e.what(), configPath);
    }
}

} // namespace fmw::ui
