#include "ui/window_preset_actions.h"

#include "ui/image_view.h"

#include <QAction>
#include <QMenu>

namespace fmw::ui {

WindowPresetActions::WindowPresetActions(ImageProvider currentImage, ImageView *view, QObject *parent)
    : QObject(parent), m_currentImage(std::move(currentImage)), m_view(view)
{
    using imaging::ChestPreset;
    struct Spec {
        ChestPreset preset;
        const char *objectName;
        QString text;
        QString tip;
        Qt::Key key;
    };
    const Spec specs[] = {
        {ChestPreset::Lung, "actionPresetLung", tr("&Lung Window"),
         tr("CT: W1500 L-600. Radiographs: the darker part of the body's values (lung fields)"), Qt::Key_1},
        {ChestPreset::Mediastinum, "actionPresetMediastinum", tr("&Mediastinum Window"),
         tr("CT: W350 L50. Radiographs: mid-to-bright soft tissue (heart, mediastinum)"), Qt::Key_2},
        {ChestPreset::Bone, "actionPresetBone", tr("&Bone Window"),
         tr("CT: W1800 L400. Radiographs: the brightest values (ribs, clavicles, spine)"), Qt::Key_3},
    };
    for (const Spec &s : specs) {
        auto *action = new QAction(s.text, this);
        action->setObjectName(QString::fromLatin1(s.objectName));
        action->setShortcut(QKeySequence(Qt::ALT | s.key));
        action->setToolTip(s.tip);
        action->setStatusTip(s.tip);
        action->setData(int(s.preset));
        const ChestPreset preset = s.preset;
        connect(action, &QAction::triggered, this, [this, preset] { apply(preset); });
        m_actions << action;
    }
}

QAction *WindowPresetActions::action(imaging::ChestPreset preset) const
{
    for (QAction *a : m_actions)
        if (a->data().toInt() == int(preset))
            return a;
    return nullptr;
}

QMenu *WindowPresetActions::addMenuTo(QMenu *menu) const
{
    QMenu *sub = menu->addMenu(tr("Window &Presets"));
    sub->setObjectName(QStringLiteral("windowPresetMenu"));
    sub->addActions(m_actions);
    return sub;
}

bool WindowPresetActions::apply(imaging::ChestPreset preset)
{
    if (!m_view)
        return false;
    const std::shared_ptr<const imaging::DecodedImage> image = m_currentImage ? m_currentImage() : m_view->image();
    if (!image)
        return false;
    const std::optional<imaging::Window> window = imaging::chestPresetWindow(*image, preset);
    if (!window)
        return false;
    m_view->setWindow(*window);
    emit applied(preset, *window);
    return true;
}

} // namespace fmw::ui
