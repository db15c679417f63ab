// The training run's YAML config: the shipped configs, every key, did-you-mean for unknown
// keys, value validation with key/file/line, --set overrides, path resolution against the
// project root, and the resolved config's YAML round trip.

#include "training/training_config.h"

#include "common/test_support.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace fmw;
using namespace fmw::training;

namespace {

// A project folder with configs/ under a temporary directory.
class Project {
public:
    Project()
    {
        if (!m_dir.isValid() || !QDir(m_dir.path()).mkpath(QStringLiteral("configs")))
            qFatal("cannot create a temporary project");
    }
    QString root() const { return QDir::cleanPath(m_dir.path()); }
    QString path(const QString &relative) const { return QDir::cleanPath(QDir(root()).filePath(relative)); }

    // Writes configs/<name> and returns its path.
    QString writeConfig(const QByteArray &yaml, const QString &name = QStringLiteral("run.yaml")) const
    {
        const QString file = path(QStringLiteral("configs/") + name);
        QFile f(file);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(yaml) != yaml.size())
            qFatal("cannot write %s", qPrintable(file));
        return file;
    }

private:
    QTemporaryDir m_dir;
};

// The seed config's required keys, five lines: a test's own lines start at line 6.
const QByteArray kBase = "train_json: data/train.jsonl\n"
                         "val_json: data/val.jsonl\n"
                         "image_dir: data/images\n"
                         "model_name: microsoft/Florence-2-base-ft\n"
                         "preview_samples: 1\n";

TrainingOptions loadOrFail(const QString &path, const QStringList &overrides = {})
{
    auto r = loadTrainingConfig(path, overrides);
    if (!r.ok())
        qFatal("load failed: %s", r.error().toString().c_str());
    return std::move(r).value();
}

} // namespace

class TestTrainingConfig : public QObject {
    Q_OBJECT
private slots:
    void seedConfigLoads();
    void demoConfigLoads();
    void keysAreComplete();
    void everySeedKeyIsRead();
    void unknownKey_data();
    void unknownKey();
    void badValue_data();
    void badValue();
    void fileErrors_data();
    void fileErrors();
    void missingRequiredKey();
    void overrides();
    void badOverride_data();
    void badOverride();
    void relativePaths();
    void modelReferences();
    void yamlRoundTrip();
    void differingKeysListsChanges();
};

void TestTrainingConfig::seedConfigLoads()
{
    const QString root = QDir::cleanPath(QStringLiteral(FMW_SOURCE_DIR));
    const TrainingOptions o = loadOrFail(fmwtest::sourcePath(QStringLiteral("configs/config.yaml")));
    QCOMPARE(o.trainJson, (root + "/dataset/train.jsonl").toStdString());
    QCOMPARE(o.valJson, (root + "/dataset/val.jsonl").toStdString());
    QCOMPARE(o.imageDir, (root + "/dataset/images").toStdString());
    QCOMPARE(o.modelName, std::string("microsoft/Florence-2-base-ft"));
    QCOMPARE(o.processorName, std::string("microsoft/Florence-2-base-ft"));
    QCOMPARE(o.batchSize, int64_t(6));
    QCOMPARE(o.epochs, int64_t(10));
    QCOMPARE(o.lr, 1e-6);
    QCOMPARE(o.loraTargetModules, (std::vector<std::string> {"q_proj", "k_proj", "v_proj", "out_proj"}));
    // Extensions keep their defaults.
    const TrainingOptions defaults;
    QCOMPARE(o.finetune, defaults.finetune);
    QCOMPARE(o.outputDir, (root + "/runs/run").toStdString());
}

void TestTrainingConfig::demoConfigLoads()
{
    const QString root = QDir::cleanPath(QStringLiteral(FMW_SOURCE_DIR));
    const TrainingOptions o = loadOrFail(fmwtest::sourcePath(QStringLiteral("configs/demo.yaml")));
    QCOMPARE(o.trainJson, (root + "/resources/demo-dataset/train.jsonl").toStdString());
    QCOMPARE(o.valJson, (root + "/resources/demo-dataset/val.jsonl").toStdString());
    QCOMPARE(o.imageDir, (root + "/resources/demo-dataset/images").toStdString());
    QVERIFY(QFileInfo::exists(QString::fromStdString(o.trainJson)));
    QVERIFY(QFileInfo::exists(QString::fromStdString(o.valJson)));
    QVERIFY(QFileInfo(QString::fromStdString(o.imageDir)).isDir());
    // A folder once `make-demo-model` wrote it; until then it reads like a hub id.
    const QString model = root + "/runs/demo-model";
    const std::string expectedModel = QFileInfo::exists(model) ? model.toStdString() : "runs/demo-model";
    QCOMPARE(o.modelName, expectedModel);
    QCOMPARE(o.processorName, expectedModel);
    QCOMPARE(o.outputDir, (root + "/runs/demo").toStdString());
    QCOMPARE(o.finetune, std::string("full"));
    QVERIFY(o.randomInit);
    QCOMPARE(o.precision, std::string("fp32"));
    QCOMPARE(o.batchSize, int64_t(8));
    QCOMPARE(o.epochs, int64_t(30));
    QCOMPARE(o.lr, 1e-3);
    QCOMPARE(o.warmupRatio, 0.05);
    QCOMPARE(o.lrScheduler, std::string("cosine"));
    QCOMPARE(o.weightDecay, 0.01);
    QCOMPARE(o.seed, uint64_t(42));
    QVERIFY(o.prefixes.empty());
    QCOMPARE(o.previewSamples, int64_t(3));
    QVERIFY(!o.loraTargetModules.empty());
}

void TestTrainingConfig::keysAreComplete()
{
    const QStringList keys = trainingConfigKeys();
    QCOMPARE(keys.size(), 41); // one per TrainingOptions field
    QCOMPARE(QSet<QString>(keys.begin(), keys.end()).size(), keys.size());
    // The original train.py's keys come first, verbatim.
    QCOMPARE(keys.mid(0, 9),
        (QStringList {"train_json", "val_json", "image_dir", "model_name", "processor_name", "batch_size",
            "epochs", "lr", "lora_target_modules"}));
    // The written config has exactly these keys, in this order.
    QStringList written;
    for (const QByteArray &line : trainingConfigYaml(TrainingOptions {}).split('\n'))
        if (!line.isEmpty() && !line.startsWith('#'))
            written << QString::fromUtf8(line.left(line.indexOf(':')));
    QCOMPARE(written, keys);
}

void TestTrainingConfig::everySeedKeyIsRead()
{
    Project p;
    const QString file = p.writeConfig("train_json: a/train.jsonl\n"
                                       "val_json: a/val.jsonl\n"
                                       "image_dir: a/images\n"
                                       "model_name: org/model\n"
                                       "processor_name: org/processor\n"
                                       "batch_size: 12\n"
                                       "epochs: 3\n"
                                       "lr: 2.5e-5\n"
                                       "lora_target_modules:\n"
                                       "  - q_proj\n"
                                       "  - fc1\n");
    const TrainingOptions o = loadOrFail(file);
    QCOMPARE(o.trainJson, p.path("a/train.jsonl").toStdString());
    QCOMPARE(o.valJson, p.path("a/val.jsonl").toStdString());
    QCOMPARE(o.imageDir, p.path("a/images").toStdString());
    QCOMPARE(o.modelName, std::string("org/model"));
    QCOMPARE(o.processorName, std::string("org/processor"));
    QCOMPARE(o.batchSize, int64_t(12));
    QCOMPARE(o.epochs, int64_t(3));
    QCOMPARE(o.lr, 2.5e-5);
    QCOMPARE(o.loraTargetModules, (std::vector<std::string> {"q_proj", "fc1"}));
}

void TestTrainingConfig::unknownKey_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QString>("expected");
    QTest::newRow("typo") << QByteArray("batch_sise")
                          << "unknown key 'batch_sise'; did you mean 'batch_size'?";
    QTest::newRow("transposition") << QByteArray("ecpohs") << "did you mean 'epochs'?";
    QTest::newRow("wrong case") << QByteArray("LR") << "did you mean 'lr'?";
    QTest::newRow("transformers name") << QByteArray("learning_rate") << "did you mean 'lr'?";
    QTest::newRow("peft name") << QByteArray("target_modules") << "did you mean 'lora_target_modules'?";
    QTest::newRow("nothing close") << QByteArray("colour_scheme") << "valid keys: train_json, val_json";
}

void TestTrainingConfig::unknownKey()
{
    QFETCH(QByteArray, key);
    QFETCH(QString, expected);
    Project p;
    const QString file = p.writeConfig(kBase + key + ": 8\n");
    const auto r = loadTrainingConfig(file);
    QVERIFY(!r.ok());
    const QString message = QString::fromStdString(r.error().toString());
    QVERIFY2(message.contains(expected), qPrintable(message));
    QCOMPARE(r.error().path, QDir::toNativeSeparators(file).toStdString());
    QCOMPARE(r.error().line, 6);
    QVERIFY2(message.startsWith(file + ":6: "), qPrintable(message));
}

void TestTrainingConfig::badValue_data()
{
    QTest::addColumn<QByteArray>("yaml"); // the lines after kBase (line 6 on)
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("expected");

    const QString batch = "batch_size: must be an integer from 1 to 4096";
    QTest::newRow("batch_size zero") << QByteArray("batch_size: 0\n") << 6 << batch + ", not \"0\"";
    QTest::newRow("batch_size too large") << QByteArray("batch_size: 5000\n") << 6 << batch;
    QTest::newRow("batch_size string") << QByteArray("batch_size: six\n") << 6 << batch + ", not \"six\"";
    QTest::newRow("batch_size quoted") << QByteArray("batch_size: \"6\"\n") << 6 << "remove the quotes";
    QTest::newRow("batch_size fraction") << QByteArray("batch_size: 6.5\n") << 6 << batch;
    QTest::newRow("batch_size list") << QByteArray("batch_size: [6]\n") << 6 << batch + ", not a list";
    QTest::newRow("batch_size overflow") << QByteArray("batch_size: 99999999999999999999\n") << 6 << batch;
    QTest::newRow("epochs empty") << QByteArray("epochs:\n") << 6
                                  << "epochs: must be an integer from 1 to 100000, not empty";
    const QString lr = "lr: must be a finite number > 0";
    QTest::newRow("lr zero") << QByteArray("\nlr: 0\n") << 7 << lr;
    QTest::newRow("lr negative") << QByteArray("lr: -1e-5\n") << 6 << lr;
    QTest::newRow("lr infinite") << QByteArray("lr: .inf\n") << 6 << lr;
    QTest::newRow("lr word") << QByteArray("lr: fast\n") << 6 << lr + ", not \"fast\"";
    QTest::newRow("precision") << QByteArray("precision: fp64\n") << 6
                               << "precision: must be one of auto, fp32, bf16, fp16, not \"fp64\"";
    QTest::newRow("lora_r") << QByteArray("lora_r: 2048\n") << 6
                            << "lora_r: must be an integer from 1 to 1024";
    QTest::newRow("lora_alpha") << QByteArray("lora_alpha: 0\n") << 6
                                << "lora_alpha: must be a finite number > 0";
    QTest::newRow("lora_dropout one")
        << QByteArray("lora_dropout: 1.0\n") << 6 << "lora_dropout: must be a number in [0, 1)";
    QTest::newRow("warmup_ratio") << QByteArray("warmup_ratio: -0.1\n") << 6
                                  << "warmup_ratio: must be a number in [0, 1)";
    QTest::newRow("adam_beta2") << QByteArray("adam_beta2: 1\n") << 6
                                << "adam_beta2: must be a number in [0, 1)";
    QTest::newRow("weight_decay") << QByteArray("weight_decay: -1\n") << 6
                                  << "weight_decay: must be a finite number >= 0";
    QTest::newRow("lr_scheduler") << QByteArray("lr_scheduler: step\n") << 6
                                  << "lr_scheduler: must be one of linear, cosine, constant";
    QTest::newRow("finetune") << QByteArray("finetune: qlora\n") << 6
                              << "finetune: must be one of lora, full";
    QTest::newRow("random_init") << QByteArray("random_init: maybe\n") << 6
                                 << "random_init: must be true or false";
    QTest::newRow("freeze item")
        << QByteArray("freeze: [encoders]\n") << 6
        << "freeze: must be a list of items among vision_tower, projector, encoder, decoder";
    QTest::newRow("freeze scalar") << QByteArray("freeze: encoder\n") << 6
                                   << "freeze: must be a list of items among";
    QTest::newRow("freeze twice") << QByteArray("freeze: [encoder, encoder]\n") << 6
                                  << "freeze: lists \"encoder\" twice";
    QTest::newRow("freeze everything")
        << QByteArray("freeze: [vision_tower, projector, encoder, decoder]\n") << 6 << "nothing would train";
    QTest::newRow("lora targets empty")
        << QByteArray("lora_target_modules: []\n") << 6 << "lora_target_modules: must be a non-empty list";
    QTest::newRow("lora targets scalar") << QByteArray("lora_target_modules: q_proj\n") << 6
                                         << "lora_target_modules: must be a list of names such as [q_proj";
    QTest::newRow("lora targets nested")
        << QByteArray("lora_target_modules: [[q_proj]]\n") << 6 << "a list is not allowed";
    QTest::newRow("device") << QByteArray("device: gpu\n") << 6 << "device: must be cpu, cuda or cuda:N";
    QTest::newRow("device index") << QByteArray("device: cuda:x\n") << 6
                                  << "device: must be cpu, cuda or cuda:N";
    QTest::newRow("seed negative") << QByteArray("seed: -1\n") << 6
                                   << "seed: must be an integer from 0 to 18446744073709551615";
    QTest::newRow("num_workers") << QByteArray("num_workers: -1\n") << 6
                                 << "num_workers: must be an integer from 0 to 256";
    QTest::newRow("micro_batch_threads") << QByteArray("micro_batch_threads: 0\n") << 6
                                         << "micro_batch_threads: must be an integer from 1 to 64";
    QTest::newRow("log_every_steps") << QByteArray("log_every_steps: 0\n") << 6
                                     << "log_every_steps: must be an integer >= 1";
    QTest::newRow("output_dir mapping")
        << QByteArray("output_dir: {a: 1}\n") << 6
        << "output_dir: must be the path of the run's output folder, not a mapping";
}

void TestTrainingConfig::badValue()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, line);
    QFETCH(QString, expected);
    Project p;
    const QString file = p.writeConfig(kBase + yaml);
    const auto r = loadTrainingConfig(file);
    QVERIFY(!r.ok());
    const QString message = QString::fromStdString(r.error().toString());
    QVERIFY2(message.contains(expected), qPrintable(message));
    QVERIFY2(message.startsWith(QStringLiteral("%1:%2: ").arg(file).arg(line)), qPrintable(message));
    QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
}

void TestTrainingConfig::fileErrors_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("expected");
    QTest::newRow("syntax") << kBase + "lora_target_modules: [q_proj, v_proj\nepochs: 3\n"
                            << 7 << "YAML syntax error";
    QTest::newRow("bad indentation") << QByteArray("lr: 1.0\n  epochs: 3\n") << 2 << "YAML syntax error";
    QTest::newRow("duplicate") << kBase + "epochs: 3\npreview_samples: 2\n"
                               << 7 << "duplicate key 'preview_samples' (first set on line 5)";
    QTest::newRow("list at top") << QByteArray("- train_json: a\n- lr: 1\n") << 1
                                 << "the top level must be a mapping";
    QTest::newRow("scalar at top") << QByteArray("hello\n") << 1 << "the top level must be a mapping";
    QTest::newRow("empty") << QByteArray("# nothing\n") << 0 << "the config is empty";
    QTest::newRow("two documents") << kBase + "---\nlr: 1.0\n" << 0 << "holds 2 YAML documents";
    QTest::newRow("complex key") << kBase + "[a, b]: 1\n" << 6 << "keys must be plain names";
}

void TestTrainingConfig::fileErrors()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, line);
    QFETCH(QString, expected);
    Project p;
    const QString file = p.writeConfig(yaml);
    const auto r = loadTrainingConfig(file);
    QVERIFY(!r.ok());
    const QString message = QString::fromStdString(r.error().toString());
    QVERIFY2(message.contains(expected), qPrintable(message));
    QCOMPARE(r.error().path, QDir::toNativeSeparators(file).toStdString());
    QCOMPARE(r.error().line, line);
}

void TestTrainingConfig::missingRequiredKey()
{
    Project p;
    const QString missingFile = p.path("configs/absent.yaml");
    const auto absent = loadTrainingConfig(missingFile);
    QVERIFY(!absent.ok());
    QCOMPARE(absent.error().code, ErrorCode::Io);
    QCOMPARE(absent.error().path, missingFile.toStdString());
    QVERIFY(QString::fromStdString(absent.error().message).contains("not found"));

    const QString file = p.writeConfig("train_json: a.jsonl\nimage_dir: images\n");
    const auto r = loadTrainingConfig(file);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().message, std::string("missing required key 'model_name' (see configs/config.yaml)"));
    QCOMPARE(r.error().path, file.toStdString());
    // An override can supply it.
    QVERIFY(loadTrainingConfig(file, {"model_name=org/model"}).ok());

    const auto empty = loadTrainingConfig(p.writeConfig("train_json: a.jsonl\nimage_dir:\nmodel_name: m\n"));
    QVERIFY(!empty.ok());
    QCOMPARE(empty.error().line, 2);
    QCOMPARE(
        empty.error().message, std::string("image_dir: must be the path of the images folder, not empty"));
    const auto blank = loadTrainingConfig(p.writeConfig("train_json: \"\"\nimage_dir: i\nmodel_name: m\n"));
    QVERIFY(!blank.ok());
    QCOMPARE(blank.error().line, 1);
    QVERIFY(QString::fromStdString(blank.error().message)
                .startsWith("train_json: must be the path of a JSONL file"));
}

void TestTrainingConfig::overrides()
{
    Project p;
    const QString file = p.writeConfig(kBase + "epochs: 3\nlora_target_modules: [q_proj]\n");
    const TrainingOptions o = loadOrFail(file,
        {"lora_target_modules=[q_proj, v_proj,fc2]", "batch_size=16", "lr=3e-4", "precision=bf16",
            "prefixes=[<CAPTION>, <OD>]", "device=cuda:1", "random_init=true", "seed=18446744073709551615",
            "epochs=4", " epochs = 5", "image_dir=other/images", "val_json=", "freeze=[vision_tower]"});
    QCOMPARE(o.loraTargetModules, (std::vector<std::string> {"q_proj", "v_proj", "fc2"}));
    QCOMPARE(o.batchSize, int64_t(16));
    QCOMPARE(o.lr, 3e-4);
    QCOMPARE(o.precision, std::string("bf16"));
    QCOMPARE(o.prefixes, (std::vector<std::string> {"<CAPTION>", "<OD>"}));
    QCOMPARE(o.device, std::string("cuda:1"));
    QVERIFY(o.randomInit);
    QCOMPARE(o.seed, std::numeric_limits<uint64_t>::max());
    QCOMPARE(o.epochs, int64_t(5)); // the last override wins
    QCOMPARE(o.imageDir, p.path("other/images").toStdString()); // resolved like the file's paths
    QCOMPARE(o.valJson, std::string()); // empty: no validation
    QCOMPARE(o.freeze, std::vector<std::string> {"vision_tower"});
    // Untouched keys keep the file's values.
    QCOMPARE(o.trainJson, p.path("data/train.jsonl").toStdString());

    // An override replaces a bad value in the file.
    const QString bad = p.writeConfig(kBase + "epochs: many\n", "bad.yaml");
    QVERIFY(!loadTrainingConfig(bad).ok());
    QCOMPARE(loadOrFail(bad, {"epochs=2"}).epochs, int64_t(2));
}

void TestTrainingConfig::badOverride_data()
{
    QTest::addColumn<QString>("argument");
    QTest::addColumn<QString>("expected");
    QTest::newRow("range")
        << "batch_size=0"
        << "batch_size: must be an integer from 1 to 4096, not \"0\" (from --set batch_size=0)";
    QTest::newRow("type") << "lr=abc"
                          << "lr: must be a finite number > 0, not \"abc\" (from --set lr=abc)";
    QTest::newRow("unknown")
        << "batch_sise=4"
        << "unknown key 'batch_sise'; did you mean 'batch_size'? (from --set batch_sise=4)";
    QTest::newRow("no equals") << "batch_size"
                               << "--set expects key=value (e.g. --set batch_size=4), not 'batch_size'";
    QTest::newRow("no key") << "=4"
                            << "--set expects key=value";
    QTest::newRow("yaml syntax") << "lora_target_modules=[q_proj"
                                 << "lora_target_modules: cannot read the value as YAML";
    QTest::newRow("list for scalar") << "epochs=[1, 2]"
                                     << "epochs: must be an integer from 1 to 100000, not a list";
    QTest::newRow("empty lora targets") << "lora_target_modules=[]"
                                        << "lora_target_modules: must be a non-empty list";
}

void TestTrainingConfig::badOverride()
{
    QFETCH(QString, argument);
    QFETCH(QString, expected);
    Project p;
    const auto r = loadTrainingConfig(p.writeConfig(kBase), {argument});
    QVERIFY(!r.ok());
    const QString message = QString::fromStdString(r.error().toString());
    QVERIFY2(message.contains(expected), qPrintable(message));
    QCOMPARE(r.error().line, 0);
}

void TestTrainingConfig::relativePaths()
{
    Project p;
    const QString outside = QDir::cleanPath(QDir(p.root()).filePath(QStringLiteral("../elsewhere/out")));
    const QString file = p.writeConfig("train_json: ./data/../data/train.jsonl\n"
                                       "val_json: /abs/val.jsonl\n"
                                       "image_dir: data/images/\n"
                                       "model_name: org/model\n"
                                       "output_dir: ../elsewhere/out\n");
    const TrainingOptions o = loadOrFail(file);
    QCOMPARE(o.trainJson, p.path("data/train.jsonl").toStdString());
    QCOMPARE(o.valJson, std::string("/abs/val.jsonl"));
    QCOMPARE(o.imageDir, p.path("data/images").toStdString());
    QCOMPARE(o.outputDir, outside.toStdString());

    // The default output_dir resolves too; "~/" is the home folder.
    const TrainingOptions home = loadOrFail(file, {"train_json=~/data/t.jsonl", "output_dir=runs/run"});
    QCOMPARE(home.trainJson, (QDir::homePath() + "/data/t.jsonl").toStdString());
    QCOMPARE(home.outputDir, p.path("runs/run").toStdString());

    // Independent of the working directory.
    const QString cwd = QDir::currentPath();
    QVERIFY(QDir::setCurrent(p.path("configs")));
    const TrainingOptions relative = loadOrFail(QStringLiteral("run.yaml"));
    QVERIFY(QDir::setCurrent(cwd));
    QCOMPARE(relative.trainJson, o.trainJson);
}

void TestTrainingConfig::modelReferences()
{
    Project p;
    QVERIFY(QDir(p.root()).mkpath(QStringLiteral("models/tiny")));
    QVERIFY(QDir(p.root()).mkpath(QStringLiteral("tokenizers/tok")));
    const QString file = p.writeConfig("train_json: t.jsonl\nimage_dir: images\nmodel_name: models/tiny\n");

    // An existing folder under the project root.
    TrainingOptions o = loadOrFail(file);
    QCOMPARE(o.modelName, p.path("models/tiny").toStdString());
    QCOMPARE(o.processorName, o.modelName); // processor_name defaults to model_name

    o = loadOrFail(file, {"processor_name=tokenizers/tok"});
    QCOMPARE(o.processorName, p.path("tokenizers/tok").toStdString());

    // Hub ids (org/name, org/name@revision) that are not folders stay verbatim.
    o = loadOrFail(file, {"model_name=microsoft/Florence-2-base-ft"});
    QCOMPARE(o.modelName, std::string("microsoft/Florence-2-base-ft"));
    QCOMPARE(o.processorName, std::string("microsoft/Florence-2-base-ft"));
    o = loadOrFail(file, {"model_name=microsoft/Florence-2-large@main"});
    QCOMPARE(o.modelName, std::string("microsoft/Florence-2-large@main"));

    // Anything that cannot be a hub id is a path, existing or not.
    for (const QString &spec : QStringList {"tiny", "./org/model", "a/b/c", "../models/x"}) {
        o = loadOrFail(file, {"model_name=" + spec});
        QCOMPARE(o.modelName, p.path(spec).toStdString());
    }
    o = loadOrFail(file, {"model_name=/opt/models/florence"});
    QCOMPARE(o.modelName, std::string("/opt/models/florence"));
}

void TestTrainingConfig::yamlRoundTrip()
{
    Project p;
    const QString file = p.writeConfig(
        "train_json: \"data dir/train #1.jsonl\"\n"
        "val_json: \"data/v\\\"al: é.jsonl\"\n"
        "image_dir: data/images\n"
        "model_name: microsoft/Florence-2-base-ft\n"
        "processor_name: true\n"
        "lora_target_modules: [q_proj, \"a,b\", \"[x]\", \"123\"]\n"
        "output_dir: runs/r\n"
        "finetune: full\nrandom_init: yes\nlora_r: 16\nlora_alpha: 32\nlora_dropout: 0.1\nuse_rslora: true\n"
        "freeze: [vision_tower, encoder]\nweight_decay: 0\nadam_beta1: 0.85\nadam_beta2: 0.98\n"
        "adam_epsilon: 1e-6\nlr_scheduler: constant\nwarmup_steps: 7\nwarmup_ratio: 0.3\n"
        "gradient_accumulation_steps: 4\nmax_grad_norm: 0.5\nseed: 123456789012\ndevice: cuda:0\n"
        "precision: fp16\nthreads: 3\nnum_workers: 0\nprefetch_batches: 5\n"
        "prefixes: [<CAPTION>, <OD>, \"null\", \"<MY: TASK>\"]\nmax_target_tokens: 128\n"
        "preview_samples: 0\nkeep_last_checkpoints: 0\nearly_stopping_patience: 2\n"
        "early_stopping_min_delta: 0.001\nmax_bad_steps: 9\nlog_every_steps: 10\n"
        "lr: 0.30000000000000004\nbatch_size: 3\nepochs: 2\n");
    const TrainingOptions original = loadOrFail(file);
    QCOMPARE(original.processorName, p.path("true").toStdString());
    QCOMPARE(original.loraTargetModules, (std::vector<std::string> {"q_proj", "a,b", "[x]", "123"}));

    const QByteArray yaml = trainingConfigYaml(original);
    // Saved into a checkpoint folder elsewhere: the paths are absolute, so the folder is irrelevant.
    Project other;
    QVERIFY(QDir(other.root()).mkpath(QStringLiteral("checkpoints/epoch_2")));
    const QString saved = other.path("checkpoints/epoch_2/config.yaml");
    QFile f(saved);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(yaml);
    f.close();
    auto reloaded = loadTrainingConfig(saved);
    QVERIFY2(reloaded.ok(), reloaded.ok() ? "" : reloaded.error().toString().c_str());
    QCOMPARE(differingKeys(original, *reloaded), QStringList());
    QCOMPARE(reloaded->lr, 0.30000000000000004);
    QCOMPARE(reloaded->valJson, original.valJson);
    QCOMPARE(reloaded->prefixes, original.prefixes);
    QCOMPARE(trainingConfigYaml(*reloaded), yaml);
    QVERIFY2(yaml.contains("lr: 0.30000000000000004\n"), yaml.constData());
    QVERIFY2(yaml.contains("adam_epsilon: 1.0e-06\n"), yaml.constData());
    QVERIFY2(yaml.contains("device: \"cuda:0\"\n") || yaml.contains("device: cuda:0\n"), yaml.constData());

    // The shipped configs round-trip too.
    for (const QString &name : QStringList {"configs/config.yaml", "configs/demo.yaml"}) {
        const TrainingOptions shipped = loadOrFail(fmwtest::sourcePath(name));
        const QString copy = other.path("checkpoints/copy.yaml");
        QFile c(copy);
        QVERIFY(c.open(QIODevice::WriteOnly | QIODevice::Truncate));
        c.write(trainingConfigYaml(shipped));
        c.close();
        QCOMPARE(differingKeys(shipped, loadOrFail(copy)), QStringList());
    }
}

void TestTrainingConfig::differingKeysListsChanges()
{
    TrainingOptions a;
    TrainingOptions b = a;
    QCOMPARE(differingKeys(a, b), QStringList());
    b.lr = 2e-6;
    b.loraTargetModules.pop_back();
    b.device = "cuda";
    b.freeze = {"decoder"};
    QCOMPARE(differingKeys(a, b), (QStringList {"lr", "lora_target_modules", "freeze", "device"}));
    QCOMPARE(differingKeys(b, a), differingKeys(a, b));
    b = a;
    b.useRslora = true;
    b.seed = 43;
    QCOMPARE(differingKeys(a, b), (QStringList {"use_rslora", "seed"}));
}

QTEST_GUILESS_MAIN(TestTrainingConfig)
#include "tst_training_config.moc"
