#pragma once
// The GUI benchmarks' stall probe: a precise timer ticking every `tickMs` on the GUI thread;
// the gap between two ticks is how long the event loop was busy. After startIdleControl()
// gaps count as the idle control (the machine's own noise, on a window doing nothing).

#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <functional>

namespace fmwbench {

class StallProbe {
public:
    // onGap(gapMs, endMs, idle), when set, sees every gap (e.g. to print the long ones).
    explicit StallProbe(int tickMs, std::function<void(double, double, bool)> onGap = {})
        : m_onGap(std::move(onGap))
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(tickMs);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            const double gapMs = (now - m_lastTick) / 1e6;
            if (m_onGap)
                m_onGap(gapMs, now / 1e6, m_idle);
            double &worst = m_idle ? m_idleStallMs : m_maxStallMs;
            worst = std::max(worst, gapMs);
            m_lastTick = now;
            if (!m_idle)
                ++m_ticks;
        });
    }

    void start()
    {
        m_clock.start();
        m_timer.start();
    }
    void startIdleControl()
    {
        m_idle = true;
        m_lastTick = m_clock.nsecsElapsed();
    }
    void stop() { m_timer.stop(); }

    double elapsedMs() const { return m_clock.nsecsElapsed() / 1e6; } // since start()
    double maxStallMs() const { return m_maxStallMs; } // before the idle control
    double idleStallMs() const { return m_idleStallMs; }
    int ticks() const { return m_ticks; } // before the idle control

private:
    std::function<void(double, double, bool)> m_onGap;
    QElapsedTimer m_clock;
    QTimer m_timer;
    qint64 m_lastTick = 0;
    bool m_idle = false;
    double m_maxStallMs = 0;
    double m_idleStallMs = 0;
    int m_ticks = 0;
};

} // namespace fmwbench
