#include "engine/training/checkpoint_dir.h"

#include "engine/weights/atomic_file_writer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace fmw::training {

namespace fs = std::filesystem;

namespace {

const char *kManifest = "checkpoint.json";

Status fsyncPath(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return makeError(ErrorCode::Io, "cannot open " + path + ": " + std::strerror(errno), path);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0)
        return makeError(ErrorCode::Io, "cannot sync " + path + ": " + std::strerror(err), path);
    return {};
}

// "epoch_12" -> (0, 12), "step_7" -> (1, 7); anything else -> (-1, 0)
std::pair<int, long long> kindAndNumber(const std::string &name)
{
    for (const auto &[prefix, kind] : {std::pair<std::string, int> {"epoch_", 0}, {"step_", 1}}) {
        if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size()) {
            const std::string digits = name.substr(prefix.size());
            if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })
                && digits.size() < 12)
                return {kind, std::stoll(digits)};
        }
    }
    return {-1, 0};
}

} // namespace

Status writeCheckpointDir(const std::string &checkpointsDir, const std::string &name,
    const std::function<Status(const std::string &dir)> &fill)
{
    std::error_code ec;
    fs::create_directories(checkpointsDir, ec);
    if (ec)
        return makeError(
            ErrorCode::Io, "cannot create " + checkpointsDir + ": " + ec.message(), checkpointsDir);
    const std::string tmp = checkpointsDir + "/.tmp-" + name + "-" + std::to_string(::getpid());
    fs::remove_all(tmp, ec);
    fs::create_directory(tmp, ec);
    if (ec)
        return makeError(ErrorCode::Io, "cannot create " + tmp + ": " + ec.message(), tmp);
    auto cleanup = [&] {
        std::error_code ignored;
        fs::remove_all(tmp, ignored);
    };
    if (Status s = fill(tmp); !s) {
        cleanup();
        return s;
    }
    // every file durable before the manifest says the checkpoint is whole
    nlohmann::json files = nlohmann::json::object();
    for (const auto &entry : fs::directory_iterator(tmp, ec)) {
        if (!entry.is_regular_file())
            continue;
        const std::string path = entry.path().string();
        if (Status s = fsyncPath(path); !s) {
            cleanup();
            return s;
        }
        files[entry.path().filename().string()] = static_cast<uint64_t>(entry.file_size());
    }
    nlohmann::json manifest {{"format", "florence-workbench checkpoint 1"}, {"name", name}, {"files", files}};
    if (Status s = weights::writeFileAtomically(tmp + "/" + kManifest, manifest.dump(2) + "\n"); !s) {
        cleanup();
        return s;
    }
    if (Status s = fsyncPath(tmp); !s) {
        cleanup();
        return s;
    }
    const std::string target = checkpointsDir + "/" + name;
    std::string old;
    if (fs::exists(target, ec)) {
        old = checkpointsDir + "/.old-" + name + "-" + std::to_string(::getpid());
        fs::remove_all(old, ec);
        fs::rename(target, old, ec);
        if (ec) {
            cleanup();
            return makeError(ErrorCode::Io, "cannot move " + target + " aside: " + ec.message(), target);
        }
    }
    fs::rename(tmp, target, ec);
    if (ec) {
        cleanup();
        return makeError(
            ErrorCode::Io, "cannot rename " + tmp + " to " + target + ": " + ec.message(), target);
    }
    if (Status s = fsyncPath(checkpointsDir); !s)
        return s;
    if (!old.empty())
        fs::remove_all(old, ec);
    return {};
}

Status verifyCheckpointDir(const std::string &dir)
{
    const std::string manifestPath = dir + "/" + kManifest;
    std::ifstream in(manifestPath, std::ios::binary);
    if (!in)
        return makeError(ErrorCode::Io, dir + " is not a complete checkpoint: it has no " + kManifest, dir);
    nlohmann::json manifest;
    try {
        in >> manifest;
    } catch (const nlohmann::json::exception &e) {
        return makeError(ErrorCode::Parse, manifestPath + ": " + e.what(), manifestPath);
    }
    if (!manifest.is_object() || !manifest.contains("files") || !manifest["files"].is_object())
        return makeError(ErrorCode::Parse, manifestPath + " has no file list", manifestPath);
    for (const auto &[file, size] : manifest["files"].items()) {
        std::error_code ec;
        const std::string path = dir + "/" + file;
        const auto actual = fs::file_size(path, ec);
        if (ec)
            return makeError(ErrorCode::Io, dir + " is incomplete: " + file + " is missing", path);
        if (!size.is_number_unsigned() || actual != size.get<uint64_t>())
            return makeError(ErrorCode::Parse,
                dir + " is damaged: " + file + " has " + std::to_string(actual) + " bytes, the manifest says "
                    + size.dump(),
                path);
    }
    return {};
}

std::vector<CheckpointEntry> listCheckpointDirs(const std::string &checkpointsDir)
{
    std::vector<std::pair<std::pair<int, long long>, CheckpointEntry>> found;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(checkpointsDir, ec)) {
        const std::string name = entry.path().filename().string();
        const auto key = kindAndNumber(name);
        if (key.first < 0 || entry.is_symlink() || !entry.is_directory())
            continue;
        CheckpointEntry e;
        e.name = name;
        e.path = entry.path().string();
        const Status ok = verifyCheckpointDir(e.path);
        e.complete = ok.ok();
        if (!ok)
            e.problem = ok.error().message;
        found.push_back({key, e});
    }
    // epochs and mid-epoch steps interleave by modification time of creation: use mtime
    std::sort(found.begin(), found.end(), [](const auto &a, const auto &b) {
        std::error_code e1, e2;
        const auto ta = fs::last_write_time(a.second.path + "/" + kManifest, e1);
        const auto tb = fs::last_write_time(b.second.path + "/" + kManifest, e2);
        if (!e1 && !e2 && ta != tb)
            return ta < tb;
        return a.first < b.first;
    });
    std::vector<CheckpointEntry> out;
    for (auto &f : found)
        out.push_back(std::move(f.second));
    return out;
}

std::vector<std::string> removeStaleTemporaries(const std::string &checkpointsDir)
{
    std::vector<std::string> removed;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(checkpointsDir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(".tmp-", 0) == 0 || name.rfind(".old-", 0) == 0) {
            std::error_code ignored;
            fs::remove_all(entry.path(), ignored);
            removed.push_back(name);
        }
    }
    return removed;
}

Status setPointer(const std::string &checkpointsDir, const std::string &pointer, const std::string &name)
{
    const std::string link = checkpointsDir + "/" + pointer;
    const std::string tmp = link + ".tmp-" + std::to_string(::getpid());
    ::unlink(tmp.c_str());
    if (::symlink(name.c_str(), tmp.c_str()) != 0)
        return makeError(ErrorCode::Io, "cannot create the link " + tmp + ": " + std::strerror(errno), tmp);
    if (::rename(tmp.c_str(), link.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return makeError(ErrorCode::Io, "cannot replace " + link + ": " + std::strerror(err), link);
    }
    return fsyncPath(checkpointsDir);
}

Result<std::string> resolveCheckpoint(const std::string &path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        return makeError(ErrorCode::Io, "no checkpoint at " + path + ": it does not exist", path);
    if (fs::exists(fs::path(path) / kManifest, ec)) {
        if (Status s = verifyCheckpointDir(path); !s)
            return s.error();
        return fs::canonical(path, ec).string();
    }
    // a run folder holds checkpoints/; a checkpoints folder holds epoch_N
    std::string dir = path;
    if (fs::is_directory(fs::path(path) / "checkpoints", ec))
        dir = (fs::path(path) / "checkpoints").string();
    if (fs::exists(fs::path(dir) / "last", ec) && verifyCheckpointDir(dir + "/last").ok())
        return fs::canonical(dir + "/last", ec).string();
    const auto entries = listCheckpointDirs(dir);
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        if (it->complete)
            return fs::canonical(it->path, ec).string();
    }
    return makeError(ErrorCode::InvalidArgument,
        path + " holds no complete checkpoint (a folder with " + kManifest + ", or epoch_N folders)", path);
}

} // namespace fmw::training
