#pragma once
// ThumbnailLoader: decodes thumbnails on a small private thread pool and caches them, so the
// record list never blocks the GUI thread. The most recent request runs first (the rows the
// user is looking at), the queue is bounded (rows scrolled past long ago are forgotten), and
// reset() discards queued and in-flight work when the dataset changes.

#include <QCache>
#include <QFutureWatcher>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QThreadPool>

#include <deque>

namespace fmw::ui {

class ThumbnailLoader : public QObject {
    Q_OBJECT
public:
    // `maxSide`: longer side of a thumbnail in pixels. `threads` <= 0: one per core.
    explicit ThumbnailLoader(int maxSide, int threads = 0, QObject *parent = nullptr);
    ~ThumbnailLoader() override;

    int maxSide() const { return m_maxSide; }
    int threadCount() const;

    // Loaded thumbnail, or a null image while pending, evicted or failed.
    QImage thumbnail(const QString &path) const;
    // Loaded or failed: no further request will be made for it.
    bool isDone(const QString &path) const;
    bool hasFailed(const QString &path) const;
    QString failure(const QString &path) const;

    // Queues loads for paths not done, queued or running. The first path gets the highest
    // priority; a batch of requests outranks every earlier one.
    void request(const QStringList &paths);
    void request(const QString &path) { request(QStringList{path}); }

    // Forgets the cache and the queue; results of jobs still running are dropped.
    void reset();

    bool isIdle() const { return m_queue.empty() && m_running.isEmpty(); }
    int queuedCount() const { return int(m_queue.size()); }
    int loadedCount() const { return m_loaded; }

    // Queue bound: beyond it the oldest (least recently requested) paths are dropped.
    static constexpr int kMaxQueued = 512;

signals:
    void thumbnailReady(const QString &path);
    // The queue drained and nothing runs any more.
    void idle();

private:
    struct Job {
        QString path;
        QImage image;
        QString error;
        quint64 generation = 0;
    };

    void startJobs();
    void onJobFinished(QFutureWatcher<Job> *watcher);

    int m_maxSide;
    QThreadPool m_pool;
    std::deque<QString> m_queue;     // front = next to run
    QSet<QString> m_running;         // paths of the current generation being decoded
    int m_inFlight = 0;              // all running jobs, stale ones included
    QCache<QString, QImage> m_cache; // cost in KiB
    QHash<QString, QString> m_failed;
    quint64 m_generation = 0;
    int m_loaded = 0;
};

} // namespace fmw::ui
