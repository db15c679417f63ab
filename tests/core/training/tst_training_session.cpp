// TrainingSession: a run on its worker thread reports steps (none lost, in order) and epochs
// through queued signals while the calling thread's event loop stays free, stops gracefully
// on request with a checkpoint to resume from, resumes to the end, and reports config errors
// through finished() instead of crashing.

#include "engine/training/demo_model.h"
#include "training/training_session.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

using namespace fmw::training;

class TestTrainingSession : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void runsStopsAndResumes();
    void configErrorsArriveAsOutcome();

private:
    QString writeConfig(const QString &name, int epochs);
    QTemporaryDir m_tmp;
    QString m_model;
};

void TestTrainingSession::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_model = m_tmp.filePath(QStringLiteral("model"));
    DemoModelOptions o;
    o.imageSize = 64;
    const std::vector<std::string> corpus {"Cardiomegaly.", "No acute cardiopulmonary abnormality.",
        "Right pneumothorax.", "Small right pleural effusion.", "Endotracheal tube in place."};
    const auto written = writeDemoModel(m_model.toStdString(), corpus, o);
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().message.c_str());
}

QString TestTrainingSession::writeConfig(const QString &name, int epochs)
{
    const QString demo = QStringLiteral(FMW_SOURCE_DIR "/resources/demo-dataset");
    const QString path = m_tmp.filePath(name + ".yaml");
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write the config");
    f.write(QStringLiteral(
        "train_json: %1/train.jsonl\nval_json: %1/val.jsonl\nimage_dir: %1/images\n"
        "model_name: %2\noutput_dir: %3\nfinetune: full\nrandom_init: true\nprecision: fp32\n"
        "batch_size: 16\nepochs: %4\nlr: 1.0e-3\nthreads: 1\nnum_workers: 1\npreview_samples: 1\n"
        "prefixes: [<CAPTION>]\n")
                .arg(demo, m_model, m_tmp.filePath(name), QString::number(epochs))
                .toUtf8());
    return path;
}

namespace {
TrainingRequest request(const QString &config, const QString &resumeFrom = {})
{
    TrainingRequest r;
    r.configPath = config;
    r.resumeFrom = resumeFrom;
    return r;
}
} // namespace

void TestTrainingSession::runsStopsAndResumes()
{
    TrainingSession session;
    session.setStepInterval(0);
    QVector<StepReport> steps;
    QVector<EpochReport> epochs;
    connect(
        &session, &TrainingSession::stepProgress, this, [&](const QVector<StepReport> &s) { steps += s; });
    connect(&session, &TrainingSession::epochFinished, this, [&](const EpochReport &e) {
        epochs << e;
        session.requestStop(); // after the first epoch
    });
    QSignalSpy finished(&session, &TrainingSession::finished);
    // the GUI thread's event loop keeps running: a timer here fires while the worker trains
    int ticks = 0;
    QTimer timer;
    connect(&timer, &QTimer::timeout, this, [&] { ++ticks; });
    timer.start(10);
    const QString config = writeConfig(QStringLiteral("run"), 3);
    QVERIFY(session.start(request(config)));
    QString busy;
    QVERIFY(!session.start(request(config), &busy));
    QVERIFY(busy.contains(QLatin1String("already")));
    QVERIFY(finished.wait(300000));
    const auto outcome = finished.first().first().value<TrainingOutcome>();
    QVERIFY2(outcome.ok, qPrintable(outcome.error));
    QVERIFY(outcome.result.end == RunEnd::Stopped);
    QCOMPARE(epochs.size(), 1);
    QVERIFY(epochs.first().valLoss.has_value());
    QCOMPARE(epochs.first().previews.size(), size_t(1));
    QVERIFY(steps.size() >= 2);
    for (int i = 0; i < steps.size(); ++i)
        QCOMPARE(steps[i].optimizerStep, int64_t(i + 1)); // none lost, in order
    QVERIFY(ticks > 5);
    QVERIFY(QFile::exists(m_tmp.filePath("run/checkpoints/epoch_1/checkpoint.json")));

    // resumed: the remaining two epochs
    epochs.clear();
    disconnect(&session, &TrainingSession::epochFinished, this, nullptr);
    connect(&session, &TrainingSession::epochFinished, this, [&](const EpochReport &e) { epochs << e; });
    finished.clear();
    QVERIFY(session.start(request(config, m_tmp.filePath(QStringLiteral("run")))));
    QVERIFY(finished.wait(300000));
    const auto resumed = finished.first().first().value<TrainingOutcome>();
    QVERIFY2(resumed.ok, qPrintable(resumed.error));
    QVERIFY(resumed.result.end == RunEnd::Finished);
    QCOMPARE(epochs.size(), 2);
    QCOMPARE(epochs.first().epoch, int64_t(2));
    QCOMPARE(resumed.result.epochsDone, int64_t(3));
}

void TestTrainingSession::configErrorsArriveAsOutcome()
{
    TrainingSession session;
    QSignalSpy finished(&session, &TrainingSession::finished);
    QVERIFY(session.start(request(m_tmp.filePath(QStringLiteral("missing.yaml")))));
    QVERIFY(finished.wait(30000));
    const auto outcome = finished.first().first().value<TrainingOutcome>();
    QVERIFY(!outcome.ok);
    QVERIFY2(outcome.error.contains(QLatin1String("missing.yaml")), qPrintable(outcome.error));
    QVERIFY(!session.isRunning());
}

QTEST_GUILESS_MAIN(TestTrainingSession)
#include "tst_training_session.moc"
