#include "ui/thumbnail_loader.h"

#include "imaging/image_renderer.h"

#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace fmw::ui {

namespace {

constexpr int kCacheKiB = 96 * 1024;

// Decoding must not compete with the GUI thread as an equal, or scrolling stutters on a
// two-core machine. QThread::LowPriority does nothing under Linux's default scheduler, so
// there the pool thread is niced instead (nice is per thread on Linux). Not SCHED_IDLE:
// thumbnails must still progress while a training job keeps every core busy.
void lowerThreadPriority()
{
#ifdef Q_OS_LINUX
    thread_local bool lowered = false;
    if (!lowered) {
        lowered = true;
        setpriority(PRIO_PROCESS, id_t(syscall(SYS_gettid)), 10);
    }
#endif
}

} // namespace

ThumbnailLoader::ThumbnailLoader(int maxSide, int threads, QObject *parent)
    : QObject(parent), m_maxSide(maxSide), m_cache(kCacheKiB)
{
    m_pool.setMaxThreadCount(threads > 0 ? threads : std::max(1, QThread::idealThreadCount()));
    // Idle pool threads expire quickly: thumbnails come in bursts.
    m_pool.setExpiryTimeout(5000);
    m_pool.setThreadPriority(QThread::LowPriority);
}

ThumbnailLoader::~ThumbnailLoader()
{
    m_queue.clear();
    ++m_generation;
    m_pool.waitForDone();
}

int ThumbnailLoader::threadCount() const { return m_pool.maxThreadCount(); }

QImage ThumbnailLoader::thumbnail(const QString &path) const
{
    const QImage *image = m_cache.object(path);
    return image ? *image : QImage();
}

bool ThumbnailLoader::isDone(const QString &path) const
{
    return m_cache.contains(path) || m_failed.contains(path);
}

bool ThumbnailLoader::hasFailed(const QString &path) const { return m_failed.contains(path); }

QString ThumbnailLoader::failure(const QString &path) const { return m_failed.value(path); }

void ThumbnailLoader::request(const QStringList &paths)
{
    // Walk backwards so that paths.first() ends up at the front of the queue.
    for (auto it = paths.crbegin(); it != paths.crend(); ++it) {
        const QString &path = *it;
        if (isDone(path) || m_running.contains(path))
            continue;
        const auto queued = std::find(m_queue.begin(), m_queue.end(), path);
        if (queued != m_queue.end())
            m_queue.erase(queued);
        m_queue.push_front(path);
    }
    while (int(m_queue.size()) > kMaxQueued)
        m_queue.pop_back();
    startJobs();
}

void ThumbnailLoader::reset()
{
    m_queue.clear();
    m_running.clear();
    m_cache.clear();
    m_failed.clear();
    m_loaded = 0;
    ++m_generation;
}

void ThumbnailLoader::startJobs()
{
    while (!m_queue.empty() && m_inFlight < m_pool.maxThreadCount()) {
        const QString path = m_queue.front();
        m_queue.pop_front();
        m_running.insert(path);
        ++m_inFlight;

        auto *watcher = new QFutureWatcher<Job>(this);
        connect(watcher, &QFutureWatcher<Job>::finished, this,
                [this, watcher] { onJobFinished(watcher); });
        const int side = m_maxSide;
        const quint64 generation = m_generation;
        watcher->setFuture(QtConcurrent::run(&m_pool, [path, side, generation] {
            lowerThreadPriority();
            Job job;
            job.path = path;
            job.generation = generation;
            Result<QImage> result = imaging::loadThumbnail(path, side);
            if (result)
                job.image = std::move(result).value();
            else
                job.error = QString::fromStdString(result.error().toString());
            return job;
        }));
    }
}

void ThumbnailLoader::onJobFinished(QFutureWatcher<Job> *watcher)
{
    watcher->deleteLater();
    --m_inFlight;
    const Job job = watcher->result();
    if (job.generation == m_generation) {
        m_running.remove(job.path);
        if (job.error.isEmpty() && !job.image.isNull()) {
            const qint64 kib = std::max<qint64>(1, job.image.sizeInBytes() / 1024);
            m_cache.insert(job.path, new QImage(job.image), int(kib));
            ++m_loaded;
        } else {
            m_failed.insert(job.path, job.error.isEmpty() ? tr("empty thumbnail") : job.error);
        }
        emit thumbnailReady(job.path);
    }
    startJobs();
    if (isIdle())
        emit idle();
}

} // namespace fmw::ui
