#include "ui/box_list_panel.h"

#include "ui/box_edit_controller.h"
#include "ui/box_labels.h"

#include <QAction>
#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <cmath>

namespace fmw::ui {

namespace {

QToolButton *actionButton(QAction *action, const QString &objectName, QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setObjectName(objectName);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    return button;
}

QString rectText(const QRectF &r)
{
    // Whole pixels for reading; the exact bins are in the preview line.
    return QStringLiteral("%1, %2 – %3, %4  (%5 × %6)")
        .arg(std::lround(r.left()))
        .arg(std::lround(r.top()))
        .arg(std::lround(r.right()))
        .arg(std::lround(r.bottom()))
        .arg(std::lround(r.width()))
        .arg(std::lround(r.height()));
}

} // namespace

BoxListPanel::BoxListPanel(BoxEditController *controller, QWidget *parent)
    : QWidget(parent)
    , m_controller(controller)
{
    setObjectName(QStringLiteral("boxListPanel"));

    m_list = new QTreeWidget(this);
    m_list->setObjectName(QStringLiteral("boxList"));
    m_list->setColumnCount(2);
    m_list->setHeaderLabels({tr("Label"), tr("Box (pixels)")});
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_list->setToolTip(tr("Boxes of the <OD> record; select one to edit it in the viewer"));

    m_labelCombo = new QComboBox(this);
    m_labelCombo->setObjectName(QStringLiteral("boxLabelCombo"));
    m_labelCombo->setEditable(true);
    m_labelCombo->setInsertPolicy(QComboBox::NoInsert);
    m_labelCombo->setToolTip(tr("Label of the selected box, or of the next box drawn; type a new "
                                "label and press Enter to add it"));
    auto *labelCaption = new QLabel(tr("&Label:"), this);
    labelCaption->setBuddy(m_labelCombo);

    m_preview = new QLineEdit(this);
    m_preview->setObjectName(QStringLiteral("boxLocPreview"));
    m_preview->setReadOnly(true);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_preview->setToolTip(tr("The <OD> text the record will be saved with"));

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("boxStatus"));
    m_status->setWordWrap(true);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(actionButton(controller->drawAction(), QStringLiteral("boxDrawButton"), this));
    buttons->addWidget(actionButton(controller->duplicateAction(), QStringLiteral("boxDuplicateButton"), this));
    buttons->addWidget(actionButton(controller->deleteAction(), QStringLiteral("boxDeleteButton"), this));
    buttons->addStretch();

    auto *labelRow = new QHBoxLayout;
    labelRow->addWidget(labelCaption);
    labelRow->addWidget(m_labelCombo, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addLayout(labelRow);
    layout->addWidget(m_list, 1);
    layout->addWidget(new QLabel(tr("<OD> text:"), this));
    layout->addWidget(m_preview);
    layout->addWidget(m_status);

    connect(m_list, &QTreeWidget::itemSelectionChanged, this, [this] {
        if (m_updating)
            return;
        const QList<QTreeWidgetItem *> selected = m_list->selectedItems();
        m_controller->selectBox(selected.isEmpty() ? -1 : m_list->indexOfTopLevelItem(selected.first()));
    });
    // Picking from the list and typing + Enter both end here; the same label twice is a no-op.
    connect(m_labelCombo, &QComboBox::textActivated, this, &BoxListPanel::applyLabel);
    connect(m_labelCombo->lineEdit(), &QLineEdit::returnPressed, this,
            [this] { applyLabel(m_labelCombo->currentText()); });

    connect(controller, &BoxEditController::boxesChanged, this, &BoxListPanel::rebuild);
    connect(controller, &BoxEditController::selectionChanged, this, [this] {
        syncSelectionFromController();
        syncComboFromSelection();
    });
    connect(controller, &BoxEditController::previewChanged, this, &BoxListPanel::showPreview);
    connect(controller->labels(), &BoxLabels::labelsChanged, this, &BoxListPanel::reloadLabels);
    connect(controller->labels(), &BoxLabels::lastUsedChanged, this, [this] { syncComboFromSelection(false); });

    reloadLabels();
    rebuild();
}

BoxListPanel::~BoxListPanel() = default;

void BoxListPanel::reloadLabels()
{
    m_updating = true;
    const QString text = m_labelCombo->currentText();
    m_labelCombo->clear();
    m_labelCombo->addItems(m_controller->labels()->labels());
    m_labelCombo->setCurrentText(text);
    m_updating = false;
    syncComboFromSelection(false);
}

void BoxListPanel::rebuild()
{
    m_updating = true;
    const auto &boxes = m_controller->boxes();
    // Update in place while the count stays (a drag refreshes on every mouse move).
    while (m_list->topLevelItemCount() > int(boxes.size()))
        delete m_list->takeTopLevelItem(m_list->topLevelItemCount() - 1);
    for (int i = 0; i < int(boxes.size()); ++i) {
        QTreeWidgetItem *item = m_list->topLevelItem(i);
        if (!item) {
            item = new QTreeWidgetItem;
            m_list->addTopLevelItem(item);
        }
        const QString label = QString::fromStdString(boxes[size_t(i)].label);
        if (item->text(0) != label)
            item->setText(0, label);
        const QString rect = rectText(m_controller->boxRect(i));
        if (item->text(1) != rect)
            item->setText(1, rect);
    }
    m_updating = false;
    syncSelectionFromController();
    syncComboFromSelection(false);

    const bool editable = m_controller->canEdit();
    m_list->setEnabled(editable);
    m_labelCombo->setEnabled(editable);
    if (!m_controller->errorText().isEmpty())
        m_status->setText(m_controller->errorText());
    else if (m_controller->image().isEmpty())
        m_status->setText(tr("No image."));
    else if (boxes.empty())
        m_status->setText(tr("No boxes. Press B in the viewer and drag to draw one."));
    else
        m_status->setText(tr("Click a box to select it, drag to move, drag a handle to resize; "
                             "arrows nudge, Tab cycles, Del deletes."));
    showPreview(m_controller->previewText());
}

void BoxListPanel::showPreview(const QString &text)
{
    m_preview->setText(text);
    m_preview->setCursorPosition(0);  // the start, not the end, of a long line
    // Escaped: a tooltip starting with "<" could be taken for rich text.
    m_preview->setToolTip(text.isEmpty() ? tr("The <OD> text the record will be saved with")
                                         : QStringLiteral("<p>%1</p>").arg(text.toHtmlEscaped()));
}

void BoxListPanel::syncSelectionFromController()
{
    m_updating = true;
    const int index = m_controller->selectedBox();
    QTreeWidgetItem *item = index >= 0 ? m_list->topLevelItem(index) : nullptr;
    if (item) {
        m_list->setCurrentItem(item);
        m_list->scrollToItem(item);
    } else {
        m_list->clearSelection();
    }
    m_updating = false;
}

void BoxListPanel::syncComboFromSelection(bool force)
{
    if (m_updating || (!force && m_labelCombo->lineEdit()->hasFocus()))
        return;
    m_updating = true;
    const int index = m_controller->selectedBox();
    const auto &boxes = m_controller->boxes();
    const QString label = index >= 0 && size_t(index) < boxes.size()
        ? QString::fromStdString(boxes[size_t(index)].label)
        : m_controller->newBoxLabel();
    if (m_labelCombo->currentText() != label)
        m_labelCombo->setCurrentText(label);
    m_updating = false;
}

void BoxListPanel::applyLabel(const QString &label)
{
    if (m_updating || label.trimmed().isEmpty())
        return;
    if (m_controller->selectedBox() >= 0)
        m_controller->relabelSelected(label);
    else
        m_controller->setNewBoxLabel(label);
}

} // namespace fmw::ui
