#pragma once
// LossChart: a QCustomPlot for training curves: named line series, each optionally paired with
// an exponentially smoothed (EMA) companion line; points arrive in batches and the plot is
// redrawn at most every kReplotIntervalMs, so a fast run cannot make the GUI repaint per step.

#include <QColor>
#include <QString>
#include <QTimer>
#include <QVector>

#include <qcustomplot.h>

namespace fmw::ui {

class LossChart : public QCustomPlot {
    Q_OBJECT
public:
    explicit LossChart(QWidget *parent = nullptr);

    void setAxisLabels(const QString &x, const QString &y);
    // Ticks on whole numbers only (epochs).
    void setIntegerKeys(bool integer);
    // Adds a line and returns its index. With `smoothing` in (0, 1) a second, bolder line shows
    // its EMA (TensorBoard's weight: the share of history kept per point). `markers` draws
    // each point (epoch curves have few).
    int addSeries(const QString &name, const QColor &color, double smoothing = 0, bool markers = false);
    // Appends points to a series; the EMA follows. The replot is throttled.
    void append(int series, const QVector<double> &x, const QVector<double> &y);
    void append(int series, double x, double y) { append(series, QVector<double> {x}, QVector<double> {y}); }
    // Removes every point of every series.
    void clearPoints();
    int pointCount(int series) const;
    // The raw graph of a series, and its EMA graph (nullptr without smoothing).
    QCPGraph *rawGraph(int series) const;
    QCPGraph *smoothedGraph(int series) const;

    static constexpr int kReplotIntervalMs = 100;

private:
    struct Series {
        QCPGraph *raw = nullptr;
        QCPGraph *smooth = nullptr;
        double smoothing = 0;
        double ema = 0; // biased; shown divided by (1 - debiasWeight)
        double debiasWeight = 1; // smoothing^seen
        int seen = 0;
    };
    void scheduleReplot();
    void replotNow();

    QVector<Series> m_series;
    QTimer m_replotTimer;
};

} // namespace fmw::ui
