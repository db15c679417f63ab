#include "ui/caption_editor.h"

#include "dataset/dataset_document.h"

#include <QAction>
#include <QEvent>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTextBlock>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <utility>

namespace fmw::ui {

namespace {

const QString kOd = QStringLiteral("<OD>");

// The prefixes the "+" menu offers directly, with their action names.
struct KnownPrefix {
    const char *prefix;
    const char *action;
};
constexpr KnownPrefix kKnownPrefixes[] = {
    {"<CAPTION>", "actionAddCaption"},
    {"<DETAILED_CAPTION>", "actionAddDetailedCaption"},
    {"<MORE_DETAILED_CAPTION>", "actionAddMoreDetailedCaption"},
};

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

    // Header: the image, "+" (add a record with another prefix), "−" (remove this one).
    m_imageLabel = new QLabel(this);
    m_imageLabel->setObjectName(QStringLiteral("captionImageLabel"));
    m_imageLabel->setForegroundRole(QPalette::PlaceholderText);
    m_imageLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_addMenu = new QMenu(this);
    m_addMenu->setObjectName(QStringLiteral("addPrefixMenu"));
    for (const KnownPrefix &known : kKnownPrefixes) {
        const QString prefix = QString::fromLatin1(known.prefix);
        QAction *action = m_addMenu->addAction(tabTitle(prefix));
        connect(action, &QAction::triggered, this, [this, prefix] { addRecord(prefix); });
        action->setObjectName(QLatin1String(known.action));
        action->setData(prefix);
    }
    m_addMenu->addSeparator();
    QAction *custom = m_addMenu->addAction(tr("Custom Prefix…"));
    connect(custom, &QAction::triggered, this, [this] { addCustomRecord(); });
    custom->setObjectName(QStringLiteral("actionAddCustomPrefix"));
    connect(m_addMenu, &QMenu::aboutToShow, this, &CaptionEditor::updateControls);
    m_addButton = new QToolButton(this);
    m_addButton->setObjectName(QStringLiteral("addPrefixButton"));
    m_addButton->setText(QStringLiteral("+"));
    m_addButton->setToolTip(tr("Add a record with another prefix for this image"));
    m_addButton->setMenu(m_addMenu);
    m_addButton->setPopupMode(QToolButton::InstantPopup);
    m_addButton->setAutoRaise(true);
    m_removeButton = new QToolButton(this);
    m_removeButton->setObjectName(QStringLiteral("removeRecordButton"));
    m_removeButton->setText(QStringLiteral("\u2212"));
    m_removeButton->setToolTip(tr("Remove this caption record from the dataset (undoable)"));
    m_removeButton->setAutoRaise(true);
    connect(m_removeButton, &QToolButton::clicked, this, &CaptionEditor::removeCurrentRecord);
    connect(m_tabs, &QTabWidget::currentChanged, this, &CaptionEditor::updateControls);
    auto *header = new QHBoxLayout;
    header->setContentsMargins(8, 2, 2, 0);
    header->setSpacing(2);
    header->addWidget(m_imageLabel, 1);
    header->addWidget(m_addButton);
    header->addWidget(m_removeButton);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(header);
    layout->addWidget(m_stack);
    updateControls();

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
    m_imageLabel->setText(m_document ? m_image : QString());
    m_imageLabel->setToolTip(m_imageLabel->text());
    if (!m_document || m_image.isEmpty()) {
        m_empty->setText(tr("Select an image to edit its captions."));
        m_stack->setCurrentWidget(m_empty);
        updateControls();
        return;
    }
    QVector<RecordId> ids = m_document->recordsForImage(m_image);
    if (ids.isEmpty()) {
        m_empty->setText(tr("No record names %1 yet. Add one with +.").arg(m_image));
        m_stack->setCurrentWidget(m_empty);
        updateControls();
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
        page.count = new QLabel(container);
        page.count->setObjectName(QStringLiteral("wordCountLabel"));
        page.count->setForegroundRole(QPalette::PlaceholderText);
        page.count->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        layout->addWidget(page.info);
        layout->addWidget(page.edit, 1);
        layout->addWidget(page.count);
        QLabel *count = page.count;
        QPlainTextEdit *edit = page.edit;
        // Live, on typing and on undo/redo alike.
        connect(page.edit, &QPlainTextEdit::textChanged, count,
                [count, edit] { count->setText(countText(edit->toPlainText())); });
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
        page.count->setText(countText(page.edit->toPlainText()));
    }
    m_tabs->setCurrentIndex(currentTab);
    m_stack->setCurrentWidget(m_tabs);
    updateControls();
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

// --- adding and removing records -----------------------------------------------------------

CaptionEditor::Page *CaptionEditor::currentPage()
{
    const int tab = m_tabs->currentIndex();
    if (m_stack->currentWidget() != m_tabs || tab < 0 || tab >= m_pages.size())
        return nullptr;
    Page *page = &m_pages[tab];
    return m_document && m_document->contains(page->id) ? page : nullptr;
}

QStringList CaptionEditor::presentPrefixes() const
{
    QStringList out;
    if (!m_document || m_image.isEmpty())
        return out;
    for (RecordId id : m_document->recordsForImage(m_image))
        out << m_document->record(id).prefix;
    return out;
}

void CaptionEditor::updateControls()
{
    const bool haveImage = m_document && !m_image.isEmpty();
    m_addButton->setEnabled(haveImage);
    const QStringList present = presentPrefixes();
    for (QAction *action : m_addMenu->actions()) {
        const QString prefix = action->data().toString();
        if (!prefix.isEmpty())
            action->setEnabled(haveImage && !present.contains(prefix));
    }
    const Page *page = currentPage();
    m_removeButton->setEnabled(page && page->prefix != kOd);
}

void CaptionEditor::showPage(RecordId id)
{
    for (int i = 0; i < m_pages.size(); ++i) {
        if (m_pages[i].id == id) {
            m_tabs->setCurrentIndex(i);
            m_pages[i].edit->setFocus();
            return;
        }
    }
}

QString CaptionEditor::checkPrefix(const QString &prefix, const QStringList &present)
{
    static const QRegularExpression kForm(QStringLiteral("^<[A-Z][A-Z0-9_]*>$"));
    if (prefix.isEmpty())
        return tr("Type a prefix, like <IMPRESSION>.");
    if (!kForm.match(prefix).hasMatch())
        return tr("%1 is not a prefix: capitals, digits and _ between < and >, like <IMPRESSION>.").arg(prefix);
    if (prefix == kOd)
        return tr("<OD> records hold boxes: draw them on the image instead.");
    if (present.contains(prefix))
        return tr("This image already has a %1 record.").arg(prefix);
    return {};
}

QString CaptionEditor::prefixProblem(const QString &prefix) const
{
    if (!m_document || m_image.isEmpty())
        return tr("Select an image first.");
    return checkPrefix(prefix, presentPrefixes());
}

QString CaptionEditor::fileFor(const DatasetDocument &document, const QString &image, const QString &prefix)
{
    Split split = Split::Train;
    for (RecordId id : document.recordsForImage(image)) {
        const Split s = splitOfFile(document.record(id).file);
        if (s != Split::Other) {
            split = s;
            break;
        }
    }
    QString variant;
    if (prefix == QLatin1String("<DETAILED_CAPTION>"))
        variant = QStringLiteral("_detailed_caption");
    else if (prefix == QLatin1String("<MORE_DETAILED_CAPTION>"))
        variant = QStringLiteral("_more_detailed_caption");
    return splitFileName(split, variant);
}

QString CaptionEditor::countText(const QString &text)
{
    int words = 0;
    int characters = 0;
    bool inWord = false;
    for (const QChar c : text) {
        if (!c.isLowSurrogate())
            ++characters;
        const bool space = c.isSpace();
        if (!space && !inWord)
            ++words;
        inWord = !space;
    }
    const QString w = words == 1 ? tr("1 word") : tr("%1 words").arg(words);
    const QString ch = characters == 1 ? tr("1 character") : tr("%1 characters").arg(characters);
    return w + QStringLiteral(" \u00b7 ") + ch;
}

RecordId CaptionEditor::addRecord(const QString &prefix, QString *error)
{
    const QString problem = prefixProblem(prefix);
    if (!problem.isEmpty()) {
        if (error)
            *error = problem;
        return 0;
    }
    commitPending();
    const RecordId id = m_document->addRecord(fileFor(*m_document, m_image, prefix), m_image, prefix, QString());
    if (id) {
        if (!pageOf(id))
            rebuild();
        showPage(id);
    }
    return id;
}

RecordId CaptionEditor::addCustomRecord()
{
    if (!m_document || m_image.isEmpty())
        return 0;
    QInputDialog dialog(this);
    dialog.setObjectName(QStringLiteral("customPrefixDialog"));
    dialog.setWindowTitle(tr("Add Record With Custom Prefix"));
    const QString hint = tr("Prefix for a new record of %1, like <IMPRESSION>:").arg(m_image);
    dialog.setLabelText(hint);
    dialog.setTextValue(QStringLiteral("<>"));
    while (dialog.exec() == QDialog::Accepted) {
        QString prefix = dialog.textValue().trimmed();
        if (!prefix.isEmpty() && !prefix.startsWith(QLatin1Char('<')) && !prefix.endsWith(QLatin1Char('>')))
            prefix = QLatin1Char('<') + prefix + QLatin1Char('>');
        QString error;
        if (const RecordId id = addRecord(prefix, &error))
            return id;
        dialog.setLabelText(error + QLatin1Char('\n') + hint);
        dialog.setTextValue(prefix);
    }
    return 0;
}

bool CaptionEditor::removeCurrentRecord()
{
    const Page *page = currentPage();
    if (!page || page->prefix == kOd)
        return false;
    const RecordId id = page->id;
    commitPending();
    if (m_confirmRemoval) {
        const DatasetRecord &record = m_document->record(id);
        QMessageBox box(QMessageBox::Question, tr("Remove Caption Record"),
                        tr("Remove the %1 record of %2?").arg(record.prefix, record.image),
                        QMessageBox::Yes | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("removeRecordDialog"));
        box.setInformativeText(tr("It leaves %1 when you save. Undo brings it back.").arg(record.file));
        box.button(QMessageBox::Yes)->setText(tr("Remove"));
        box.setDefaultButton(QMessageBox::Cancel);
        if (box.exec() != QMessageBox::Yes || !m_document || !m_document->contains(id))
            return false;
    }
    m_document->removeRecord(id);
    return true;
}

} // namespace fmw::ui
