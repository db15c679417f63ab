#include "ui/dicom_tag_panel.h"

#include "imaging/dicom_tags.h"

#include <QCheckBox>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace fmw::ui {

const QString DicomTagPanel::kHiddenText = QStringLiteral("••• hidden");

// What a worker hands back; values only, so nothing is shared across threads.
struct DicomTagPanel::Loaded {
    quint64 serial = 0;
    bool isDicom = false;
    std::vector<imaging::DicomTag> tags;
    QString error;
};

DicomTagPanel::DicomTagPanel(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("dicomTagPanel"));

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("dicomTagFilter"));
    m_filter->setPlaceholderText(tr("Filter by tag, keyword or value"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, &DicomTagPanel::applyFilter);

    m_reveal = new QCheckBox(tr("Reveal PHI"), this);
    m_reveal->setObjectName(QStringLiteral("revealPhiCheck"));
    m_reveal->setToolTip(tr("Show patient names, IDs, dates and other protected health information "
                            "for this image. Hidden again when another image is shown."));
    connect(m_reveal, &QCheckBox::toggled, this, [this] {
        fillValues();
        applyFilter();
    });

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("dicomTagMessage"));
    m_message->setWordWrap(true);
    m_message->setForegroundRole(QPalette::PlaceholderText);

    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("dicomTagTable"));
    m_table->setHorizontalHeaderLabels({tr("Tag"), tr("Keyword"), tr("VR"), tr("Value")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    for (int column : {TagColumn, KeywordColumn, VrColumn})
        m_table->horizontalHeader()->setSectionResizeMode(column, QHeaderView::ResizeToContents);

    auto *top = new QHBoxLayout;
    top->setSpacing(6);
    top->addWidget(m_filter, 1);
    top->addWidget(m_reveal);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addWidget(m_message);
    layout->addWidget(m_table, 1);
    setImage(QString());
}

// A read still running finishes on its pool thread; it holds no reference to this panel.
DicomTagPanel::~DicomTagPanel() = default;

bool DicomTagPanel::isPhiRevealed() const
{
    return m_reveal->isChecked();
}

void DicomTagPanel::setPhiRevealed(bool revealed)
{
    m_reveal->setChecked(revealed);
}

QString DicomTagPanel::message() const
{
    return m_message->isVisibleTo(this) ? m_message->text() : QString();
}

void DicomTagPanel::setImage(const QString &absolutePath)
{
    if (absolutePath == m_path && (m_loading || !absolutePath.isEmpty()))
        return;
    m_path = absolutePath;
    ++m_serial;  // a read still under way for the previous image is dropped
    m_tags.clear();
    m_table->setRowCount(0);
    {
        // PHI shown for one image is never carried over to the next.
        const QSignalBlocker block(m_reveal);
        m_reveal->setChecked(false);
    }
    if (absolutePath.isEmpty()) {
        m_loading = false;
        m_message->setText(tr("No image"));
        m_message->show();
        m_reveal->setEnabled(false);
        emit loaded();
        return;
    }
    m_message->setText(tr("Reading tags…"));
    m_message->show();
    startLoad();
}

void DicomTagPanel::startLoad()
{
    m_loading = true;
    const quint64 serial = m_serial;
    const QString path = m_path;
    auto *watcher = new QFutureWatcher<Loaded>(this);
    connect(watcher, &QFutureWatcher<Loaded>::finished, this, [this, watcher] {
        watcher->deleteLater();
        const Loaded result = watcher->result();
        if (result.serial == m_serial)
            showLoaded(result);
    });
    watcher->setFuture(QtConcurrent::run([serial, path] {
        Loaded out;
        out.serial = serial;
        const auto read = imaging::readDicomTags(path);
        if (!read.ok()) {
            out.error = QString::fromStdString(read.error().toString());
            return out;
        }
        out.isDicom = read->isDicom;
        out.tags = read->tags;
        return out;
    }));
}

void DicomTagPanel::showLoaded(const Loaded &result)
{
    m_loading = false;
    m_tags = result.tags;
    int phi = 0;
    for (const imaging::DicomTag &t : m_tags)
        phi += t.isPhi ? 1 : 0;
    if (!result.error.isEmpty()) {
        m_message->setText(result.error);
        m_message->show();
    } else if (!result.isDicom) {
        m_message->setText(tr("Not a DICOM file"));
        m_message->show();
    } else if (phi > 0) {
        m_message->setText(phi == 1 ? tr("1 attribute holds PHI") : tr("%1 attributes hold PHI").arg(phi));
        m_message->show();
    } else {
        m_message->hide();
    }
    m_reveal->setEnabled(phi > 0);

    m_table->setUpdatesEnabled(false);
    m_table->setRowCount(int(m_tags.size()));
    for (int row = 0; row < int(m_tags.size()); ++row) {
        const imaging::DicomTag &t = m_tags[std::size_t(row)];
        const auto cell = [this, row](int column, const QString &text) {
            auto *item = new QTableWidgetItem(text);
            m_table->setItem(row, column, item);
            return item;
        };
        cell(TagColumn, t.tagText());
        cell(KeywordColumn, t.keyword.isEmpty() ? tr("(unknown)") : t.keyword);
        cell(VrColumn, t.vr);
        cell(ValueColumn, QString());
    }
    fillValues();
    applyFilter();
    m_table->setUpdatesEnabled(true);
    emit loaded();
}

void DicomTagPanel::fillValues()
{
    const bool reveal = m_reveal->isChecked();
    for (int row = 0; row < m_table->rowCount() && row < int(m_tags.size()); ++row) {
        const imaging::DicomTag &t = m_tags[std::size_t(row)];
        QTableWidgetItem *item = m_table->item(row, ValueColumn);
        const bool hide = t.isPhi && !reveal;
        item->setText(hide ? kHiddenText : t.value);
        item->setToolTip(hide ? tr("Protected health information: check Reveal PHI to show") : t.value);
        item->setForeground(hide ? palette().color(QPalette::PlaceholderText) : palette().color(QPalette::Text));
    }
}

void DicomTagPanel::applyFilter()
{
    const QString text = m_filter->text().trimmed();
    for (int row = 0; row < m_table->rowCount(); ++row) {
        bool match = text.isEmpty();
        for (int column = 0; column < ColumnCount && !match; ++column)
            match = m_table->item(row, column)->text().contains(text, Qt::CaseInsensitive);
        m_table->setRowHidden(row, !match);
    }
}

} // namespace fmw::ui
