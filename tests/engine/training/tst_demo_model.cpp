// The demo model folder (writeDemoModel): what it writes, that the engine's config reader,
// tokenizer and processor load it, that the model built from it with random weights gives a
// finite loss near ln(vocabulary) on a real demo caption, and the refusals (non-empty folder,
// bad image size).
#include "engine/engine_test.h"

#include "engine/engine_fixtures.h"
#include "engine/model/florence2/florence2_config.h"
#include "engine/model/florence2/florence2_for_conditional_generation.h"
#include "engine/model_loader.h"
#include "engine/text/florence2_processor.h"
#include "engine/text/pixel_values.h"
#include "engine/training/demo_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace fmw;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Record {
    std::string prefix;
    std::string suffix;
};

const std::vector<Record> &demoRecords()
{
    static const std::vector<Record> records = [] {
        const std::string dir = std::string(FMW_SOURCE_DIR) + "/resources/demo-dataset";
        std::vector<std::string> files;
        for (const auto &entry : fs::directory_iterator(dir))
            if (entry.path().extension() == ".jsonl")
                files.push_back(entry.path().string());
        std::sort(files.begin(), files.end());
        std::vector<Record> out;
        for (const std::string &file : files)
            for (const json &row : fmwtest::readJsonLines(file))
                out.push_back({row.at("prefix").get<std::string>(), row.at("suffix").get<std::string>()});
        if (out.empty()) {
            std::fprintf(stderr, "FAIL: no demo records under %s\n", dir.c_str());
            std::abort();
        }
        return out;
    }();
    return records;
}

std::vector<std::string> demoCorpus()
{
    std::vector<std::string> corpus;
    for (const Record &r : demoRecords())
        corpus.push_back(r.suffix);
    return corpus;
}

std::string readText(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A fresh folder in /tmp, removed with its contents when the test function ends.
struct TempDir {
    std::string path;
    TempDir()
    {
        std::string tmpl = "/tmp/fmw_tst_demo_model_XXXXXX";
        if (!::mkdtemp(tmpl.data()))
            throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~TempDir() { fs::remove_all(path); }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
};

// A gray synthetic "radiograph": a vertical gradient with a bright disc.
text::ImageU8 syntheticImage(int size, int seed)
{
    text::ImageU8 img(size, size, 1);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const int dx = x - size / 3 - seed * 7, dy = y - size / 2;
            const bool disc = dx * dx + dy * dy < size * size / 36;
            img.at(x, y, 0) = static_cast<uint8_t>(disc ? 230 : (y * 180) / size + (seed * 13) % 40);
        }
    return img;
}

// One batch from the folder's processor: <CAPTION> prompts, pixel values, caption labels.
florence2::ForwardInputs captionBatch(const text::Florence2Processor &processor, int batch)
{
    std::vector<std::string> prompts, captions;
    std::vector<text::ImageU8> images;
    for (const Record &r : demoRecords()) {
        if (r.prefix != "<CAPTION>")
            continue;
        prompts.push_back("<CAPTION>");
        captions.push_back(r.suffix);
        images.push_back(syntheticImage(256, static_cast<int>(images.size())));
        if (static_cast<int>(prompts.size()) == batch)
            break;
    }
    auto promptBatch = processor.promptBatch(prompts);
    auto pixels = text::pixelValues(processor.imagePreprocessor(), images);
    if (!promptBatch || !pixels)
        throw std::runtime_error("cannot build the batch");
    // labels: <s> caption </s>, right-padded with -100
    std::vector<std::vector<int>> labelIds;
    size_t longest = 0;
    for (const std::string &c : captions) {
        labelIds.push_back(processor.tokenizer().encode(c));
        longest = std::max(longest, labelIds.back().size());
    }
    at::Tensor labels = at::full({batch, static_cast<int64_t>(longest)}, -100, at::kLong);
    at::Tensor inputIds
        = at::empty({batch, static_cast<int64_t>(promptBatch->inputIds[0].size())}, at::kLong);
    for (int b = 0; b < batch; ++b) {
        for (size_t t = 0; t < labelIds[b].size(); ++t)
            labels[b][static_cast<int64_t>(t)] = labelIds[b][t];
        for (size_t t = 0; t < promptBatch->inputIds[b].size(); ++t)
            inputIds[b][static_cast<int64_t>(t)] = promptBatch->inputIds[b][t];
    }
    florence2::ForwardInputs in;
    in.pixelValues = *pixels;
    in.inputIds = inputIds;
    in.labels = labels;
    return in;
}

} // namespace

class TestDemoModel : public QObject {
    Q_OBJECT
private slots:
    void writesTheFolder();
    void engineLoadsConfigTokenizerAndProcessor();
    void randomModelGivesLossNearLnVocab();
    void forwardBackwardOfABatchIsFast();
    void refusesNonEmptyFolder();
    void refusesBadOptionsWritingNothing();
    void isDeterministic();
    void randomInitFollowsTheConfigsInitStd();
};

void TestDemoModel::writesTheFolder()
{
    TempDir tmp;
    const std::string dir = tmp.path + "/demo-model"; // created by writeDemoModel
    training::DemoModelSummary summary;
    const Status s = training::writeDemoModel(dir, demoCorpus(), {}, &summary);
    QVERIFY2(s.ok(), s.ok() ? "" : s.error().toString().c_str());
    const std::vector<std::string> expected {
        "config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json", "README.txt"};
    QCOMPARE(summary.files, expected);
    std::vector<std::string> present;
    for (const auto &entry : fs::directory_iterator(dir))
        present.push_back(entry.path().filename().string());
    std::sort(present.begin(), present.end());
    std::vector<std::string> sorted = expected;
    std::sort(sorted.begin(), sorted.end());
    QCOMPARE(present, sorted); // no weights, no temporary files left behind
    const std::string config = readText(dir + "/config.json");
    QVERIFY(training::isDemoModelConfig(config));
    QVERIFY(!training::isDemoModelConfig(
        readText(fmwtest::engineSharedPath("fixtures/florence2-tiny/config.json"))));
    const std::string readme = readText(dir + "/README.txt");
    QVERIFY(readme.find(std::to_string(summary.parameters) + " parameters") != std::string::npos);
    QVERIFY(summary.merges > 100 && summary.merges <= 400);
    QCOMPARE(summary.tokenizerSize, 4 + 256 + summary.merges + 1 + 1024);
    std::printf("INFO   : demo model: %lld parameters, %d tokenizer ids, %d merges\n",
        static_cast<long long>(summary.parameters), summary.tokenizerSize, summary.merges);
}

void TestDemoModel::engineLoadsConfigTokenizerAndProcessor()
{
    TempDir tmp;
    QVERIFY(training::writeDemoModel(tmp.path, demoCorpus()).ok()); // an existing empty folder is fine
    auto config = florence2::loadFlorence2Config(tmp.path);
    QVERIFY2(config.ok(), config.ok() ? "" : config.error().toString().c_str());
    QVERIFY(config->format == florence2::ConfigFormat::RemoteCode);
    QCOMPARE(config->vision.dimEmbed, (std::vector<int64_t> {32, 64, 96, 128}));
    QCOMPARE(config->vision.depths, (std::vector<int64_t> {1, 1, 1, 1}));
    QCOMPARE(config->vision.windowSize, int64_t(4));
    QCOMPARE(config->vision.maxPosEmbeddings, int64_t(4)); // 128 / 32
    QCOMPARE(config->text.dModel, int64_t(128));
    QCOMPARE(config->text.maxPositionEmbeddings, int64_t(128));
    QCOMPARE(config->text.initStd, 0.088); // 1/sqrt(128), not Florence-2's 0.02
    QCOMPARE(config->text.generation.numBeams, int64_t(1));
    QCOMPARE(config->text.generation.noRepeatNgramSize, int64_t(0));

    auto processor = text::Florence2Processor::fromDirectory(tmp.path);
    QVERIFY2(processor.ok(), processor.ok() ? "" : processor.error().toString().c_str());
    QCOMPARE(int64_t(processor->tokenizer().vocabSize()), config->text.vocabSize);
    QCOMPARE(processor->imagePreprocessor().config().width, 128);
    QCOMPARE(processor->imagePreprocessor().config().height, 128);
    auto prompt = processor->promptIds("<OD>");
    QVERIFY(prompt.ok());
    QCOMPARE(prompt->front(), 0);
    QCOMPARE(prompt->back(), 2);
    const auto answer = processor->postProcess(
        processor->tokenizer().encode("nodule<loc_10><loc_20><loc_30><loc_40>"), "<OD>", {1000, 1000});
    QCOMPARE(answer.bboxLabels, (std::vector<std::string> {"nodule"}));
}

void TestDemoModel::randomModelGivesLossNearLnVocab()
{
    TempDir tmp;
    QVERIFY(training::writeDemoModel(tmp.path, demoCorpus()).ok());
    auto config = florence2::loadFlorence2Config(tmp.path);
    auto processor = text::Florence2Processor::fromDirectory(tmp.path);
    QVERIFY(config.ok() && processor.ok());

    florence2::Florence2ForConditionalGeneration model(*config);
    engine::initWeights(*model, 0.02, 7);
    model->eval();
    torch::NoGradGuard noGrad;
    const florence2::ForwardInputs in = captionBatch(*processor, 2);
    QCOMPARE(in.pixelValues.sizes().vec(), (std::vector<int64_t> {2, 3, 128, 128}));
    const florence2::ForwardOutput out = model->forward(in);
    const double loss = out.loss.item<double>();
    const double lnVocab = std::log(static_cast<double>(config->text.vocabSize));
    std::printf("INFO   : random-init loss %.4f, ln(vocab) %.4f\n", loss, lnVocab);
    QVERIFY(std::isfinite(loss));
    QVERIFY2(std::abs(loss - lnVocab) < 0.5, std::to_string(loss).c_str());
    QCOMPARE(out.logits.size(2), config->text.vocabSize);
}

void TestDemoModel::forwardBackwardOfABatchIsFast()
{
    TempDir tmp;
    QVERIFY(training::writeDemoModel(tmp.path, demoCorpus()).ok());
    auto config = florence2::loadFlorence2Config(tmp.path);
    auto processor = text::Florence2Processor::fromDirectory(tmp.path);
    QVERIFY(config.ok() && processor.ok());
    florence2::Florence2ForConditionalGeneration model(*config);
    engine::initWeights(*model, 0.02, 7);
    model->train();
    const florence2::ForwardInputs in = captionBatch(*processor, 8);
    double best = 1e9;
    for (int i = 0; i < 3; ++i) { // the first pass warms up allocators and kernels
        model->zero_grad();
        const auto start = std::chrono::steady_clock::now();
        const at::Tensor loss = model->forward(in).loss;
        loss.backward();
        best
            = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        QVERIFY(std::isfinite(loss.item<double>()));
    }
    QVERIFY(model->language_model->model->shared->weight.grad().defined());
    std::printf("INFO   : forward + backward, batch 8 at 128 x 128: %.3f s on %d threads\n", best,
        at::get_num_threads());
    // Generous: the design target is well under 0.5 s on 2 cores; this only catches a blow-up.
    QVERIFY2(best < 10.0, std::to_string(best).c_str());
}

void TestDemoModel::refusesNonEmptyFolder()
{
    TempDir tmp;
    std::ofstream(tmp.path + "/notes.txt") << "mine";
    const Status s = training::writeDemoModel(tmp.path, demoCorpus());
    QVERIFY(!s.ok());
    QCOMPARE(s.error().path, tmp.path);
    QVERIFY2(s.error().toString().find(tmp.path) != std::string::npos, s.error().toString().c_str());
    QVERIFY2(s.error().message.find("not empty") != std::string::npos, s.error().message.c_str());
    QCOMPARE(readText(tmp.path + "/notes.txt"), std::string("mine"));
    QVERIFY(!fs::exists(tmp.path + "/config.json"));

    // A second write into a written folder is refused too, leaving it as it was.
    const std::string dir = tmp.path + "/model";
    QVERIFY(training::writeDemoModel(dir, demoCorpus()).ok());
    const std::string config = readText(dir + "/config.json");
    training::DemoModelOptions other;
    other.imageSize = 64;
    QVERIFY(!training::writeDemoModel(dir, demoCorpus(), other).ok());
    QCOMPARE(readText(dir + "/config.json"), config);
}

void TestDemoModel::refusesBadOptionsWritingNothing()
{
    TempDir tmp;
    const std::string dir = tmp.path + "/model";
    training::DemoModelOptions o;
    o.imageSize = 100;
    Status s = training::writeDemoModel(dir, demoCorpus(), o);
    QVERIFY(!s.ok());
    QVERIFY2(s.error().message.find("multiple of 32") != std::string::npos, s.error().message.c_str());
    o = {};
    o.vocabSize = 100;
    s = training::writeDemoModel(dir, demoCorpus(), o);
    QVERIFY(!s.ok());
    QVERIFY2(s.error().message.find("at least 260") != std::string::npos, s.error().message.c_str());
    s = training::writeDemoModel(dir, {});
    QVERIFY(!s.ok());
    QVERIFY(!fs::exists(dir));

    // Other image sizes: the position tables follow the feature map.
    o = {};
    o.imageSize = 256;
    QVERIFY(training::writeDemoModel(dir, demoCorpus(), o).ok());
    auto config = florence2::loadFlorence2Config(dir);
    QVERIFY(config.ok());
    QCOMPARE(config->vision.maxPosEmbeddings, int64_t(8));
    QVERIFY(config->text.maxPositionEmbeddings >= 8 * 8 + 1 + 64);
}

void TestDemoModel::isDeterministic()
{
    TempDir tmp;
    QVERIFY(training::writeDemoModel(tmp.path + "/a", demoCorpus()).ok());
    QVERIFY(training::writeDemoModel(tmp.path + "/b", demoCorpus()).ok());
    for (const char *name :
        {"config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json", "README.txt"})
        QVERIFY2(readText(tmp.path + "/a/" + name) == readText(tmp.path + "/b/" + name), name);
}

// The trainer's random start draws with text_config.init_std: the demo's 0.088 (what lets image
// conditioning emerge in minutes), another value when config.json says so, and a bad one is an
// error naming the key.
void TestDemoModel::randomInitFollowsTheConfigsInitStd()
{
    TempDir tmp;
    QVERIFY(training::writeDemoModel(tmp.path, demoCorpus()).ok());
    engine::LoadModelOptions options;
    options.needProcessor = false;
    options.randomInitWithoutWeights = true;
    options.initSeed = 3;
    auto measuredStd = [&](const std::string &folder) {
        auto loaded = engine::loadModel(folder, options);
        if (!loaded.ok())
            return -1.0;
        // 187k draws (the <pad> row is zero): the sample std is within 1 % of the true one
        const at::Tensor w = loaded->model->language_model->model->shared->weight;
        return w.slice(0, 2).std().item<double>();
    };
    const double demoStd = measuredStd(tmp.path);
    std::printf("INFO   : embedding std %.4f with the demo's init_std\n", demoStd);
    QVERIFY2(std::abs(demoStd - 0.088) < 0.088 * 0.02, std::to_string(demoStd).c_str());

    const std::string configPath = tmp.path + "/config.json";
    const std::string original = readText(configPath);
    const std::string marker = "\"init_std\": 0.088";
    QVERIFY(original.find(marker) != std::string::npos);
    auto withInitStd = [&](const std::string &value) {
        std::string text = original;
        text.replace(text.find(marker), marker.size(), "\"init_std\": " + value);
        std::ofstream(configPath, std::ios::trunc) << text;
    };
    withInitStd("0.02");
    const double florenceStd = measuredStd(tmp.path);
    QVERIFY2(std::abs(florenceStd - 0.02) < 0.02 * 0.02, std::to_string(florenceStd).c_str());

    withInitStd("-1");
    auto bad = engine::loadModel(tmp.path, options);
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().message.find("init_std") != std::string::npos, bad.error().message.c_str());
}

FMW_TEST_MAIN(TestDemoModel, writesTheFolder, engineLoadsConfigTokenizerAndProcessor,
    randomModelGivesLossNearLnVocab, forwardBackwardOfABatchIsFast, refusesNonEmptyFolder,
    refusesBadOptionsWritingNothing, isDeterministic, randomInitFollowsTheConfigsInitStd)
#ifdef FMW_HAVE_QTTEST
#include "tst_demo_model.moc"
#endif
