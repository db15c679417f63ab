#pragma once
// Learning-rate schedules as transformers defines them (get_scheduler): a factor of the peak
// rate for the optimizer step about to be taken, counted from 0. With warmup the first step
// runs at 0, as in transformers (the warmup factor is step / warmup).

#include "common/result.h"

#include <cstdint>
#include <string>

namespace fmw::training {

enum class ScheduleKind { Constant, Linear, Cosine };

Result<ScheduleKind> parseSchedule(const std::string &name); // "constant" | "linear" | "cosine"

class LrSchedule {
public:
    LrSchedule(ScheduleKind kind, double peakLr, int64_t warmupSteps, int64_t totalSteps);
    // The rate for optimizer step `step` (0-based).
    double lrAt(int64_t step) const;
    int64_t warmupSteps() const { return m_warmup; }
    int64_t totalSteps() const { return m_total; }

private:
    ScheduleKind m_kind;
    double m_peak;
    int64_t m_warmup;
    int64_t m_total;
};

} // namespace fmw::training
