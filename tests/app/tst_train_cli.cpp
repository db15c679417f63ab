// `florence-cli train` end to end on the demo model (from `make-demo-model`, random weights):
// a dataset with malformed lines, a missing image and a corrupt DICOM trains to the end and
// reports each skipped record; SIGKILL at random moments, including in the middle of writing
// a checkpoint, never leaves a checkpoint that loads wrongly (each one on disk verifies and
// resumes, or is ignored as incomplete); `predict` runs on the trained model.

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <csignal>

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
};

Run runCli(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(FMW_CLI_PATH), args);
    if (!p.waitForFinished(600000))
        qFatal("florence-cli did not finish");
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
        QString::fromUtf8(p.readAllStandardError())};
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

const QString kDemo = QStringLiteral(FMW_SOURCE_DIR "/resources/demo-dataset");

} // namespace

class TestTrainCli : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void badRecordsAreSkippedAndReported();
    void loraAdapterPredictAndExport();
    void killedRunsLeaveOnlyLoadableCheckpoints();
    void usageAndConfigErrors();

private:
    QString config(const QString &name, const QString &dataset, int epochs, const QString &extra = {});
    QTemporaryDir m_tmp;
    QString m_model;
};

void TestTrainCli::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_model = m_tmp.filePath(QStringLiteral("model"));
    const Run r = runCli({"make-demo-model", "--out", m_model, "--image-size", "64"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(QFile::exists(m_model + "/config.json"));
    QVERIFY(QFile::exists(m_model + "/tokenizer.json"));
}

QString TestTrainCli::config(const QString &name, const QString &dataset, int epochs, const QString &extra)
{
    const QString path = m_tmp.filePath(name + ".yaml");
    const QString text
        = QStringLiteral("train_json: %1/train.jsonl\nval_json: %1/val.jsonl\nimage_dir: %1/images\n"
                         "model_name: %2\noutput_dir: %3\nfinetune: full\nrandom_init: true\n"
                         "precision: fp32\nbatch_size: 8\nepochs: %4\nlr: 1.0e-3\nthreads: 1\n"
                         "num_workers: 1\npreview_samples: 1\nkeep_last_checkpoints: 2\n%5")
              .arg(dataset, m_model, m_tmp.filePath(name), QString::number(epochs), extra);
    writeFile(path, text.toUtf8());
    return path;
}

void TestTrainCli::badRecordsAreSkippedAndReported()
{
    // the demo dataset's images plus a train file with every kind of bad record
    const QString data = m_tmp.filePath(QStringLiteral("bad-data"));
    QVERIFY(QDir().mkpath(data + "/images"));
    QDirIterator images(kDemo + "/images", QDir::Files);
    while (images.hasNext()) {
        const QString src = images.next();
        QVERIFY(QFile::copy(src, data + "/images/" + QFileInfo(src).fileName()));
    }
    // a truncated DICOM: header intact, pixel data cut
    const QByteArray dicom = readFile(kDemo + "/images/demo-0025.dcm");
    QVERIFY(dicom.size() > 2000);
    writeFile(data + "/images/broken.dcm", dicom.left(dicom.size() / 2));
    QByteArray train = readFile(kDemo + "/train.jsonl");
    train.append("{\"image\": \"demo-0001.png\", \"prefix\": \"<CAPTION>\"\n"); // malformed (line 65)
    train.append("{\"image\": \"missing.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Cardiomegaly.\"}\n");
    train.append("{\"image\": \"broken.dcm\", \"prefix\": \"<CAPTION>\", \"suffix\": \"Cardiomegaly.\"}\n");
    train.append(
        "{\"image\": \"demo-0001.png\", \"prefix\": \"<MY_TASK>\", \"suffix\": \"custom target\"}\n");
    writeFile(data + "/train.jsonl", train);
    QVERIFY(QFile::copy(kDemo + "/val.jsonl", data + "/val.jsonl"));

    const Run r = runCli({"train", "--config", config("bad", data, 1)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(QLatin1String("train.jsonl:65")), qPrintable(r.err));
    QVERIFY2(r.err.contains(QLatin1String("missing.png")), qPrintable(r.err));
    QVERIFY2(r.err.contains(QLatin1String("broken.dcm")), qPrintable(r.err));
    QVERIFY2(r.out.contains(QLatin1String("3 records or images skipped")), qPrintable(r.out));
    QVERIFY(QFile::exists(m_tmp.filePath("bad/checkpoints/epoch_1/model.safetensors")));
    QVERIFY(QFile::exists(m_tmp.filePath("bad/metrics.jsonl")));
    QVERIFY(QFile::exists(m_tmp.filePath("bad/metrics.csv")));

    // the checkpoint is a model folder: predict runs on it
    const Run p = runCli({"predict", "--model", m_tmp.filePath("bad/checkpoints/last"), "--image",
        kDemo + "/images/demo-0001.png", "--task", "<CAPTION>", "--num-beams", "1", "--max-new-tokens", "8"});
    QVERIFY2(p.exitCode == 0, qPrintable(p.err));
}

void TestTrainCli::loraAdapterPredictAndExport()
{
    // a LoRA run on top of the model the full run above wrote (a model folder with weights)
    const QString base = m_tmp.filePath(QStringLiteral("bad/checkpoints/epoch_1"));
    QVERIFY(QFile::exists(base + "/model.safetensors"));
    const QString cfg = config(QStringLiteral("lora"), kDemo, 1,
        QStringLiteral("finetune: lora\nrandom_init: false\nlora_target_modules: [q_proj, v_proj, fc1]\n"));
    QFile f(cfg);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QByteArray text = f.readAll();
    text.replace(m_model.toUtf8(), base.toUtf8()); // model_name: the full run's checkpoint
    text.replace("finetune: full\n", "");
    text.replace("random_init: true\n", "");
    f.resize(0);
    f.write(text);
    f.close();
    const Run r = runCli({"train", "--config", cfg});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(QLatin1String("0 trainable")), qPrintable(r.err)); // the base is frozen
    const QString adapter = m_tmp.filePath(QStringLiteral("lora/checkpoints/epoch_1"));
    QVERIFY(QFile::exists(adapter + "/adapter_model.safetensors"));
    QVERIFY(QFile::exists(adapter + "/adapter_config.json"));

    const QStringList predict {"--image", kDemo + "/images/demo-0002.png", "--task", "<CAPTION>",
        "--num-beams", "1", "--max-new-tokens", "12", "--json"};
    const Run withAdapter = runCli(QStringList {"predict", "--model", base, "--adapter", adapter} + predict);
    QVERIFY2(withAdapter.exitCode == 0, qPrintable(withAdapter.err));
    const Run plain = runCli(QStringList {"predict", "--model", base} + predict);
    QVERIFY2(plain.exitCode == 0, qPrintable(plain.err));
    const QString merged = m_tmp.filePath(QStringLiteral("merged"));
    const Run exported = runCli({"export", "--model", base, "--adapter", adapter, "--out", merged});
    QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
    QVERIFY(QFile::exists(merged + "/model.safetensors"));
    QVERIFY(QFile::exists(merged + "/tokenizer.json"));
    const Run fromMerged = runCli(QStringList {"predict", "--model", merged} + predict);
    QVERIFY2(fromMerged.exitCode == 0, qPrintable(fromMerged.err));
    auto generated = [](const Run &run) {
        return QJsonDocument::fromJson(run.out.toUtf8()).object().value(QStringLiteral("ids")).toArray();
    };
    QVERIFY(!generated(withAdapter).isEmpty());
    QCOMPARE(generated(fromMerged), generated(withAdapter)); // merged weights = base + adapter
    // exporting into a folder that is not empty is refused
    QCOMPARE(runCli({"export", "--model", base, "--adapter", adapter, "--out", merged}).exitCode, 1);
}

void TestTrainCli::killedRunsLeaveOnlyLoadableCheckpoints()
{
    const QString cfg = config(QStringLiteral("killed"), kDemo, 4);
    const QString checkpoints = m_tmp.filePath(QStringLiteral("killed/checkpoints"));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("FMW_TEST_CHECKPOINT_DELAY_MS"), QStringLiteral("150"));
    QRandomGenerator rng(20261128);
    int killedMidCheckpoint = 0, resumed = 0;
    for (int round = 0; round < 8; ++round) {
        QStringList args {"train", "--config", cfg};
        const bool haveCheckpoint = !QDir(checkpoints).entryList({"epoch_*", "step_*"}, QDir::Dirs).isEmpty();
        if (haveCheckpoint)
            args << "--resume" << m_tmp.filePath(QStringLiteral("killed"));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(FMW_CLI_PATH), args);
        QVERIFY(p.waitForStarted());
        // even rounds: kill while a checkpoint is being written (round 0 the first one, later
        // rounds the second, so that complete ones pile up); odd rounds: at a random moment
        QElapsedTimer t;
        t.start();
        const int randomMs = 500 + static_cast<int>(rng.bounded(4000));
        const int killAtWrite = round == 0 ? 1 : 2;
        int writesSeen = 0;
        bool wasWriting = false;
        bool killed = false;
        while (p.state() != QProcess::NotRunning && t.elapsed() < 120000) {
            const bool writing
                = !QDir(checkpoints).entryList({".tmp-*"}, QDir::Dirs | QDir::Hidden).isEmpty();
            writesSeen += (writing && !wasWriting) ? 1 : 0;
            wasWriting = writing;
            if ((round % 2 == 0 && writing && writesSeen >= killAtWrite)
                || (round % 2 == 1 && t.elapsed() > randomMs)) {
                ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
                killed = true;
                killedMidCheckpoint += writing ? 1 : 0;
                break;
            }
            QThread::msleep(5);
        }
        p.waitForFinished(10000);
        if (haveCheckpoint && !p.readAllStandardError().contains("error:"))
            ++resumed;
        if (!killed)
            break; // finished before we could kill it
        // every checkpoint folder on disk verifies, or is not a checkpoint (listed as incomplete)
        for (const QString &name : QDir(checkpoints).entryList({"epoch_*", "step_*"}, QDir::Dirs)) {
            const QString dir = checkpoints + "/" + name;
            QVERIFY2(QFile::exists(dir + "/checkpoint.json"), qPrintable(dir));
            const QJsonObject manifest = QJsonDocument::fromJson(readFile(dir + "/checkpoint.json")).object();
            const QJsonObject files = manifest.value(QStringLiteral("files")).toObject();
            QVERIFY(files.contains(QStringLiteral("model.safetensors")));
            for (auto it = files.begin(); it != files.end(); ++it)
                QCOMPARE(QFileInfo(dir + "/" + it.key()).size(), static_cast<qint64>(it.value().toDouble()));
        }
    }
    QVERIFY2(killedMidCheckpoint >= 1, "no kill landed while a checkpoint was being written");
    // and the run can always be finished from what is left
    QVERIFY(!QDir(checkpoints).entryList({"epoch_*"}, QDir::Dirs).isEmpty());
    const Run last = runCli({"train", "--config", cfg, "--resume", m_tmp.filePath(QStringLiteral("killed"))});
    QVERIFY2(last.exitCode == 0, qPrintable(last.err));
    QVERIFY2(last.out.contains(QLatin1String("after 4 epochs")), qPrintable(last.out));
    QVERIFY(resumed >= 1);
    QVERIFY(QFile::exists(checkpoints + "/epoch_4/model.safetensors"));
}

void TestTrainCli::usageAndConfigErrors()
{
    Run r = runCli({"train"});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains(QLatin1String("--config")));
    const QString bad = config(QStringLiteral("typo"), kDemo, 1, QStringLiteral("batch_sise: 4\n"));
    r = runCli({"train", "--config", bad});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QLatin1String("batch_size")), qPrintable(r.err));
    r = runCli({"train", "--config", config(QStringLiteral("o"), kDemo, 1), "--set", "lr=-1"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QLatin1String("lr")), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestTrainCli)
#include "tst_train_cli.moc"
