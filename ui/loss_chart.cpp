#include "ui/loss_chart.h"

#include <cmath>

namespace fmw::ui {

LossChart::LossChart(QWidget *parent)
    : QCustomPlot(parent)
{
    setMinimumHeight(140);
    setNoAntialiasingOnDrag(true);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    legend->setVisible(false);
    QFont legendFont = font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.85);
    legend->setFont(legendFont);
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    xAxis->setRange(0, 1);
    yAxis->setRange(0, 1);
    // One timer for all appends: at most one redraw per interval, however many points arrive.
    m_replotTimer.setSingleShot(true);
    m_replotTimer.setInterval(kReplotIntervalMs);
    connect(&m_replotTimer, &QTimer::timeout, this, &LossChart::replotNow);
}

void LossChart::setAxisLabels(const QString &x, const QString &y)
{
    xAxis->setLabel(x);
    yAxis->setLabel(y);
}

void LossChart::setIntegerKeys(bool integer)
{
    if (!integer) {
        xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        return;
    }
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    xAxis->setTicker(ticker);
}

int LossChart::addSeries(const QString &name, const QColor &color, double smoothing, bool markers)
{
    Series s;
    s.smoothing = smoothing > 0 && smoothing < 1 ? smoothing : 0;
    s.raw = addGraph();
    s.raw->setName(name);
    QColor rawColor = color;
    if (s.smoothing > 0)
        rawColor.setAlpha(90); // the raw line recedes behind its trend
    s.raw->setPen(QPen(rawColor, 1.2));
    if (markers)
        s.raw->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    if (s.smoothing > 0) {
        s.smooth = addGraph();
        s.smooth->setName(tr("%1 (smoothed)").arg(name));
        s.smooth->setPen(QPen(color, 2.0));
    }
    m_series.push_back(s);
    legend->setVisible(graphCount() > 1);
    return m_series.size() - 1;
}

void LossChart::append(int series, const QVector<double> &x, const QVector<double> &y)
{
    if (series < 0 || series >= m_series.size() || x.size() != y.size() || x.isEmpty())
        return;
    Series &s = m_series[series];
    s.raw->addData(x, y); // sorts only when needed (a resumed run may overlap)
    if (s.smooth) {
        QVector<double> smoothed;
        smoothed.reserve(y.size());
        for (double v : y) {
            if (!std::isfinite(v)) {
                // a skipped step must not poison the trend
                smoothed << (s.seen > 0 ? s.ema / (1 - s.debiasWeight) : std::nan(""));
                continue;
            }
            // TensorBoard's debiased EMA: starting from 0 and dividing by (1 - a^n) makes the
            // first points follow the data instead of lagging behind the first value
            s.ema = s.smoothing * s.ema + (1 - s.smoothing) * v;
            ++s.seen;
            s.debiasWeight *= s.smoothing;
            smoothed << s.ema / (1 - s.debiasWeight);
        }
        s.smooth->addData(x, smoothed);
    }
    scheduleReplot();
}

void LossChart::clearPoints()
{
    for (Series &s : m_series) {
        s.raw->data()->clear();
        if (s.smooth)
            s.smooth->data()->clear();
        s.ema = 0;
        s.seen = 0;
        s.debiasWeight = 1;
    }
    m_replotTimer.stop();
    replotNow();
}

int LossChart::pointCount(int series) const
{
    return series >= 0 && series < m_series.size() ? m_series[series].raw->dataCount() : 0;
}

QCPGraph *LossChart::rawGraph(int series) const
{
    return series >= 0 && series < m_series.size() ? m_series[series].raw : nullptr;
}

QCPGraph *LossChart::smoothedGraph(int series) const
{
    return series >= 0 && series < m_series.size() ? m_series[series].smooth : nullptr;
}

void LossChart::scheduleReplot()
{
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

void LossChart::replotNow()
{
    bool any = false;
    for (const Series &s : m_series)
        any = any || s.raw->dataCount() > 0;
    if (any) {
        rescaleAxes(true);
        // a single point or a flat line would give a zero-height range
        if (yAxis->range().size() <= 0)
            yAxis->setRange(yAxis->range().lower - 0.5, yAxis->range().upper + 0.5);
        if (xAxis->range().size() <= 0)
            xAxis->setRange(xAxis->range().lower - 0.5, xAxis->range().upper + 0.5);
        yAxis->scaleRange(1.05, yAxis->range().center());
    }
    replot(QCustomPlot::rpQueuedReplot);
}

} // namespace fmw::ui
