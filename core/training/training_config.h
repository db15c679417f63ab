#pragma once
// The training run's YAML configuration: reads a config file (the original train.py's keys
// plus the extensions documented in engine/training/training_options.h) and `--set`
// overrides into a validated, resolved TrainingOptions, and writes one back as YAML.

#include "common/result.h"
#include "engine/training/training_options.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace fmw::training {

// Reads the YAML mapping at `path`, applies `overrides` over it and validates every value.
//
// `overrides` are "key=value" strings (florence-cli's --set); the value is parsed as a YAML
// scalar or flow sequence ("lr=3e-4", "lora_target_modules=[q_proj, v_proj]"); a later
// override of the same key wins.
//
// Relative paths (train_json, val_json, image_dir, output_dir, and model_name/processor_name
// when they name a folder rather than a hub id) resolve against the config file's folder's
// parent, the project root (configs live in configs/); overrides resolve the same way. A
// model_name/processor_name that looks like a hub id ("org/name") and is not an existing
// folder there is kept verbatim. processor_name defaults to model_name.
//
// Errors: a missing or unreadable file (Io), a YAML syntax error, a top level that is not a
// mapping, duplicate keys (Parse), an unknown key (with a did-you-mean suggestion), a missing
// required key (train_json, image_dir, model_name), and every value of the wrong type or out
// of range (InvalidArgument). Error::message starts with the key and says what is allowed
// ("batch_size: must be an integer from 1 to 4096, not \"abc\""); Error::path/line locate it
// in the file (for an override, the message names the --set argument instead). Display with
// Error::toString(). Files are not checked for existence here; the trainer does that.
Result<TrainingOptions> loadTrainingConfig(const QString &path, const QStringList &overrides = {});

// `options` as YAML with every key, in trainingConfigKeys() order: what a checkpoint saves.
// Loading it back yields options for which differingKeys() is empty (absolute paths stay as
// they are; numbers are written in their shortest exact form).
QByteArray trainingConfigYaml(const TrainingOptions &options);

// Keys whose values differ between `a` and `b`, in trainingConfigKeys() order; empty when
// the two configure the same run (used on resume to warn about changed settings).
QStringList differingKeys(const TrainingOptions &a, const TrainingOptions &b);

// Every valid key, in the order the trainer's options declare them: the original train.py's
// keys first, then the extensions.
QStringList trainingConfigKeys();

} // namespace fmw::training
