// Checkpoint folders: which weights file is picked, both key dialects, tied names, dtype
// conversion, validation messages, sharded sets, and finding models in folders and the
// Hugging Face cache.
#include "engine/engine_test.h"

#include "engine/weights/checkpoint_loader.h"
#include "engine/weights/model_locator.h"
#include "engine/weights/pytorch_bin.h"
#include "engine/weights/safetensors.h"
#include "weights_fixtures.h"

#include <nlohmann/json.hpp>

#include <sys/time.h>

using namespace fmw::weights;

namespace {

TensorMap tinyTensors()
{
    auto read = readSafetensors(weightstest::sharedFile("fixtures/florence2-tiny/model.safetensors"));
    if (!read.ok()) {
        std::fprintf(stderr, "%s\n", read.error().toString().c_str());
        std::abort();
    }
    return read->tensors;
}

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

void touch(const std::string &path)
{
    weightstest::writeFile(path, "{}");
}

void makeModelFolder(const std::string &folder, bool tokenizerJson = true)
{
    ::mkdir(folder.c_str(), 0755);
    touch(folder + "/config.json");
    touch(folder + "/preprocessor_config.json");
    if (tokenizerJson) {
        touch(folder + "/tokenizer.json");
    } else {
        touch(folder + "/vocab.json");
        weightstest::writeFile(folder + "/merges.txt", "#version: 0.2\n");
    }
    weightstest::writeFile(folder + "/model.safetensors", serializeSafetensors({{"x", torch::ones({1})}}).value());
}

void setMtime(const std::string &path, long seconds)
{
    const struct timeval times[2] = {{seconds, 0}, {seconds, 0}};
    ::utimes(path.c_str(), times);
}

// Restores an environment variable when the test ends.
class EnvGuard {
public:
    explicit EnvGuard(const char *name) : m_name(name)
    {
        if (const char *v = std::getenv(name))
            m_old = v;
        m_had = std::getenv(name) != nullptr;
    }
    ~EnvGuard()
    {
        if (m_had)
            ::setenv(m_name, m_old.c_str(), 1);
        else
            ::unsetenv(m_name);
    }

private:
    const char *m_name;
    std::string m_old;
    bool m_had = false;
};

} // namespace

class TestCheckpointLoader : public QObject {
    Q_OBJECT
private slots:
    void picksWeightsFileByPreference();
    void dialectTableMapsEveryTinyKey();
    void nativeCheckpointLoadsUnderRemoteNames();
    void tiedNamesAreFilled();
    void dtypeConversionKeepsTiesAndIntegers();
    void validationNamesEveryProblem();
    void shardedCheckpoints();
    void locatorFindsFoldersAndCacheSnapshots();
    void locatorExplainsWhatIsMissing();
    void tinyFixtureThroughTheLoader();
};

void TestCheckpointLoader::picksWeightsFileByPreference()
{
    weightstest::TempDir dir;
    const auto none = findWeights(dir.path());
    QVERIFY(!none.ok());
    for (const std::string &name : weightsFileNames())
        QVERIFY2(contains(none.error().message, name), none.error().message.c_str());

    QVERIFY(writePytorchBin(dir.file("pytorch_model.bin"), {{"w", torch::full({2}, 1.0f)}}).ok());
    auto found = findWeights(dir.path());
    QVERIFY(found.ok() && found->format == WeightsFormat::PytorchBin);
    auto loaded = loadCheckpoint(dir.path());
    QVERIFY(loaded.ok() && loaded->tensors.at("w")[0].item<float>() == 1.0f);

    // safetensors wins over pytorch_model.bin, as in transformers.
    QVERIFY(writeSafetensors(dir.file("model.safetensors"), {{"w", torch::full({2}, 2.0f)}}).ok());
    found = findWeights(dir.path());
    QVERIFY(found.ok() && found->format == WeightsFormat::Safetensors);
    loaded = loadCheckpoint(dir.path());
    QVERIFY(loaded.ok() && loaded->tensors.at("w")[0].item<float>() == 2.0f);
    // A file path is loaded as that file.
    loaded = loadCheckpoint(dir.file("pytorch_model.bin"));
    QVERIFY(loaded.ok() && loaded->tensors.at("w")[0].item<float>() == 1.0f);

    const std::pair<const char *, WeightsFormat> names[] = {
        {"a/model.safetensors", WeightsFormat::Safetensors},
        {"a/model.safetensors.index.json", WeightsFormat::SafetensorsSharded},
        {"a/pytorch_model.bin", WeightsFormat::PytorchBin},
        {"a/model.pt", WeightsFormat::PytorchBin},
        {"a/pytorch_model.bin.index.json", WeightsFormat::PytorchBinSharded},
    };
    for (const auto &[name, format] : names) {
        const auto source = weightsSourceOf(name);
        QVERIFY2(source.ok() && source->format == format, name);
    }
    QVERIFY(!weightsSourceOf("a/model.onnx").ok());
}

void TestCheckpointLoader::dialectTableMapsEveryTinyKey()
{
    const TensorMap tiny = tinyTensors();
    std::vector<std::string> remote, native;
    for (const auto &entry : tiny) {
        const std::string &key = entry.first;
        const DialectKey n = remoteToNative(key);
        QVERIFY2(nativeToRemote(n.name).name == key, key.c_str());
        QVERIFY2(n.transposed == (key == "image_projection"), key.c_str());
        // Every name moves, except the bias the native port does not have.
        QVERIFY2(n.name != key || key == "language_model.final_logits_bias", key.c_str());
        remote.push_back(key);
        if (key != "language_model.final_logits_bias")
            native.push_back(n.name);
    }
    QCOMPARE(std::set<std::string>(native.begin(), native.end()).size(), native.size());

    const std::pair<const char *, const char *> table[] = {
        {"vision_tower.convs.0.proj.weight", "model.vision_tower.convs.0.conv.weight"},
        {"vision_tower.convs.2.norm.bias", "model.vision_tower.convs.2.norm.bias"},
        {"vision_tower.blocks.0.0.spatial_block.conv1.fn.dw.weight",
         "model.vision_tower.blocks.0.0.spatial_block.conv1.weight"},
        {"vision_tower.blocks.2.1.spatial_block.window_attn.norm.weight",
         "model.vision_tower.blocks.2.1.spatial_block.norm1.weight"},
        {"vision_tower.blocks.2.1.spatial_block.window_attn.fn.qkv.weight",
         "model.vision_tower.blocks.2.1.spatial_block.window_attn.qkv.weight"},
        {"vision_tower.blocks.1.0.channel_block.channel_attn.norm.bias",
         "model.vision_tower.blocks.1.0.channel_block.norm1.bias"},
        {"vision_tower.blocks.1.0.channel_block.channel_attn.fn.proj.bias",
         "model.vision_tower.blocks.1.0.channel_block.channel_attn.proj.bias"},
        {"vision_tower.blocks.3.0.channel_block.ffn.norm.weight",
         "model.vision_tower.blocks.3.0.channel_block.norm2.weight"},
        {"vision_tower.blocks.3.0.spatial_block.ffn.fn.net.fc2.bias",
         "model.vision_tower.blocks.3.0.spatial_block.ffn.fc2.bias"},
        {"vision_tower.blocks.12.0.channel_block.conv2.fn.dw.bias",
         "model.vision_tower.blocks.12.0.channel_block.conv2.bias"},
        {"image_projection", "model.multi_modal_projector.image_projection.weight"},
        {"image_proj_norm.weight", "model.multi_modal_projector.image_proj_norm.weight"},
        {"image_pos_embed.row_embeddings.weight", "model.multi_modal_projector.image_position_embed.row_embeddings.weight"},
        {"visual_temporal_embed.pos_idx_to_embed", "model.multi_modal_projector.visual_temporal_embed.pos_idx_to_embed"},
        {"language_model.model.shared.weight", "model.language_model.shared.weight"},
        {"language_model.model.decoder.layers.1.encoder_attn.v_proj.bias",
         "model.language_model.decoder.layers.1.encoder_attn.v_proj.bias"},
        {"language_model.lm_head.weight", "lm_head.weight"},
    };
    for (const auto &[r, n] : table) {
        QVERIFY2(remoteToNative(r).name == n, r);
        QVERIFY2(nativeToRemote(n).name == r, n);
    }

    QVERIFY(detectDialect(remote, "tiny").value() == KeyDialect::RemoteCode);
    QVERIFY(detectDialect(native, "tiny").value() == KeyDialect::Native);
    QVERIFY(detectDialect({}, "empty").value() == KeyDialect::RemoteCode);
    const auto mixed = detectDialect({"vision_tower.convs.0.proj.weight", "lm_head.weight"}, "mixed.safetensors");
    QVERIFY(!mixed.ok());
    const std::string text = mixed.error().toString();
    QVERIFY2(contains(text, "mixed.safetensors") && contains(text, "vision_tower.convs.0.proj.weight") &&
                 contains(text, "lm_head.weight"),
             text.c_str());
}

void TestCheckpointLoader::nativeCheckpointLoadsUnderRemoteNames()
{
    const TensorMap tiny = tinyTensors();
    TensorMap remote = tiny;
    remote.erase("language_model.final_logits_bias");
    TensorMap native = toNativeKeys(remote);
    QVERIFY(native.at("model.multi_modal_projector.image_projection.weight").sizes().vec() ==
            std::vector<int64_t>({64, 96}));
    // save_pretrained keeps one name of a tied weight.
    native.erase("model.language_model.encoder.embed_tokens.weight");
    native.erase("model.language_model.decoder.embed_tokens.weight");
    native.erase("lm_head.weight");
    weightstest::TempDir dir;
    QVERIFY(writeSafetensors(dir.file("model.safetensors"), native).ok());

    const ShapeMap expected = shapesOf(tiny);
    LoadOptions options;
    options.expected = &expected;
    const auto loaded = loadCheckpoint(dir.path(), options);
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
    QVERIFY(loaded->dialect == KeyDialect::Native);
    QCOMPARE(loaded->tensors.size(), tiny.size());
    for (const auto &[name, t] : tiny) {
        if (name == "language_model.final_logits_bias")
            continue;
        QVERIFY2(torch::equal(loaded->tensors.at(name), t), name.c_str());
    }
    // The native port has no final_logits_bias: it is zero there.
    const at::Tensor bias = loaded->tensors.at("language_model.final_logits_bias");
    QVERIFY(bias.sizes().vec() == std::vector<int64_t>({1, 300}));
    QCOMPARE(bias.abs().max().item<float>(), 0.0f);
    QVERIFY(loaded->tensors.at("image_projection").is_contiguous());
}

void TestCheckpointLoader::tiedNamesAreFilled()
{
    const std::vector<std::string> &names = tiedEmbeddingKeys();
    for (const std::string &only : names) {
        TensorMap m = {{only, torch::randn({5, 3})}, {"other", torch::ones({1})}};
        tieEmbeddings(m);
        QCOMPARE(m.size(), size_t(5));
        for (const std::string &name : names)
            QVERIFY2(m.at(name).is_same(m.at(only)), (only + " -> " + name).c_str());
    }
    // Names already present keep their own tensors (an untied fine-tune).
    TensorMap untied = {{names[3], torch::zeros({2, 2})}, {names[0], torch::ones({2, 2})}};
    tieEmbeddings(untied);
    QCOMPARE(untied.at(names[3]).sum().item<float>(), 0.0f);
    QVERIFY(untied.at(names[1]).is_same(untied.at(names[0])));
    TensorMap none = {{"x", torch::ones({1})}};
    tieEmbeddings(none);
    QCOMPARE(none.size(), size_t(1));
}

void TestCheckpointLoader::dtypeConversionKeepsTiesAndIntegers()
{
    // From a pytorch_model.bin the tied names are distinct tensors over one storage.
    const auto embedding = torch::randn({40, 8});
    const TensorMap saved = {{"language_model.model.shared.weight", embedding},
                             {"language_model.lm_head.weight", embedding},
                             {"ids", torch::arange(4)},
                             {"flag", torch::ones({2}, torch::kBool)},
                             {"half", torch::ones({3}, torch::kFloat16)}};
    const auto read = readPytorchBin(MappedFile::fromBytes(serializePytorchBin(saved).value(), "tied.bin"));
    QVERIFY(read.ok());
    for (const auto dtype : {torch::kBFloat16, torch::kFloat16, torch::kFloat32}) {
        const TensorMap converted = convertFloating(read->tensors, dtype);
        const at::Tensor &shared = converted.at("language_model.model.shared.weight");
        const at::Tensor &head = converted.at("language_model.lm_head.weight");
        QVERIFY(shared.scalar_type() == dtype && head.scalar_type() == dtype);
        QVERIFY(converted.at("half").scalar_type() == dtype);
        QVERIFY(shared.storage().unsafeGetStorageImpl() == head.storage().unsafeGetStorageImpl());
        QVERIFY(torch::allclose(shared.to(torch::kFloat32), embedding, 1e-2, 1e-2));
        QVERIFY(converted.at("ids").scalar_type() == torch::kInt64);
        QVERIFY(converted.at("flag").scalar_type() == torch::kBool);
    }
}

void TestCheckpointLoader::validationNamesEveryProblem()
{
    const TensorMap tiny = tinyTensors();
    const ShapeMap expected = shapesOf(tiny);
    QVERIFY(validateShapes(tiny, expected, "tiny").ok());

    TensorMap few = tiny;
    few.erase("image_projection");
    few["vision_tower.head.weight"] = torch::zeros({3});
    few["image_proj_norm.weight"] = torch::zeros({65});
    const auto one = validateShapes(few, expected, "model.safetensors");
    QVERIFY(!one.ok());
    const std::string text = one.error().toString();
    QVERIFY2(contains(text, "model.safetensors") && contains(text, "1 missing: image_projection") &&
                 contains(text, "1 unexpected: vision_tower.head.weight") &&
                 contains(text, "image_proj_norm.weight (file [65], model [64])"),
             text.c_str());

    TensorMap many = tiny;
    int removed = 0;
    for (auto it = many.begin(); it != many.end() && removed < 25; ++removed)
        it = many.erase(it);
    for (int k = 0; k < 3; ++k)
        many["extra." + std::to_string(k)] = torch::zeros({1});
    const auto lots = validateShapes(many, expected, "big.bin");
    QVERIFY(!lots.ok());
    const std::string long_ = lots.error().message;
    QVERIFY2(contains(long_, "25 missing") && contains(long_, "3 unexpected") && contains(long_, "and 5 more"),
             long_.c_str());
    QVERIFY2(!contains(long_, "extra.0"), long_.c_str());
}

void TestCheckpointLoader::shardedCheckpoints()
{
    const TensorMap tiny = tinyTensors();
    for (const bool safetensors : {true, false}) {
        weightstest::TempDir dir;
        const std::string ext = safetensors ? ".safetensors" : ".bin";
        const std::string stem = safetensors ? "model" : "pytorch_model";
        TensorMap shard[2];
        nlohmann::json index;
        index["metadata"]["total_size"] = 12345;
        int k = 0;
        for (const auto &[name, t] : tiny) {
            const int s = k++ % 2;
            shard[s][name] = t;
            index["weight_map"][name] = stem + "-0000" + std::to_string(s + 1) + "-of-00002" + ext;
        }
        for (int s = 0; s < 2; ++s) {
            const std::string path = dir.file(stem + "-0000" + std::to_string(s + 1) + "-of-00002" + ext);
            QVERIFY(safetensors ? writeSafetensors(path, shard[s]).ok() : writePytorchBin(path, shard[s]).ok());
        }
        const std::string indexPath = dir.file(stem + ext + ".index.json");
        weightstest::writeFile(indexPath, index.dump());
        const auto loaded = loadCheckpoint(dir.path());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
        QVERIFY(loaded->source.format ==
                (safetensors ? WeightsFormat::SafetensorsSharded : WeightsFormat::PytorchBinSharded));
        QCOMPARE(loaded->tensors.size(), tiny.size());
        for (const auto &[name, t] : tiny)
            QVERIFY2(torch::equal(loaded->tensors.at(name), t), name.c_str());
        QCOMPARE(loaded->metadata.at("total_size"), std::string("12345"));

        // The index names a tensor its shard lacks.
        nlohmann::json wrong = index;
        wrong["weight_map"]["not.there"] = stem + "-00001-of-00002" + ext;
        weightstest::writeFile(indexPath, wrong.dump());
        auto failed = loadCheckpoint(dir.path());
        QVERIFY(!failed.ok());
        QVERIFY2(contains(failed.error().toString(), "'not.there'"), failed.error().toString().c_str());
        // A shard that is not there.
        wrong = index;
        wrong["weight_map"]["image_projection"] = stem + "-00003-of-00003" + ext;
        weightstest::writeFile(indexPath, wrong.dump());
        failed = loadCheckpoint(dir.path());
        QVERIFY(!failed.ok());
        QVERIFY2(contains(failed.error().toString(), "00003-of-00003") &&
                     contains(failed.error().toString(), ".index.json"),
                 failed.error().toString().c_str());
        // Shard names must stay beside the index.
        wrong = index;
        wrong["weight_map"]["image_projection"] = "../elsewhere" + ext;
        weightstest::writeFile(indexPath, wrong.dump());
        failed = loadCheckpoint(dir.path());
        QVERIFY(!failed.ok());
        QVERIFY2(contains(failed.error().toString(), "not a plain file name"), failed.error().toString().c_str());
        weightstest::writeFile(indexPath, "{\"weight_map\": [");
        QVERIFY(!loadCheckpoint(dir.path()).ok());
    }
}

void TestCheckpointLoader::locatorFindsFoldersAndCacheSnapshots()
{
    weightstest::TempDir dir;
    const std::string local = dir.file("Florence-2-base");
    makeModelFolder(local);
    auto found = locateModel(local);
    QVERIFY2(found.ok(), found.ok() ? "" : found.error().toString().c_str());
    QCOMPARE(found->weights, local + "/model.safetensors");
    QCOMPARE(found->tokenizer, local + "/tokenizer.json");
    QVERIFY(found->hubId.empty());
    const std::string bpe = dir.file("bpe-only");
    makeModelFolder(bpe, false);
    found = locateModel(bpe);
    QVERIFY(found.ok() && found->tokenizer == bpe + "/vocab.json");

    // A hub cache laid out as huggingface_hub does: snapshot files are links to blobs.
    const std::string cache = dir.file("hub");
    const std::string repo = cache + "/models--microsoft--Florence-2-base";
    ::mkdir(cache.c_str(), 0755);
    ::mkdir(repo.c_str(), 0755);
    ::mkdir((repo + "/snapshots").c_str(), 0755);
    ::mkdir((repo + "/blobs").c_str(), 0755);
    ::mkdir((repo + "/refs").c_str(), 0755);
    makeModelFolder(repo + "/snapshots/aaa111");
    makeModelFolder(repo + "/snapshots/bbb222");
    weightstest::writeFile(repo + "/blobs/cfg", "{}");
    ::unlink((repo + "/snapshots/aaa111/config.json").c_str());
    QVERIFY(::symlink("../../blobs/cfg", (repo + "/snapshots/aaa111/config.json").c_str()) == 0);
    setMtime(repo + "/snapshots/aaa111", 1000);
    setMtime(repo + "/snapshots/bbb222", 2000);
    weightstest::writeFile(repo + "/refs/main", "aaa111\n");

    LocateOptions options;
    options.cacheDir = cache;
    found = locateModel("microsoft/Florence-2-base", options);
    QVERIFY2(found.ok(), found.ok() ? "" : found.error().toString().c_str());
    QCOMPARE(found->revision, std::string("aaa111"));  // refs/main wins over the newer snapshot
    QCOMPARE(found->hubId, std::string("microsoft/Florence-2-base"));
    QCOMPARE(found->config, repo + "/snapshots/aaa111/config.json");
    found = locateModel("microsoft/Florence-2-base@bbb222", options);
    QVERIFY(found.ok() && found->revision == "bbb222");
    ::unlink((repo + "/refs/main").c_str());
    found = locateModel("microsoft/Florence-2-base", options);
    QVERIFY(found.ok() && found->revision == "bbb222");  // no ref: the newest snapshot

    // The cache folder follows huggingface_hub's environment variables.
    EnvGuard hubCache("HF_HUB_CACHE"), hfHome("HF_HOME"), xdg("XDG_CACHE_HOME");
    ::unsetenv("HF_HUB_CACHE");
    ::unsetenv("XDG_CACHE_HOME");
    ::setenv("HF_HOME", dir.path().c_str(), 1);
    QCOMPARE(huggingFaceCacheDir(), dir.path() + "/hub");
    found = locateModel("microsoft/Florence-2-base");
    QVERIFY2(found.ok(), found.ok() ? "" : found.error().toString().c_str());
    ::setenv("HF_HUB_CACHE", "/nonexistent/hub", 1);
    QCOMPARE(huggingFaceCacheDir(), std::string("/nonexistent/hub"));
    QVERIFY(!locateModel("microsoft/Florence-2-base").ok());

    QVERIFY(looksLikeHubId("microsoft/Florence-2-large"));
    QVERIFY(looksLikeHubId("org/name@main"));
    QVERIFY(!looksLikeHubId("/abs/path"));
    QVERIFY(!looksLikeHubId("a/b/c"));
    QVERIFY(!looksLikeHubId("../x"));
    QVERIFY(!looksLikeHubId("noslash"));
}

void TestCheckpointLoader::locatorExplainsWhatIsMissing()
{
    weightstest::TempDir dir;
    LocateOptions options;
    options.cacheDir = dir.file("empty-cache");
    const auto absent = locateModel("acme/radiology-florence", options);
    QVERIFY(!absent.ok());
    const std::string text = absent.error().toString();
    for (const char *part : {"huggingface-cli download acme/radiology-florence --local-dir", "config.json",
                             "model.safetensors", "pytorch_model.bin", "tokenizer.json", "preprocessor_config.json",
                             "Nothing is downloaded", "models--acme--radiology-florence"})
        QVERIFY2(contains(text, part), (std::string(part) + " not in: " + text).c_str());

    // A folder lacking some files names exactly those.
    const std::string folder = dir.file("partial");
    makeModelFolder(folder);
    ::unlink((folder + "/preprocessor_config.json").c_str());
    ::unlink((folder + "/model.safetensors").c_str());
    ::unlink((folder + "/tokenizer.json").c_str());
    weightstest::writeFile(folder + "/vocab.json", "{}");
    const auto partial = locateModel(folder);
    QVERIFY(!partial.ok());
    const std::string lacks = partial.error().message.substr(0, partial.error().message.find(". A model"));
    QVERIFY2(contains(lacks, "preprocessor_config.json") && contains(lacks, "weights") &&
                 contains(lacks, "merges.txt") && !contains(lacks, " config.json"),
             lacks.c_str());
    // A cache snapshot whose blob never finished downloading counts as missing.
    const std::string repo = dir.file("empty-cache/models--acme--radiology-florence");
    ::mkdir(dir.file("empty-cache").c_str(), 0755);
    ::mkdir(repo.c_str(), 0755);
    ::mkdir((repo + "/snapshots").c_str(), 0755);
    makeModelFolder(repo + "/snapshots/ccc333");
    ::unlink((repo + "/snapshots/ccc333/model.safetensors").c_str());
    QVERIFY(::symlink("../../blobs/missing", (repo + "/snapshots/ccc333/model.safetensors").c_str()) == 0);
    const auto broken = locateModel("acme/radiology-florence", options);
    QVERIFY(!broken.ok());
    QVERIFY2(contains(broken.error().message, "weights") &&
                 contains(broken.error().message, "huggingface-cli download acme/radiology-florence"),
             broken.error().message.c_str());
    QVERIFY(!locateModel(dir.file("no/such/folder/at/all"), options).ok());
}

void TestCheckpointLoader::tinyFixtureThroughTheLoader()
{
    const TensorMap tiny = tinyTensors();
    const ShapeMap expected = shapesOf(tiny);
    LoadOptions options;
    options.expected = &expected;
    options.dtype = torch::kBFloat16;
    const auto loaded = loadCheckpoint(weightstest::sharedFile("fixtures/florence2-tiny"), options);
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().toString().c_str());
    QVERIFY(loaded->source.format == WeightsFormat::Safetensors);
    QVERIFY(loaded->dialect == KeyDialect::RemoteCode);
    QCOMPARE(loaded->tensors.size(), size_t(277));
    for (const auto &[name, t] : loaded->tensors) {
        QVERIFY2(t.scalar_type() == torch::kBFloat16, name.c_str());
        QVERIFY2(torch::equal(t, tiny.at(name).to(torch::kBFloat16)), name.c_str());
    }
    // A model with one more parameter than the file: named.
    ShapeMap bigger = expected;
    bigger["language_model.model.encoder.layers.2.fc1.weight"] = {128, 64};
    options.expected = &bigger;
    const auto mismatch = loadCheckpoint(weightstest::sharedFile("fixtures/florence2-tiny"), options);
    QVERIFY(!mismatch.ok());
    QVERIFY2(contains(mismatch.error().toString(), "1 missing: language_model.model.encoder.layers.2.fc1.weight"),
             mismatch.error().toString().c_str());
}

FMW_TEST_MAIN(TestCheckpointLoader, picksWeightsFileByPreference, dialectTableMapsEveryTinyKey,
              nativeCheckpointLoadsUnderRemoteNames, tiedNamesAreFilled, dtypeConversionKeepsTiesAndIntegers,
              validationNamesEveryProblem, shardedCheckpoints, locatorFindsFoldersAndCacheSnapshots,
              locatorExplainsWhatIsMissing, tinyFixtureThroughTheLoader)
#ifdef FMW_HAVE_QTTEST
#include "tst_checkpoint_loader.moc"
#endif
