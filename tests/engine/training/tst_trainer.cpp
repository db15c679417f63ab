// The trainer on a tiny demo-shaped model (random weights, its own learned tokenizer) and
// in-memory examples: schedules as transformers computes them, LoRA on the tied lm_head,
// freezing that really stops updates, exact resume after a stop mid-epoch, crash-proof
// checkpoint folders, the non-finite guard, early stopping and keep-last-K.
#include "engine/engine_test.h"

#include "engine/model/tiny_fixture.h"
#include "engine/model_loader.h"
#include "engine/training/adapter_files.h"
#include "engine/training/checkpoint_dir.h"
#include "engine/training/demo_model.h"
#include "engine/training/lora.h"
#include "engine/training/lr_schedule.h"
#include "engine/training/trainer.h"

#include <ATen/ATen.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <chrono>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace fmw;
using namespace fmw::training;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kCaptions {"Right pneumothorax.", "Cardiomegaly.", "No acute abnormality.",
    "Left pleural effusion.", "Right pneumothorax. Cardiomegaly.", "Small left upper zone nodule."};

// Examples in memory: a 64 x 64 gray image whose bright square's position depends on the caption.
class MemorySource : public SampleSource {
public:
    explicit MemorySource(size_t n, bool withBadImage = false)
    {
        for (size_t i = 0; i < n; ++i) {
            const std::string &caption = kCaptions[i % kCaptions.size()];
            m_texts.push_back({"<CAPTION>", caption, "mem:" + std::to_string(i + 1)});
        }
        m_badIndex = withBadImage ? 1 : n;
    }
    size_t size() const override { return m_texts.size(); }
    const SampleText &text(size_t i) const override { return m_texts[i]; }
    Result<RawSample> load(size_t i) const override
    {
        if (i == m_badIndex)
            return makeError(ErrorCode::Parse, "image is corrupt", "mem:bad.png");
        RawSample s;
        s.image = text::ImageU8(64, 64, 1);
        const int k = static_cast<int>(i % kCaptions.size());
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x)
                s.image.at(x, y, 0) = static_cast<uint8_t>((x / 16 == k % 4 && y / 16 == k / 4)
                        ? 230
                        : 20 + ((x * 7 + y * 3 + static_cast<int>(i)) % 11));
        s.prefix = m_texts[i].prefix;
        s.suffix = m_texts[i].suffix;
        s.origin = m_texts[i].origin;
        return s;
    }

private:
    std::vector<SampleText> m_texts;
    size_t m_badIndex;
};

struct TempDir {
    std::string path;
    TempDir()
    {
        path = (fs::temp_directory_path()
            / ("fmw-trainer-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++)))
                   .string();
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    static int &counter()
    {
        static int c = 0;
        return c;
    }
};

// One demo model folder for the whole test binary.
const std::string &demoModel()
{
    static TempDir dir;
    static const std::string path = [] {
        const std::string p = dir.path + "/model";
        DemoModelOptions o;
        o.imageSize = 64;
        const Status s = writeDemoModel(p, kCaptions, o);
        if (!s) {
            std::fprintf(stderr, "FAIL: writeDemoModel: %s\n", s.error().message.c_str());
            std::abort();
        }
        return p;
    }();
    return path;
}

TrainingOptions baseOptions(const std::string &outDir)
{
    TrainingOptions o;
    o.modelName = demoModel();
    o.processorName = demoModel();
    o.randomInit = true;
    o.finetune = "full";
    o.precision = "fp32";
    o.batchSize = 4;
    o.epochs = 2;
    o.lr = 1e-3;
    o.warmupSteps = 1;
    o.lrScheduler = "linear";
    o.numWorkers = 1;
    o.previewSamples = 0;
    o.keepLastCheckpoints = 0;
    o.outputDir = outDir;
    o.threads = 1;
    return o;
}

// LoRA on a demo model with every kind of random draw on: dropout 0.1, drop path 0.1, LoRA
// dropout 0.05; 3 epochs, 2 micro-batches per step. lr 1e-4, a usual LoRA rate: runs that sum
// the same gradients in another order (2 ranks x 3 rows vs 6 rows in one GEMM) differ by
// rounding, and where a gradient is zero up to rounding (directions softmax ignores, e.g. in
// cross-attention's key projection) AdamW turns that noise into steps of up to lr x noise /
// eps. Measured here: adapters 3e-8 apart at lr 1e-4, but 2e-6 at 1e-3.
TrainingOptions loraOptions(const std::string &outDir)
{
    static TempDir dir;
    static const std::string model = [] {
        const std::string p = dir.path + "/model";
        DemoModelOptions m;
        m.imageSize = 64;
        m.dropPathRate = 0.1;
        if (!writeDemoModel(p, kCaptions, m))
            std::abort();
        return p;
    }();
    TrainingOptions o = baseOptions(outDir);
    o.modelName = model;
    o.processorName = model;
    o.finetune = "lora";
    o.loraR = 4;
    o.loraAlpha = 8;
    o.loraDropout = 0.05;
    o.batchSize = 6;
    o.gradientAccumulationSteps = 2;
    o.epochs = 3;
    o.lr = 1e-4;
    o.warmupSteps = 1;
    o.distTimeoutSeconds = 60;
    return o;
}

struct Run {
    std::vector<double> losses;
    std::vector<double> valLosses;
    double seconds = 0; // Trainer::create + run
    std::vector<std::string> log;
    Result<TrainingResult> result = makeError(ErrorCode::Internal, "not run");
};

Run train(TrainingOptions options, std::shared_ptr<const SampleSource> trainSet,
    std::shared_ptr<const SampleSource> valSet, const std::string &resume = {}, int64_t stopAfterStep = -1,
    const DistributedSettings &distributed = {}, int64_t failAtStep = -1)
{
    Run run;
    TrainerSetup setup;
    setup.options = std::move(options);
    setup.train = std::move(trainSet);
    setup.val = std::move(valSet);
    setup.configYaml = "# test\n";
    setup.resumeFrom = resume;
    setup.distributed = distributed;
    TrainerEvents events;
    events.log = [&](const std::string &l) { run.log.push_back(l); };
    int64_t lastStep = 0;
    events.step = [&](const StepReport &s) {
        run.losses.push_back(s.loss);
        lastStep = s.optimizerStep;
        if (s.optimizerStep == failAtStep)
            throw std::runtime_error("this rank fails on purpose");
    };
    events.epoch = [&](const EpochReport &e) {
        if (e.valLoss)
            run.valLosses.push_back(*e.valLoss);
    };
    events.stopRequested = [&] { return stopAfterStep >= 0 && lastStep >= stopAfterStep; };
    auto trainer = Trainer::create(setup, events);
    if (!trainer) {
        run.result = trainer.error();
        return run;
    }
    run.result = (*trainer)->run();
    return run;
}

// A data-parallel run of `world` ranks, each a Trainer on its own thread, meeting over Gloo on
// loopback exactly as separate processes do (the CLI test runs real processes). Rank 0 alone
// may be asked to stop; `failRank` throws out of its step callback at `failAtStep`.
std::vector<Run> trainRanks(int64_t world, const TrainingOptions &options, std::shared_ptr<const SampleSource> trainSet,
    std::shared_ptr<const SampleSource> valSet, const std::string &resume = {}, int64_t stopAfterStep = -1,
    int64_t failRank = -1, int64_t failAtStep = -1)
{
    const int port = fmw::training::freeLoopbackPort();
    std::vector<Run> runs(static_cast<size_t>(world));
    std::vector<std::thread> threads;
    for (int64_t r = 0; r < world; ++r)
        threads.emplace_back([&, r] {
            DistributedSettings d;
            d.launched = true;
            d.rank = r;
            d.worldSize = world;
            d.localRank = r;
            d.masterPort = port;
            const auto start = std::chrono::steady_clock::now();
            runs[static_cast<size_t>(r)] = train(options, trainSet, valSet, resume, r == 0 ? stopAfterStep : -1, d,
                r == failRank ? failAtStep : -1);
            runs[static_cast<size_t>(r)].seconds
                = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        });
    for (std::thread &t : threads)
        t.join();
    return runs;
}

std::map<std::string, at::Tensor> tensorsOf(const std::string &file)
{
    auto read = weights::readSafetensors(file);
    if (!read) {
        std::fprintf(stderr, "FAIL: %s\n", read.error().message.c_str());
        std::abort();
    }
    return {read->tensors.begin(), read->tensors.end()};
}

// A LoRA checkpoint's adapter tensors.
std::map<std::string, at::Tensor> adapter(const std::string &checkpoint)
{
    return tensorsOf(checkpoint + "/adapter_model.safetensors");
}

double maxDifference(const std::map<std::string, at::Tensor> &a, const std::map<std::string, at::Tensor> &b)
{
    double worst = 0;
    for (const auto &[name, t] : a) {
        if (!b.count(name))
            return INFINITY;
        worst = std::max(worst, (t - b.at(name)).abs().max().item<double>());
    }
    return a.size() == b.size() ? worst : INFINITY;
}

// A full fine-tuning checkpoint's (or model folder's) weights.
std::map<std::string, at::Tensor> snapshot(const std::string &modelDir)
{
    return tensorsOf(modelDir + "/model.safetensors");
}

bool contains(const std::vector<std::string> &lines, const std::string &needle)
{
    for (const std::string &l : lines)
        if (l.find(needle) != std::string::npos)
            return true;
    return false;
}

} // namespace

class TestTrainer : public QObject {
    Q_OBJECT

private slots:
    void schedulesMatchTransformers()
    {
        // get_linear_schedule_with_warmup(10 steps, 2 warmup), peak 1
        const LrSchedule linear(ScheduleKind::Linear, 1.0, 2, 10);
        QCOMPARE(linear.lrAt(0), 0.0);
        QCOMPARE(linear.lrAt(1), 0.5);
        QCOMPARE(linear.lrAt(2), 1.0);
        QCOMPARE(linear.lrAt(6), 0.5);
        QCOMPARE(linear.lrAt(9), 0.125);
        QCOMPARE(linear.lrAt(10), 0.0);
        const LrSchedule cosine(ScheduleKind::Cosine, 2.0, 2, 10);
        QCOMPARE(cosine.lrAt(2), 2.0);
        QVERIFY(std::abs(cosine.lrAt(6) - 1.0) < 1e-12);
        QVERIFY(std::abs(cosine.lrAt(4) - (1.0 + std::cos(M_PI * 0.25))) < 1e-12);
        const LrSchedule constant(ScheduleKind::Constant, 3.0, 0, 10);
        QCOMPARE(constant.lrAt(0), 3.0);
        QCOMPARE(constant.lrAt(9), 3.0);
        QVERIFY(!parseSchedule("step"));
    }

    void loraOnTiedLmHead()
    {
        tiny::Florence2ForConditionalGeneration model = tiny::loadTinyModel();
        model->eval();
        const at::Tensor hidden = at::randn({2, 3, model->config().text.dModel});
        auto &lm = *model->language_model;
        const at::Tensor base = lm.lmHead(hidden);
        LoraConfig config;
        config.targetModules = {"lm_head"};
        auto adapted = applyLora(*model, config);
        QVERIFY(adapted.ok());
        QCOMPARE(adapted->size(), size_t(1));
        QCOMPARE(adapted->front(), std::string("language_model.lm_head"));
        // the tied head registers no weight of its own: the state dict is unchanged
        QVERIFY(!model->named_parameters().contains("language_model.lm_head.weight"));
        QVERIFY(at::equal(lm.lmHead(hidden), base)); // B = 0
        QVERIFY(lm.nextTokens(hidden.slice(1, 0, 1), {}).empty()); // the screen steps aside
        {
            torch::NoGradGuard noGrad;
            lm.lm_head->lora_B->weight.normal_(0, 0.1);
        }
        const double scaling = lm.lm_head->loraScaling();
        const at::Tensor expected = base
            + at::matmul(at::matmul(hidden, lm.lm_head->lora_A->weight.t()), lm.lm_head->lora_B->weight.t())
                * scaling;
        QVERIFY(at::allclose(lm.lmHead(hidden), expected, 1e-5, 1e-6));
        // merging would change the embeddings too: the adapter stays active, named
        const auto kept = mergeLora(*model);
        QCOMPARE(kept.size(), size_t(1));
        QVERIFY(at::allclose(lm.lmHead(hidden), expected, 1e-5, 1e-6));
        // saved and loaded again into a fresh model: the same logits
        TempDir dir;
        QVERIFY(saveAdapter(*model, config, dir.path + "/adapter").ok());
        tiny::Florence2ForConditionalGeneration fresh = tiny::loadTinyModel();
        fresh->eval();
        QVERIFY(loadAdapter(*fresh, dir.path + "/adapter").ok());
        QVERIFY(at::equal(fresh->language_model->lmHead(hidden), lm.lmHead(hidden)));
    }

    void freezingStopsUpdates()
    {
        TempDir out;
        TrainingOptions o = baseOptions(out.path);
        o.epochs = 1;
        o.freeze = {"vision_tower", "encoder"};
        auto data = std::make_shared<MemorySource>(8);
        Run run = train(o, data, nullptr);
        QVERIFY2(run.result.ok(), run.result.ok() ? "" : run.result.error().message.c_str());
        QVERIFY(contains(run.log, "vision_tower: 0 trainable"));
        QVERIFY(contains(run.log, "encoder: 0 trainable"));
        // the initial weights are the seeded random init: rebuild them and compare
        engine::LoadModelOptions load;
        load.randomInitWithoutWeights = true;
        load.initSeed = o.seed;
        load.needProcessor = false;
        auto initial = engine::loadModel(demoModel(), load);
        QVERIFY(initial.ok());
        const auto after = snapshot(out.path + "/checkpoints/epoch_1");
        int64_t changedFrozen = 0, changedTrained = 0, frozenCount = 0;
        for (const auto &item : initial->model->named_parameters(true)) {
            const std::string &name = item.key();
            const bool frozen
                = name.rfind("vision_tower.", 0) == 0 || name.rfind("language_model.model.encoder.", 0) == 0;
            const bool same = at::equal(item.value(), after.at(name));
            if (frozen) {
                ++frozenCount;
                changedFrozen += same ? 0 : 1;
                if (!same)
                    std::fprintf(stderr, "changed although frozen: %s\n", name.c_str());
            } else {
                changedTrained += same ? 0 : 1;
            }
        }
        QVERIFY(frozenCount > 10);
        QCOMPARE(changedFrozen, int64_t(0));
        QVERIFY(changedTrained > 10);
    }

    void resumeContinuesExactly()
    {
        auto data = std::make_shared<MemorySource>(10);
        auto val = std::make_shared<MemorySource>(4);
        TempDir a, b;
        TrainingOptions o = baseOptions(a.path);
        o.epochs = 3;
        o.lrScheduler = "cosine";
        Run whole = train(o, data, val);
        QVERIFY2(whole.result.ok(), whole.result.ok() ? "" : whole.result.error().message.c_str());
        QCOMPARE(whole.losses.size(), size_t(9)); // 3 batches of <= 4 per epoch

        // stopped mid-epoch 2 (after step 4), then resumed from the run folder
        o.outputDir = b.path;
        Run first = train(o, data, val, {}, 4);
        QVERIFY(first.result.ok());
        QVERIFY(first.result->end == RunEnd::Stopped);
        QVERIFY(fs::exists(b.path + "/checkpoints/step_4/checkpoint.json"));
        Run second = train(o, data, val, b.path);
        QVERIFY2(second.result.ok(), second.result.ok() ? "" : second.result.error().message.c_str());
        std::vector<double> joined = first.losses;
        joined.insert(joined.end(), second.losses.begin(), second.losses.end());
        QCOMPARE(joined.size(), whole.losses.size());
        for (size_t i = 0; i < joined.size(); ++i)
            QVERIFY2(std::abs(joined[i] - whole.losses[i]) <= 1e-6,
                ("step " + std::to_string(i + 1) + ": " + std::to_string(joined[i]) + " vs "
                    + std::to_string(whole.losses[i]))
                    .c_str());
        // the same final weights
        const auto wa = snapshot(a.path + "/checkpoints/epoch_3");
        const auto wb = snapshot(b.path + "/checkpoints/epoch_3");
        for (const auto &[name, t] : wa)
            QVERIFY2(at::allclose(t, wb.at(name), 0, 1e-6), name.c_str());
        // both runs keep the same metrics
        QVERIFY(fs::exists(b.path + "/metrics.csv"));
        QVERIFY(fs::is_symlink(b.path + "/checkpoints/last"));
        QCOMPARE(fs::read_symlink(b.path + "/checkpoints/last").string(), std::string("epoch_3"));
    }

    void microBatchThreadsGiveTheSameRun()
    {
        // The demo model has dropout 0.1, so this also checks that each micro-batch's draws
        // do not depend on the thread that runs it.
        auto data = std::make_shared<MemorySource>(12);
        TempDir a, b;
        TrainingOptions o = baseOptions(a.path);
        o.batchSize = 2;
        o.gradientAccumulationSteps = 3;
        Run serial = train(o, data, nullptr);
        QVERIFY2(serial.result.ok(), serial.result.ok() ? "" : serial.result.error().message.c_str());
        QCOMPARE(serial.losses.size(), size_t(4)); // 2 steps of 3 micro-batches per epoch
        o.outputDir = b.path;
        o.microBatchThreads = 2; // micro-batches 1-2 at once, then 3 alone
        Run parallel = train(o, data, nullptr);
        QVERIFY2(parallel.result.ok(), parallel.result.ok() ? "" : parallel.result.error().message.c_str());
        QVERIFY(contains(parallel.log, "up to 2 at once"));
        QCOMPARE(parallel.losses.size(), serial.losses.size());
        for (size_t i = 0; i < serial.losses.size(); ++i)
            QVERIFY2(std::abs(parallel.losses[i] - serial.losses[i]) <= 1e-6,
                ("step " + std::to_string(i + 1) + ": " + std::to_string(parallel.losses[i]) + " vs "
                    + std::to_string(serial.losses[i]))
                    .c_str());
        const auto wa = snapshot(a.path + "/checkpoints/epoch_2");
        const auto wb = snapshot(b.path + "/checkpoints/epoch_2");
        for (const auto &[name, t] : wa) {
            // Softmax ignores a key bias: its gradient is rounding noise, which differs in the
            // last bits between the two runs, and AdamW turns noise into full-size steps. So key
            // biases (k_proj's, and the middle third of DaViT's fused qkv) are left out.
            at::Tensor x = t, y = wb.at(name);
            if (name.find("k_proj.bias") != std::string::npos)
                continue;
            if (name.find("qkv.bias") != std::string::npos) {
                const int64_t c = t.size(0) / 3;
                x = at::cat({t.slice(0, 0, c), t.slice(0, 2 * c)});
                y = at::cat({y.slice(0, 0, c), y.slice(0, 2 * c)});
            }
            QVERIFY2(at::allclose(x, y, 0, 1e-6), name.c_str());
        }
    }

    void loraRunWritesAdaptersAndPointers()
    {
        TempDir out;
        TrainingOptions o = baseOptions(out.path);
        o.finetune = "lora";
        o.loraTargetModules = {"q_proj", "v_proj", "fc1", "lm_head"}; // fc1: LoRA before a fused GELU
        o.epochs = 3;
        o.lr = 5e-3;
        o.keepLastCheckpoints = 1;
        auto data = std::make_shared<MemorySource>(8);
        auto val = std::make_shared<MemorySource>(4);
        Run run = train(o, data, val);
        QVERIFY2(run.result.ok(), run.result.ok() ? "" : run.result.error().message.c_str());
        const std::string ck = out.path + "/checkpoints";
        QVERIFY(fs::exists(ck + "/epoch_3/adapter_model.safetensors"));
        QVERIFY(fs::exists(ck + "/epoch_3/adapter_config.json"));
        QVERIFY(fs::exists(ck + "/epoch_3/optimizer.pt"));
        QVERIFY(!fs::exists(ck + "/epoch_3/model.safetensors"));
        QVERIFY(verifyCheckpointDir(ck + "/epoch_3").ok());
        // keep_last_checkpoints 1: the last and the best remain
        const std::string best = fs::read_symlink(ck + "/best").string();
        QVERIFY(fs::exists(ck + "/" + best));
        int64_t folders = 0;
        for (const auto &e : fs::directory_iterator(ck))
            folders += (e.is_directory() && !e.is_symlink()) ? 1 : 0;
        QCOMPARE(folders, best == "epoch_3" ? int64_t(1) : int64_t(2));
        // fc1 names DaViT's MLP layers too: adapters there, the base frozen
        QVERIFY(!contains(run.log, "vision_tower: 0 trainable"));
        QVERIFY(contains(run.log, "lm_head: "));
    }

    void checkpointFoldersAreAllOrNothing()
    {
        TempDir dir;
        const std::string ck = dir.path + "/checkpoints";
        // a fill that fails leaves nothing behind
        const Status failed = writeCheckpointDir(ck, "epoch_1", [](const std::string &d) -> Status {
            std::ofstream(d + "/a.bin") << "partial";
            return makeError(ErrorCode::Io, "disk full");
        });
        QVERIFY(!failed);
        QVERIFY(!fs::exists(ck + "/epoch_1"));
        QVERIFY(writeCheckpointDir(ck, "epoch_1", [](const std::string &d) -> Status {
            std::ofstream(d + "/a.bin") << "0123456789";
            return {};
        }).ok());
        QVERIFY(verifyCheckpointDir(ck + "/epoch_1").ok());
        // what a kill leaves: a folder without manifest, a truncated file, a temporary
        fs::create_directories(ck + "/epoch_2");
        std::ofstream(ck + "/epoch_2/a.bin") << "01234";
        fs::copy(ck + "/epoch_1", ck + "/epoch_3", fs::copy_options::recursive);
        fs::resize_file(ck + "/epoch_3/a.bin", 3);
        fs::create_directories(ck + "/.tmp-epoch_4-123");
        const auto entries = listCheckpointDirs(ck);
        QCOMPARE(entries.size(), size_t(3));
        int complete = 0;
        for (const auto &e : entries) {
            complete += e.complete ? 1 : 0;
            if (e.name == "epoch_3")
                QVERIFY(e.problem.find("a.bin has 3 bytes") != std::string::npos);
            if (e.name == "epoch_2")
                QVERIFY(e.problem.find("checkpoint.json") != std::string::npos);
        }
        QCOMPARE(complete, 1);
        auto resolved = resolveCheckpoint(ck);
        QVERIFY(resolved.ok());
        QCOMPARE(fs::path(*resolved).filename().string(), std::string("epoch_1"));
        QVERIFY(!resolveCheckpoint(ck + "/epoch_3"));
        QCOMPARE(removeStaleTemporaries(ck).size(), size_t(1));
        QVERIFY(setPointer(ck, "last", "epoch_1").ok());
        QVERIFY(verifyCheckpointDir(ck + "/last").ok());
    }

    void badDataIsSkippedAndCounted()
    {
        TempDir out;
        TrainingOptions o = baseOptions(out.path);
        o.epochs = 1;
        auto data = std::make_shared<MemorySource>(8, true);
        Run run = train(o, data, nullptr);
        QVERIFY2(run.result.ok(), run.result.ok() ? "" : run.result.error().message.c_str());
        QCOMPARE(run.result->skippedSamples, int64_t(1));
        QVERIFY(contains(run.log, "image is corrupt"));
    }

    void nonFiniteLossStopsTheRun()
    {
        TempDir out;
        TrainingOptions o = baseOptions(out.path);
        o.epochs = 20;
        o.lr = 1e30;
        o.warmupSteps = 0;
        o.maxGradNorm = 0;
        o.maxBadSteps = 2;
        auto data = std::make_shared<MemorySource>(8);
        Run run = train(o, data, nullptr);
        QVERIFY(!run.result.ok());
        QVERIFY(run.result.error().message.find("non-finite") != std::string::npos);
        QVERIFY(contains(run.log, "step skipped"));
    }

    void earlyStoppingWithPatience()
    {
        TempDir out;
        TrainingOptions o = baseOptions(out.path);
        o.epochs = 5;
        o.lr = 1e-12; // val loss cannot improve by min_delta
        o.earlyStoppingPatience = 1;
        o.earlyStoppingMinDelta = 1e-3;
        auto data = std::make_shared<MemorySource>(4);
        auto val = std::make_shared<MemorySource>(4);
        Run run = train(o, data, val);
        QVERIFY(run.result.ok());
        QVERIFY(run.result->end == RunEnd::EarlyStopped);
        QCOMPARE(run.result->epochsDone, int64_t(2));
        QCOMPARE(fs::read_symlink(out.path + "/checkpoints/best").string(), std::string("epoch_1"));
    }

    // 2 ranks x batch 3 train exactly like 1 process x batch 6: per-sample dropout, drop path
    // and LoRA dropout (all on), token-weighted losses, gradient accumulation, a last global
    // batch the ranks share unevenly and a validation batch one rank has no part of.
    void dataParallelMatchesOneProcess()
    {
        auto data = std::make_shared<MemorySource>(22);
        auto val = std::make_shared<MemorySource>(7);
        TempDir one, two;
        TrainingOptions o = loraOptions(one.path);
        Run single = train(o, data, val);
        QVERIFY2(single.result.ok(), single.result.ok() ? "" : single.result.error().message.c_str());
        QCOMPARE(single.losses.size(), size_t(6)); // 4 batches of 6 per epoch, 2 per step, 3 epochs

        o.outputDir = two.path;
        o.batchSize = 3;
        const std::vector<Run> ranks = trainRanks(2, o, data, val);
        for (const Run &r : ranks)
            QVERIFY2(r.result.ok(), r.result.ok() ? "" : r.result.error().message.c_str());
        QVERIFY(contains(ranks[1].log, "data parallel: rank 1 of 2 (gloo"));
        for (const Run &r : ranks) {
            QCOMPARE(r.losses.size(), single.losses.size());
            for (size_t i = 0; i < single.losses.size(); ++i)
                QVERIFY2(std::abs(r.losses[i] - single.losses[i]) <= 1e-5,
                    ("step " + std::to_string(i + 1) + ": " + std::to_string(r.losses[i]) + " vs "
                        + std::to_string(single.losses[i]))
                        .c_str());
            QCOMPARE(r.valLosses.size(), size_t(3));
            for (size_t e = 0; e < 3; ++e)
                QVERIFY(std::abs(r.valLosses[e] - single.valLosses[e]) <= 1e-5);
        }
        const double diff = maxDifference(adapter(one.path + "/checkpoints/epoch_3"), adapter(two.path + "/checkpoints/epoch_3"));
        double lossDiff = 0;
        for (size_t i = 0; i < single.losses.size(); ++i)
            lossDiff = std::max(lossDiff, std::abs(ranks[0].losses[i] - single.losses[i]));
        std::printf("2 ranks x 3 vs 1 x 6: step losses differ by at most %.3g, final adapters by %.3g\n", lossDiff, diff);
        QVERIFY2(diff <= 1e-6, std::to_string(diff).c_str());
        // the adapter really trained (B starts at zero)
        QVERIFY(maxDifference(adapter(two.path + "/checkpoints/epoch_1"), adapter(two.path + "/checkpoints/epoch_3")) > 1e-4);
        // rank 0's metrics, with the collectives' time per step
        std::ifstream metrics(two.path + "/metrics.jsonl");
        int steps = 0;
        for (std::string line; std::getline(metrics, line);)
            steps += line.find("\"allreduce_ms\"") != std::string::npos ? 1 : 0;
        QCOMPARE(steps, 6);
    }

    // A rank that fails mid-epoch ends the run on every rank, with a message that says so, long
    // before the timeout (its sockets close); its peers do not hang.
    void deadRankEndsEveryRank()
    {
        TempDir out;
        TrainingOptions o = loraOptions(out.path);
        o.batchSize = 3;
        o.distTimeoutSeconds = 30;
        const std::vector<Run> ranks = trainRanks(2, o, std::make_shared<MemorySource>(22), nullptr, {}, -1, 1, 2);
        QVERIFY(!ranks[1].result.ok());
        QVERIFY(ranks[1].result.error().message.find("fails on purpose") != std::string::npos);
        QVERIFY(!ranks[0].result.ok());
        const std::string &message = ranks[0].result.error().message;
        QVERIFY2(message.find("rank 0 of 2: the all-reduce failed: another rank died or stopped answering "
                              "(dist_timeout 30 s)")
                != std::string::npos,
            message.c_str());
        QVERIFY2(ranks[0].seconds < 30, std::to_string(ranks[0].seconds).c_str());
        QCOMPARE(ranks[0].losses.size(), size_t(2)); // rank 0 finished step 2, then lost rank 1
    }

    // Stopped on request (rank 0's; all agree on the step), then resumed with 2 ranks: the same
    // losses and final adapter as an uninterrupted 2-rank run.
    void dataParallelResumeContinuesExactly()
    {
        auto data = std::make_shared<MemorySource>(22);
        auto val = std::make_shared<MemorySource>(7);
        TempDir whole, parts;
        TrainingOptions o = loraOptions(whole.path);
        o.batchSize = 3;
        const std::vector<Run> reference = trainRanks(2, o, data, val);
        QVERIFY(reference[0].result.ok() && reference[1].result.ok());

        o.outputDir = parts.path;
        const std::vector<Run> first = trainRanks(2, o, data, val, {}, 3);
        QVERIFY(first[0].result.ok() && first[1].result.ok());
        QVERIFY(first[0].result->end == RunEnd::Stopped && first[1].result->end == RunEnd::Stopped);
        QCOMPARE(first[1].losses.size(), size_t(3)); // rank 1 stopped at rank 0's step
        QVERIFY(fs::exists(parts.path + "/checkpoints/step_3/checkpoint.json"));
        const std::vector<Run> second = trainRanks(2, o, data, val, parts.path);
        QVERIFY2(second[0].result.ok(), second[0].result.ok() ? "" : second[0].result.error().message.c_str());
        QVERIFY2(second[1].result.ok(), second[1].result.ok() ? "" : second[1].result.error().message.c_str());
        for (size_t r = 0; r < 2; ++r) {
            std::vector<double> joined = first[r].losses;
            joined.insert(joined.end(), second[r].losses.begin(), second[r].losses.end());
            QCOMPARE(joined.size(), reference[r].losses.size());
            for (size_t i = 0; i < joined.size(); ++i)
                QVERIFY(std::abs(joined[i] - reference[r].losses[i]) <= 1e-6);
        }
        const double diff
            = maxDifference(adapter(whole.path + "/checkpoints/epoch_3"), adapter(parts.path + "/checkpoints/epoch_3"));
        QVERIFY2(diff <= 1e-6, std::to_string(diff).c_str());
    }

    void configErrorsNameTheKey()
    {
        TempDir out;
        TrainingOptions o = baseOptions(out.path);
        o.finetune = "lora";
        o.loraTargetModules = {"o_proj"};
        Run run = train(o, std::make_shared<MemorySource>(4), nullptr);
        QVERIFY(!run.result.ok());
        QVERIFY(run.result.error().message.find("'o_proj' names no linear layer") != std::string::npos);
        QVERIFY(run.result.error().message.find("out_proj") != std::string::npos);
        o = baseOptions(out.path);
        o.precision = "bf16"; // full fine-tuning keeps fp32 weights
        run = train(o, std::make_shared<MemorySource>(4), nullptr);
        QVERIFY(!run.result.ok());
        QVERIFY(run.result.error().message.find("precision") != std::string::npos);
    }
};

FMW_TEST_MAIN(TestTrainer, schedulesMatchTransformers, loraOnTiedLmHead, freezingStopsUpdates,
    resumeContinuesExactly, microBatchThreadsGiveTheSameRun, loraRunWritesAdaptersAndPointers,
    checkpointFoldersAreAllOrNothing, badDataIsSkippedAndCounted, nonFiniteLossStopsTheRun, earlyStoppingWithPatience, configErrorsNameTheKey,
    dataParallelMatchesOneProcess, deadRankEndsEveryRank, dataParallelResumeContinuesExactly)
#include "tst_trainer.moc"
