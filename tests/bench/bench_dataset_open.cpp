// Benchmark: open a generated 100,000-record dataset (train/val/test plus
// *_detailed_caption files, <OD> records beside captions, one empty file per image)
// until the record list is ready. Thresholds from issue 2: < 1 s, peak RSS < 300 MB.
// Baseline, same process and files: QFile::readAll + split into lines.

#include "bench_stats.h"
#include "dataset/dataset_document.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <random>

using namespace fmw;

namespace {

constexpr int kRecords = 100000;
constexpr int kRuns = 5;

// "VmHWM" / "VmRSS" of this process in MB (10^6 bytes).
double procStatusMB(const char *key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(key))
            return line.mid(int(qstrlen(key)) + 1).trimmed().split(' ').first().toDouble() * 1024.0 / 1e6;
    return -1;
}

using fmwbench::median;

// Deterministic text of realistic length, written the way users' files are (json.dumps
// style, some unknown fields).
class Generator {
public:
    explicit Generator(const QString &root)
        : m_root(root)
    {
    }

    void run()
    {
        QDir(m_root).mkpath(QStringLiteral("images"));
        int written = 0;
        for (int image = 0; written < kRecords; ++image) {
            const QString split = image % 10 == 8 ? "val" : image % 10 == 9 ? "test" : "train";
            const QString name = QStringLiteral("p%1/img_%2.png")
                                     .arg(image % 100, 2, 10, QLatin1Char('0'))
                                     .arg(image, 6, 10, QLatin1Char('0'));
            touchImage(name);
            const struct {
                const char *prefix;
                QString file;
            } records[] = {{"<CAPTION>", split + ".jsonl"}, {"<OD>", split + ".jsonl"},
                {"<DETAILED_CAPTION>", split + "_detailed_caption.jsonl"}};
            for (const auto &r : records) {
                if (written == kRecords)
                    break;
                const QString prefix = QLatin1String(r.prefix);
                const QString suffix = prefix == "<OD>" ? boxes()
                    : prefix == "<CAPTION>"             ? words(8, 16)
                                                        : words(50, 90);
                QByteArray line = "{\"image\": \"" + name.toUtf8() + "\", \"prefix\": \"" + prefix.toUtf8()
                    + "\", \"suffix\": \"" + suffix.toUtf8() + "\"";
                if (m_rng() % 4 == 0)
                    line += ", \"source\": \"site-" + QByteArray::number(int(m_rng() % 7))
                        + "\", \"score\": 0.93";
                line += "}\n";
                append(r.file, line);
                ++written;
            }
        }
        m_files.clear(); // flushes and closes
    }

private:
    void touchImage(const QString &name)
    {
        const QString path = QDir(m_root).filePath(QStringLiteral("images/") + name);
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
    }

    // Streams to the files so the generator adds nothing to the peak RSS measured later.
    void append(const QString &name, const QByteArray &line)
    {
        std::unique_ptr<QFile> &f = m_files[name];
        if (!f) {
            f = std::make_unique<QFile>(QDir(m_root).filePath(name));
            QVERIFY(f->open(QIODevice::WriteOnly));
        }
        QCOMPARE(f->write(line), line.size());
    }

    QString words(int minWords, int maxWords)
    {
        static const char *kWords[] = {"the", "lungs", "are", "clear", "without", "focal", "consolidation",
            "small", "left", "pleural", "effusion", "heart", "size", "is", "normal", "mediastinal",
            "contours", "unremarkable", "no", "pneumothorax", "nodule", "right", "upper", "lobe", "mild",
            "cardiomegaly", "support", "device", "in", "place", "osseous", "structures", "intact", "and"};
        const int n = minWords + int(m_rng() % unsigned(maxWords - minWords + 1));
        QString out;
        for (int i = 0; i < n; ++i) {
            if (i)
                out += QLatin1Char(' ');
            out += QLatin1String(kWords[m_rng() % (sizeof kWords / sizeof *kWords)]);
        }
        return out + QLatin1Char('.');
    }

    QString boxes()
    {
        static const char *kLabels[]
            = {"nodule", "pleural effusion", "cardiomegaly", "pneumothorax", "support device"};
        QString out;
        const int n = int(m_rng() % 4);
        for (int i = 0; i < n; ++i) {
            const int x1 = int(m_rng() % 800), y1 = int(m_rng() % 800);
            const int x2 = x1 + 1 + int(m_rng() % 199), y2 = y1 + 1 + int(m_rng() % 199);
            out += QLatin1String(kLabels[m_rng() % 5])
                + QStringLiteral("<loc_%1><loc_%2><loc_%3><loc_%4>").arg(x1).arg(y1).arg(x2).arg(y2);
        }
        return out;
    }

    QString m_root;
    std::map<QString, std::unique_ptr<QFile>> m_files;
    std::mt19937 m_rng {20240601};
};

} // namespace

class BenchDatasetOpen : public QObject {
    Q_OBJECT
private slots:
    void openHundredThousandRecords();
};

void BenchDatasetOpen::openHundredThousandRecords()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Generator(dir.path()).run();
    qint64 bytes = 0;
    const QStringList files = QDir(dir.path()).entryList({QStringLiteral("*.jsonl")}, QDir::Files);
    for (const QString &f : files)
        bytes += QFileInfo(QDir(dir.path()).filePath(f)).size();

    const double rssBefore = procStatusMB("VmRSS:");
    std::vector<double> openMs, openCpuMs;
    double hwmAfterOpen = 0;
    int records = 0, images = 0, problems = 0;
    for (int run = 0; run < kRuns; ++run) {
        QElapsedTimer timer;
        timer.start();
        const std::clock_t cpuStart = std::clock();
        auto doc = DatasetDocument::open(dir.path());
        QVERIFY(doc.ok());
        // "List ready": the ordered record ids and the image list a view shows.
        const QVector<RecordId> ids = (*doc)->recordIds();
        const QStringList imageList = (*doc)->images();
        openMs.push_back(double(timer.nsecsElapsed()) / 1e6);
        openCpuMs.push_back(double(std::clock() - cpuStart) * 1000.0 / CLOCKS_PER_SEC);
        if (run == 0) {
            hwmAfterOpen = procStatusMB("VmHWM:");
            records = int(ids.size());
            images = int(imageList.size());
            problems = int((*doc)->problems().size());
        }
    }
    QCOMPARE(records, kRecords);
    QCOMPARE(problems, 0);

    // Beyond "list ready": every suffix decoded (what stats or a full scan do) and the checks.
    double decodeAllMs = 0, problemsMs = 0, hwmAfterDecode = 0;
    {
        auto doc = DatasetDocument::open(dir.path());
        QVERIFY(doc.ok());
        QElapsedTimer timer;
        timer.start();
        qsizetype chars = 0;
        for (RecordId id : (*doc)->recordIds())
            chars += (*doc)->record(id).suffix.size();
        decodeAllMs = double(timer.nsecsElapsed()) / 1e6;
        QVERIFY(chars > 0);
        timer.restart();
        QCOMPARE((*doc)->problems().size(), 0);
        problemsMs = double(timer.nsecsElapsed()) / 1e6;
        hwmAfterDecode = procStatusMB("VmHWM:");
    }

    std::vector<double> rawMs;
    qsizetype rawLines = 0;
    for (int run = 0; run < kRuns; ++run) {
        QElapsedTimer timer;
        timer.start();
        rawLines = 0;
        for (const QString &f : files) {
            QFile file(QDir(dir.path()).filePath(f));
            QVERIFY(file.open(QIODevice::ReadOnly));
            rawLines += file.readAll().split('\n').size() - 1;
        }
        rawMs.push_back(double(timer.nsecsElapsed()) / 1e6);
    }
    QCOMPARE(rawLines, qsizetype(kRecords));

    const double open = median(openMs), raw = median(rawMs);
    std::printf("dataset open: %d records in %lld files (%.1f MB), %d images\n", records,
        static_cast<long long>(files.size()), double(bytes) / 1e6, images);
    std::printf("  open + list ready  median of %d: %.1f ms  (runs:", kRuns, open);
    for (double ms : openMs)
        std::printf(" %.1f", ms);
    std::printf(")\n  CPU time of open + list ready (all threads) median: %.1f ms\n", median(openCpuMs));
    std::printf("  raw read + split   median of %d: %.1f ms\n", kRuns, raw);
    std::printf("  ratio: open = %.1fx raw read\n", open / raw);
    std::printf("  RSS: before open %.1f MB, peak (VmHWM) after first open %.1f MB, increase %.1f MB\n",
        rssBefore, hwmAfterOpen, hwmAfterOpen - rssBefore);
    std::printf("  then: decode every suffix %.1f ms, problems() %.1f ms, peak RSS %.1f MB\n", decodeAllMs,
        problemsMs, hwmAfterDecode);
    std::fflush(stdout);

    QVERIFY2(open < 1000.0, qPrintable(QStringLiteral("open took %1 ms (limit 1000 ms)").arg(open)));
    QVERIFY2(
        hwmAfterOpen < 300.0, qPrintable(QStringLiteral("peak RSS %1 MB (limit 300 MB)").arg(hwmAfterOpen)));
    QVERIFY2(hwmAfterDecode < 300.0,
        qPrintable(
            QStringLiteral("peak RSS with every suffix decoded %1 MB (limit 300 MB)").arg(hwmAfterDecode)));
}

QTEST_GUILESS_MAIN(BenchDatasetOpen)
#include "bench_dataset_open.moc"
