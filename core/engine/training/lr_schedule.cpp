#include "engine/training/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace fmw::training {

Result<ScheduleKind> parseSchedule(const std::string &name)
{
    if (name == "constant")
        return ScheduleKind::Constant;
    if (name == "linear")
        return ScheduleKind::Linear;
    if (name == "cosine")
        return ScheduleKind::Cosine;
    return makeError(ErrorCode::InvalidArgument,
        "lr_scheduler: '" + name + "' is not a schedule; use linear, cosine or constant");
}

LrSchedule::LrSchedule(ScheduleKind kind, double peakLr, int64_t warmupSteps, int64_t totalSteps)
    : m_kind(kind)
    , m_peak(peakLr)
    , m_warmup(std::max<int64_t>(0, warmupSteps))
    , m_total(std::max<int64_t>(1, totalSteps))
{
}

double LrSchedule::lrAt(int64_t step) const
{
    // transformers' lr_lambda for each schedule, times the peak rate
    if (step < m_warmup)
        return m_peak * static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, m_warmup));
    const double remaining = static_cast<double>(std::max<int64_t>(1, m_total - m_warmup));
    const double progress = static_cast<double>(step - m_warmup) / remaining;
    switch (m_kind) {
    case ScheduleKind::Constant:
        return m_peak;
    case ScheduleKind::Linear:
        return m_peak * std::max(0.0, static_cast<double>(m_total - step) / remaining);
    case ScheduleKind::Cosine:
        // num_cycles 0.5: one half cosine from the peak to zero
        return m_peak * std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));
    }
    return m_peak;
}

} // namespace fmw::training
