#pragma once
// A training run's progress as JSON lines: `florence-cli train --progress-jsonl` writes one
// object per step, epoch and end on stdout, and TrainingSession reads them back when it runs
// the CLI's processes (data parallel) instead of a trainer thread. Each object has "event":
// "step", "epoch" or "finished"; the other keys are the report's fields in snake_case.

#include "training/training_session.h"

#include <QJsonObject>

namespace fmw::training {

QJsonObject stepToJson(const StepReport &step);
StepReport stepFromJson(const QJsonObject &json);

QJsonObject epochToJson(const EpochReport &epoch);
EpochReport epochFromJson(const QJsonObject &json);

QJsonObject outcomeToJson(const TrainingOutcome &outcome);
TrainingOutcome outcomeFromJson(const QJsonObject &json);

} // namespace fmw::training
