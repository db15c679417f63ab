#include "engine/weights/model_locator.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace fmw::weights {

namespace {

const char *const kWeightsNames[] = {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                                     "pytorch_model.bin.index.json"};

// stat follows symlinks: a cache snapshot's link to a blob that never finished downloading
// counts as missing.
bool isFile(const std::string &path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool isDirectory(const std::string &path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string env(const char *name)
{
    const char *v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

std::string readFirstLine(const std::string &path)
{
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
        line.pop_back();
    return line;
}

std::string newestSubfolder(const std::string &folder)
{
    std::string best;
    long long bestTime = -1;
    if (DIR *dir = ::opendir(folder.c_str())) {
        while (const dirent *e = ::readdir(dir)) {
            const std::string name = e->d_name;
            if (name == "." || name == "..")
                continue;
            struct stat st {};
            if (::stat((folder + "/" + name).c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
                continue;
            const long long t = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
            if (t > bestTime || (t == bestTime && name > best)) {
                best = name;
                bestTime = t;
            }
        }
        ::closedir(dir);
    }
    return best;
}

std::string neededFilesText()
{
    return "config.json; the weights (model.safetensors or pytorch_model.bin, or the *.index.json of a "
           "sharded set with its shards); tokenizer.json (or vocab.json and merges.txt); "
           "preprocessor_config.json";
}

std::string downloadHint(const std::string &hubId, const std::string &folder)
{
    const std::string id = hubId.empty() ? "ORG/NAME" : hubId;
    const std::string dir = folder.empty() ? id.substr(id.find('/') + 1) : folder;
    return " Nothing is downloaded here. On a machine with internet access run `huggingface-cli download " + id +
           " --local-dir " + dir + "` (or `git clone https://huggingface.co/" + id +
           "`), copy the folder to this machine and pass its path as the model.";
}

// Checks a folder for the files a model needs; the error lists each missing one.
Result<ModelFiles> filesIn(const std::string &folder, const std::string &hubId)
{
    ModelFiles files;
    files.folder = folder;
    files.hubId = hubId;
    std::vector<std::string> missing;
    if (isFile(folder + "/config.json"))
        files.config = folder + "/config.json";
    else
        missing.push_back("config.json");
    for (const char *name : kWeightsNames) {
        if (isFile(folder + "/" + name)) {
            files.weights = folder + "/" + name;
            break;
        }
    }
    if (files.weights.empty())
        missing.push_back("weights (model.safetensors or pytorch_model.bin)");
    if (isFile(folder + "/tokenizer.json"))
        files.tokenizer = folder + "/tokenizer.json";
    else if (isFile(folder + "/vocab.json") && isFile(folder + "/merges.txt"))
        files.tokenizer = folder + "/vocab.json";
    else
        missing.push_back(isFile(folder + "/vocab.json") ? "merges.txt beside vocab.json (or tokenizer.json)"
                                                         : "tokenizer.json (or vocab.json and merges.txt)");
    if (isFile(folder + "/preprocessor_config.json"))
        files.preprocessor = folder + "/preprocessor_config.json";
    else
        missing.push_back("preprocessor_config.json");
    if (missing.empty())
        return files;
    std::string list;
    for (const std::string &m : missing)
        list += (list.empty() ? "" : ", ") + m;
    return makeError(ErrorCode::Io,
                     "the model folder lacks " + list + ". A model needs " + neededFilesText() + "." +
                         downloadHint(hubId, hubId.empty() ? folder : std::string()),
                     folder);
}

} // namespace

std::string huggingFaceCacheDir()
{
    if (const std::string hub = env("HF_HUB_CACHE"); !hub.empty())
        return hub;
    if (const std::string home = env("HF_HOME"); !home.empty())
        return home + "/hub";
    if (const std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty())
        return xdg + "/huggingface/hub";
    return env("HOME") + "/.cache/huggingface/hub";
}

bool looksLikeHubId(const std::string &spec)
{
    const std::string id = spec.substr(0, spec.find('@'));
    const size_t slash = id.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 >= id.size() || id.find('/', slash + 1) != std::string::npos)
        return false;
    if (id[0] == '.' || id[slash + 1] == '.')
        return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/'))
            return false;
    return true;
}

Result<ModelFiles> locateModel(const std::string &spec, const LocateOptions &options)
{
    if (isDirectory(spec))
        return filesIn(spec, std::string());
    if (!looksLikeHubId(spec))
        return makeError(ErrorCode::Io,
                         "no such model folder, and not a Hugging Face id of the form org/name. A model folder "
                         "needs " + neededFilesText() + "." + downloadHint(std::string(), std::string()),
                         spec);

    const size_t at = spec.find('@');
    const std::string id = spec.substr(0, at);
    const std::string revision = at == std::string::npos ? std::string() : spec.substr(at + 1);
    const std::string cache = options.cacheDir.empty() ? huggingFaceCacheDir() : options.cacheDir;
    std::string repo = "models--" + id;
    repo.replace(repo.find('/'), 1, "--");
    const std::string repoDir = cache + "/" + repo;
    const std::string snapshots = repoDir + "/snapshots";

    std::string snapshot;
    const std::string ref = revision.empty() ? "main" : revision;
    if (isFile(repoDir + "/refs/" + ref))
        snapshot = readFirstLine(repoDir + "/refs/" + ref);
    if ((snapshot.empty() || !isDirectory(snapshots + "/" + snapshot)) && !revision.empty() &&
        isDirectory(snapshots + "/" + revision))
        snapshot = revision;
    if ((snapshot.empty() || !isDirectory(snapshots + "/" + snapshot)) && revision.empty())
        snapshot = newestSubfolder(snapshots);
    if (snapshot.empty() || !isDirectory(snapshots + "/" + snapshot))
        return makeError(ErrorCode::Io,
                         id + (revision.empty() ? "" : " at revision " + revision) +
                             " is neither a local folder nor in the Hugging Face cache (looked in " + repoDir +
                             "). A model needs " + neededFilesText() + "." + downloadHint(id, std::string()),
                         spec);
    auto files = filesIn(snapshots + "/" + snapshot, id);
    if (files)
        files->revision = snapshot;
    return files;
}

} // namespace fmw::weights
