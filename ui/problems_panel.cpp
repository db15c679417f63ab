#include "ui/problems_panel.h"

#include "ui/problems_model.h"

#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace fmw::ui {

ProblemsPanel::ProblemsPanel(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("problemsPanel"));
    m_model = new ProblemsModel(this);
    m_sorted = new QSortFilterProxyModel(this);
    m_sorted->setSourceModel(m_model);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("problemsSummary"));
    m_summary->setForegroundRole(QPalette::PlaceholderText);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("problemsTable"));
    m_table->setModel(m_sorted);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder);  // the check's order: by file and line
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    for (int column : {ProblemsModel::KindColumn, ProblemsModel::LocationColumn, ProblemsModel::ImageColumn})
        m_table->horizontalHeader()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    m_table->setToolTip(tr("Double-click or press Enter to show the image"));
    connect(m_table, &QAbstractItemView::activated, this, &ProblemsPanel::activate);
    connect(m_model, &ProblemsModel::refreshed, this, &ProblemsPanel::updateSummary);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->setSpacing(4);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);
    updateSummary(0);
}

void ProblemsPanel::setDocument(DatasetDocument *document)
{
    m_model->setDocument(document);
    updateSummary(m_model->rowCount());
}

void ProblemsPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_model->setPaused(false);
}

void ProblemsPanel::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_model->setPaused(true);
}

int ProblemsPanel::problemCount() const
{
    return m_model->rowCount();
}

void ProblemsPanel::activate(const QModelIndex &proxyIndex)
{
    const QModelIndex index = m_sorted->mapToSource(proxyIndex);
    if (!index.isValid())
        return;
    const DatasetProblem &p = m_model->problem(index.row());
    const QString image = m_model->imageOf(index.row());
    const QString file = p.file;
    const int line = p.line;
    const RecordId record = p.record;
    // Receivers may edit the document (and so refresh this model): copies only from here.
    if (!image.isEmpty())
        emit jumpToImage(image);
    if (record != 0)
        emit jumpToRecord(record);
    emit jumpToLocation(file, line);
}

void ProblemsPanel::updateSummary(int count)
{
    if (!m_model->document())
        m_summary->setText(tr("No dataset open"));
    else if (count == 0)
        m_summary->setText(tr("No problems found"));
    else
        m_summary->setText(count == 1 ? tr("1 problem") : tr("%1 problems").arg(count));
}

} // namespace fmw::ui
