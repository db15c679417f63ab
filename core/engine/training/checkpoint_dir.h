#pragma once
// Checkpoint folders that a crash cannot corrupt. A checkpoint is built in a hidden temporary
// folder beside its final name; every file is fsynced, a manifest (checkpoint.json: each
// file's size) is written last, and the folder is renamed into place. A folder without a
// manifest, or whose files do not match it, is incomplete: listing ignores it and says why.
// `last` and `best` are symlinks replaced atomically.

#include "common/result.h"

#include <functional>
#include <string>
#include <vector>

namespace fmw::training {

// Builds `<checkpointsDir>/<name>`: `fill` writes the files into the folder it is given.
// Replaces an existing checkpoint of that name only once the new one is complete.
Status writeCheckpointDir(const std::string &checkpointsDir, const std::string &name,
    const std::function<Status(const std::string &dir)> &fill);

// Checks the manifest against the files. An Error says what is missing or wrong.
Status verifyCheckpointDir(const std::string &dir);

struct CheckpointEntry {
    std::string name; // "epoch_3", "step_120"
    std::string path;
    bool complete = false;
    std::string problem; // why it is not, when not
};

// Every checkpoint folder (epoch_N / step_N) under `checkpointsDir`, oldest first by
// modification order of their names' numbers. Hidden temporary folders are not listed.
std::vector<CheckpointEntry> listCheckpointDirs(const std::string &checkpointsDir);

// Removes hidden temporary folders a killed run left behind; returns their names.
std::vector<std::string> removeStaleTemporaries(const std::string &checkpointsDir);

// Points `<checkpointsDir>/<pointer>` (a symlink) at `<name>`, atomically.
Status setPointer(const std::string &checkpointsDir, const std::string &pointer, const std::string &name);

// The folder a checkpoint argument names: a checkpoint folder, a `last`/`best` link, a
// run's checkpoints folder or a run folder (then its last complete checkpoint).
Result<std::string> resolveCheckpoint(const std::string &path);

} // namespace fmw::training
