#pragma once
// BoxListPanel: the "Boxes" dock page: the current image's <OD> boxes (label and pixel rect)
// with the selection synced to the view, a label combo box that relabels the selected box
// (or picks the label for the next new box), draw/duplicate/delete buttons, and a read-only
// preview of the record's `<loc_N>` text that follows every edit live, drags included.

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QTreeWidget;

namespace fmw::ui {

class BoxEditController;

class BoxListPanel : public QWidget {
    Q_OBJECT
public:
    explicit BoxListPanel(BoxEditController *controller, QWidget *parent = nullptr);
    ~BoxListPanel() override;

    QTreeWidget *list() const { return m_list; }
    QComboBox *labelCombo() const { return m_labelCombo; }
    QLineEdit *preview() const { return m_preview; }

private:
    void rebuild();
    void syncSelectionFromController();
    // `force`: also while the user is typing a label (the selection changed under it).
    void syncComboFromSelection(bool force = true);
    void reloadLabels();
    void applyLabel(const QString &label);
    void showPreview(const QString &text);

    BoxEditController *m_controller;
    QTreeWidget *m_list;
    QComboBox *m_labelCombo;
    QLineEdit *m_preview;
    QLabel *m_status;
    bool m_updating = false;  // true while the panel writes into its own widgets
};

} // namespace fmw::ui
