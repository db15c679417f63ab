#include "ui/caption_editor.h"

#include "dataset/dataset_document.h"

#include <QEvent>
#include <QKeyEvent>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTextBlock>
#include <QVBoxLayout>

#include <algorithm>
#include <utility>

namespace fmw::ui {

namespace {

const QString kOd = QStringLiteral("<OD>");

// Captions first in increasing detail, custom prefixes alphabetically, boxes last.
int prefixRank(const QString &prefix)
{
    if (prefix == QLatin1String("<CAPTION>"))
        return 0;
    if (prefix == QLatin1String("<DETAILED_CAPTION>"))
        return 1;
    if (prefix == QLatin1String("<MORE_DETAILED_CAPTION>"))
        return 2;
    if (prefix == kOd)
        return 4;
    return 3;
}

// "<CAPTION> impression" -> "<CAPTION>" over "impression": three tabs fit a narrow dock.
QString twoLines(QString title)
{
    const int split = int(title.indexOf(QStringLiteral("> ")));
    if (split >= 0)
        title[split + 1] = QLatin1Char('\n');
    return title;
}

} // namespace

CaptionEditor::CaptionEditor(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("captionEditor"));
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("captionTabs"));
    m_tabs->setDocumentMode(true);
    m_empty = new QLabel(tr("Select an image to edit its captions."), this);
    m_empty->setObjectName(QStringLiteral("captionEmpty"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_stack = new QStackedWidget(this);
    m_stack->addWidget(m_empty);
    m_stack->addWidget(m_tabs);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);

    m_idleTimer.setSingleShot(true);
    m_idleTimer.setInterval(kIdleCommitMs);
    connect(&m_idleTimer, &QTimer::timeout, this, &CaptionEditor::commitPending);
}

CaptionEditor::~CaptionEditor() = default;

QString CaptionEditor::tabTitle(const QString &prefix)
{
    if (prefix == QLatin1String("<CAPTION>"))
        return tr("<CAPTION> impression");
    if (prefix == QLatin1String("<DETAILED_CAPTION>"))
        return tr("<DETAILED_CAPTION> findings");
    if (prefix == kOd)
        return tr("<OD> boxes");
    return prefix;
}

void CaptionEditor::setDocument(DatasetDocument *document)
{
    if (m_document == document)
        return;
    if (m_document) {
        commitPending();
        m_document->disconnect(this);
    }
    setPending(0);
    m_document = document;
    m_image.clear();
    if (document) {
        connect(document, &DatasetDocument::recordChanged, this, &CaptionEditor::onRecordChanged);
        connect(document, &DatasetDocument::recordAdded, this, &CaptionEditor::onRecordSetChanged);
        connect(document, &DatasetDocument::recordAboutToBeRemoved, this, [this](RecordId id) {
            // The record disappears: its page must go, pending typing included.
            if (pageOf(id)) {
                if (m_pendingId == id)
                    setPending(0);
                QTimer::singleShot(0, this, &CaptionEditor::rebuild);
            }
        });
    }
    rebuild();
}

void CaptionEditor::setImage(const QString &image)
{
    if (image == m_image)
        return;
    commitPending();
    m_image = image;
    rebuild();
}

QPlainTextEdit *CaptionEditor::editorFor(const QString &prefix) const
{
    for (const Page &page : m_pages)
        if (page.prefix == prefix)
            return page.edit;
    return nullptr;
}

CaptionEditor::Page *CaptionEditor::pageOf(RecordId id)
{
    for (Page &page : m_pages)
        if (page.id == id)
            return &page;
    return nullptr;
}

void CaptionEditor::rebuild()
{
    const QString previousPrefix =
        m_tabs->currentIndex() >= 0 && m_tabs->currentIndex() < m_pages.size()
            ? m_pages[m_tabs->currentIndex()].prefix
            : QString();
    commitPending();
    m_pages.clear();
    while (m_tabs->count() > 0) {
        QWidget *w = m_tabs->widget(0);
        m_tabs->removeTab(0);
        // Detach now (findChild must not see stale editors), delete once events settle.
        w->hide();
        w->setParent(nullptr);
        w->deleteLater();
    }
    if (!m_document || m_image.isEmpty()) {
        m_empty->setText(tr("Select an image to edit its captions."));
        m_stack->setCurrentWidget(m_empty);
        return;
    }
    QVector<RecordId> ids = m_document->recordsForImage(m_image);
    if (ids.isEmpty()) {
        m_empty->setText(tr("No record names %1 yet.").arg(m_image));
        m_stack->setCurrentWidget(m_empty);
        return;
    }
    std::stable_sort(ids.begin(), ids.end(), [this](RecordId a, RecordId b) {
        const DatasetRecord &ra = m_document->record(a);
        const DatasetRecord &rb = m_document->record(b);
        const int rankA = prefixRank(ra.prefix);
        const int rankB = prefixRank(rb.prefix);
        if (rankA != rankB)
            return rankA < rankB;
        return ra.prefix != rb.prefix ? ra.prefix < rb.prefix : ra.file < rb.file;
    });

    int currentTab = 0;
    for (RecordId id : std::as_const(ids)) {
        const DatasetRecord &record = m_document->record(id);
        const bool duplicate = std::count_if(ids.begin(), ids.end(), [&](RecordId other) {
                                   return m_document->record(other).prefix == record.prefix;
                               }) > 1;
        Page page;
        page.id = id;
        page.prefix = record.prefix;
        auto *container = new QWidget(m_tabs);
        auto *layout = new QVBoxLayout(container);
        layout->setContentsMargins(8, 8, 8, 8);
        layout->setSpacing(6);
        page.info = new QLabel(container);
        page.info->setForegroundRole(QPalette::PlaceholderText);
        page.info->setWordWrap(true);
        page.edit = new QPlainTextEdit(container);
        const bool isOd = record.prefix == kOd;
        QString name = isOd ? QStringLiteral("odText") : QStringLiteral("captionEdit:") + record.prefix;
        if (duplicate)
            name += QLatin1Char(':') + record.file;
        page.edit->setObjectName(name);
        page.edit->setReadOnly(isOd);
        // The document's undo stack is the only one: the widget's own would fork history.
        page.edit->setUndoRedoEnabled(false);
        page.edit->setTabChangesFocus(true);
        page.edit->installEventFilter(this);
        layout->addWidget(page.info);
        layout->addWidget(page.edit, 1);
        if (!isOd) {
            connect(page.edit, &QPlainTextEdit::textChanged, this, [this, id] {
                if (!m_applying)
                    onUserEdit(id);
            });
        }
        QString title = tabTitle(record.prefix);
        if (duplicate)
            title += QStringLiteral(" · ") + record.file;
        const int tab = m_tabs->addTab(container, twoLines(title));
        m_tabs->setTabToolTip(tab, QStringLiteral("%1:%2").arg(record.file).arg(record.line));
        if (record.prefix == previousPrefix && currentTab == 0)
            currentTab = tab;
        m_pages.push_back(page);
        refreshPage(m_pages.back());
    }
    m_tabs->setCurrentIndex(currentTab);
    m_stack->setCurrentWidget(m_tabs);
}

void CaptionEditor::refreshPage(Page &page)
{
    const DatasetRecord &record = m_document->record(page.id);
    QString info = record.line > 0 ? tr("%1, line %2").arg(record.file).arg(record.line)
                                   : tr("%1 (new record)").arg(record.file);
    if (record.prefix == kOd) {
        const auto boxes = m_document->boxes(page.id);
        if (boxes) {
            QStringList labels;
            for (const loc::OdBox &box : *boxes)
                labels << QString::fromStdString(box.label);
            labels.removeDuplicates();
            info += QStringLiteral("\n") + (boxes->size() == 1 ? tr("1 box") : tr("%1 boxes").arg(boxes->size()));
            if (!labels.isEmpty())
                info += QStringLiteral(": ") + labels.join(QStringLiteral(", "));
            const int tab = int(&page - m_pages.data());
            m_tabs->setTabText(tab, twoLines(tabTitle(kOd) + QStringLiteral(" (%1)").arg(boxes->size())));
        } else {
            info += QStringLiteral("\n") + tr("Invalid box text: %1")
                                                .arg(QString::fromStdString(boxes.error().message));
        }
    }
    page.info->setText(info);
    if (page.edit->toPlainText() != record.suffix && page.id != m_pendingId) {
        const bool wasApplying = std::exchange(m_applying, true);
        replaceTextKeepingCursor(page.edit, record.suffix);
        m_applying = wasApplying;
    }
}

void CaptionEditor::replaceTextKeepingCursor(QPlainTextEdit *edit, const QString &text)
{
    // Replace only the differing middle, so the user's cursor (adjusted by QTextDocument
    // like for any edit) stays where it was relative to the unchanged text.
    const QString old = edit->toPlainText();
    const int maxCommon = int(std::min(old.size(), text.size()));
    int prefix = 0;
    while (prefix < maxCommon && old[prefix] == text[prefix])
        ++prefix;
    int suffix = 0;
    while (suffix < maxCommon - prefix && old[old.size() - 1 - suffix] == text[text.size() - 1 - suffix])
        ++suffix;
    QTextCursor cursor(edit->document());
    cursor.setPosition(prefix);
    cursor.setPosition(int(old.size()) - suffix, QTextCursor::KeepAnchor);
    cursor.insertText(text.mid(prefix, text.size() - suffix - prefix));
}

void CaptionEditor::onRecordChanged(RecordId id)
{
    if (Page *page = pageOf(id))
        refreshPage(*page);
}

void CaptionEditor::onRecordSetChanged(RecordId id)
{
    if (m_document && m_document->contains(id) && m_document->record(id).image == m_image) {
        commitPending();
        rebuild();
    }
}

void CaptionEditor::onUserEdit(RecordId id)
{
    if (m_pendingId != 0 && m_pendingId != id)
        commitPending();
    setPending(id);
    m_idleTimer.start();
}

void CaptionEditor::setPending(RecordId id)
{
    if (id == 0)
        m_idleTimer.stop();
    if (m_pendingId == id)
        return;
    const bool wasPending = m_pendingId != 0;
    m_pendingId = id;
    if (wasPending != (id != 0))
        emit pendingEditChanged(id != 0);
}

void CaptionEditor::commitPending()
{
    const RecordId id = m_pendingId;
    if (id == 0)
        return;
    Page *page = pageOf(id);
    setPending(0);
    if (!page || !m_document || !m_document->contains(id))
        return;
    const QString text = page->edit->toPlainText();
    if (text != m_document->record(id).suffix)
        m_document->setCaption(id, text);
}

bool CaptionEditor::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::FocusOut) {
        commitPending();
    } else if (event->type() == QEvent::ShortcutOverride) {
        // Let the window's Undo/Redo (the document's stack) win over the text widget.
        auto *key = static_cast<QKeyEvent *>(event);
        if (key->matches(QKeySequence::Undo) || key->matches(QKeySequence::Redo)
            || (key->key() == Qt::Key_Y && key->modifiers() == Qt::ControlModifier)) {
            event->ignore();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace fmw::ui
