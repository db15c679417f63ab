#pragma once
// CompareTableModel: one row per evaluated sample of a TaskReport (image, prefix, reference,
// generated text, exact match and four per-sample metrics), sortable by any column and, by
// default (column -1), worst first as TaskReport::worstFirst orders them.

#include "evaluation/evaluation_report.h"

#include <QAbstractTableModel>

#include <memory>
#include <vector>

namespace fmw::ui {

class CompareTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        ImageColumn,
        PrefixColumn,
        ReferenceColumn,
        GeneratedColumn,
        ExactColumn,
        Metric0Column,
        Metric1Column,
        Metric2Column,
        Metric3Column,
        ColumnCount
    };
    // Qt::UserRole: the value sorting uses (numbers for the metric and exact columns).
    static constexpr int SortRole = Qt::UserRole;
    // Qt::UserRole + 1: the sample's index in the report (input order).
    static constexpr int SampleRole = Qt::UserRole + 1;

    explicit CompareTableModel(QObject *parent = nullptr);
    ~CompareTableModel() override;

    // Replaces the rows (a reset) and sorts worst first.
    void setReport(std::shared_ptr<const eval::TaskReport> report);
    void clear();
    const eval::TaskReport *report() const { return m_report.get(); }
    // The sample index of `row`, or -1.
    int sampleAt(int row) const;
    // The row that shows sample `index`, or -1.
    int rowOf(int sampleIndex) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    // `column` -1: worst first (the report's order; `order` reverses it).
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    QVariant sortValue(int sample, int column) const;

    std::shared_ptr<const eval::TaskReport> m_report;
    std::vector<int> m_rows; // row -> sample index
    std::vector<int> m_rank; // sample index -> position in worstFirst
    std::vector<std::vector<double>> m_metrics; // per sample
};

} // namespace fmw::ui
