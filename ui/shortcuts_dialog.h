#pragma once
// ShortcutsDialog: every keyboard shortcut of a window, read from its actions when shown, so
// the list can never drift from what the keys do. Filterable by action name or key.

#include <QDialog>
#include <QList>

class QAction;
class QLineEdit;
class QTableWidget;

namespace fmw::ui {

class ShortcutsDialog : public QDialog {
    Q_OBJECT
public:
    // `actions`: the window's actions (those without a shortcut or text are left out).
    explicit ShortcutsDialog(const QList<QAction *> &actions, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }

private:
    void applyFilter(const QString &text);

    QLineEdit *m_filter;
    QTableWidget *m_table;
};

} // namespace fmw::ui
