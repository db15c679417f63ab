#pragma once
// WindowPresetActions: the View menu's chest window presets (lung, mediastinum, bone) as
// QActions that compute the window for the image shown (imaging::chestPresetWindow) and
// apply it with ImageView::setWindow.
//
// Shortcuts Alt+1, Alt+2, Alt+3, ordered dark to bright: the plain digits are taken (1 is
// Actual Size) and the number row is where PACS viewers put their window presets; Alt keeps
// them clear of the text fields' own keys.

#include "imaging/window_presets.h"

#include <QList>
#include <QObject>

#include <functional>
#include <memory>

class QAction;
class QMenu;
class QWidget;

namespace fmw::imaging {
struct DecodedImage;
}

namespace fmw::ui {

class ImageView;

class WindowPresetActions : public QObject {
    Q_OBJECT
public:
    using ImageProvider = std::function<std::shared_ptr<const imaging::DecodedImage>()>;

    // `currentImage` returns the image shown (nullptr if none); empty: view->image().
    WindowPresetActions(ImageProvider currentImage, ImageView *view, QObject *parent = nullptr);

    // objectNames actionPresetLung, actionPresetMediastinum, actionPresetBone.
    QList<QAction *> actions() const { return m_actions; }
    QAction *action(imaging::ChestPreset preset) const;

    // A "Window &Presets" submenu of `menu` holding the three actions.
    QMenu *addMenuTo(QMenu *menu) const;

    // Applies `preset` to the view; false if no image is shown.
    bool apply(imaging::ChestPreset preset);

signals:
    void applied(imaging::ChestPreset preset, const imaging::Window &window);

private:
    ImageProvider m_currentImage;
    ImageView *m_view;
    QList<QAction *> m_actions;
};

} // namespace fmw::ui
