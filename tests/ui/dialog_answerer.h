#pragma once
// Answers the next message box named `name` with `button` as soon as it is shown, and
// remembers its text. Event driven: no polling, no sleeps.

#include <QApplication>
#include <QEvent>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>

#include <utility>

namespace fmwtest {

class DialogAnswerer : public QObject {
public:
    DialogAnswerer(QString name, QMessageBox::StandardButton button) : m_name(std::move(name)), m_button(button)
    {
        qApp->installEventFilter(this);
    }
    ~DialogAnswerer() override { qApp->removeEventFilter(this); }

    int shown = 0;
    QString text;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        auto *box = qobject_cast<QMessageBox *>(watched);
        if (event->type() == QEvent::Show && box && box->objectName() == m_name) {
            ++shown;
            text = box->text() + QLatin1Char('\n') + box->informativeText();
            const QMessageBox::StandardButton button = m_button;
            QTimer::singleShot(0, box, [box, button] { box->button(button)->click(); });
        }
        return false;
    }

private:
    QString m_name;
    QMessageBox::StandardButton m_button;
};

} // namespace fmwtest
