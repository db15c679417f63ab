#include "ui/workbench_style.h"

#include <QApplication>
#include <QFontDatabase>
#include <QIcon>
#include <QPalette>
#include <QStyleFactory>

namespace fmw::ui {

namespace {

QPalette darkPalette()
{
    const QColor window(43, 45, 49);
    const QColor base(30, 31, 34);
    const QColor text(222, 224, 228);
    const QColor dim(120, 124, 131);
    const QColor highlight(52, 101, 164);

    QPalette p;
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(48, 50, 55));
    p.setColor(QPalette::ToolTipBase, QColor(52, 54, 59));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, QColor(140, 145, 152));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(52, 54, 59));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(255, 90, 90));
    p.setColor(QPalette::Light, QColor(70, 72, 78));
    p.setColor(QPalette::Midlight, QColor(60, 62, 67));
    p.setColor(QPalette::Mid, QColor(36, 37, 41));
    p.setColor(QPalette::Dark, QColor(24, 25, 28));
    p.setColor(QPalette::Shadow, QColor(10, 10, 12));
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, QColor(255, 255, 255));
    p.setColor(QPalette::Link, QColor(110, 165, 255));
    for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, dim);
    p.setColor(QPalette::Disabled, QPalette::Highlight, QColor(70, 72, 78));
    return p;
}

const char *const kStyleSheet = R"(
QDockWidget::title { padding: 6px 8px; background: #26282c; }
QDockWidget { font-weight: 600; }
QDockWidget > QWidget { font-weight: normal; }
QTabBar::tab { padding: 6px 12px; }
QTabWidget#captionTabs QTabBar::tab { padding: 4px 10px; min-height: 2.4em; }
QStatusBar { background: #232427; }
QStatusBar QLabel { color: #b8bcc3; }
QPlainTextEdit, QLineEdit { border: 1px solid #3a3c42; border-radius: 3px; padding: 3px; }
QPlainTextEdit:focus, QLineEdit:focus { border-color: #3465a4; }
QPlainTextEdit[readOnly="true"] { color: #a9aeb6; }
QMenuBar { background: #2b2d31; }
)";

} // namespace

void applyWorkbenchStyle(QApplication &app)
{
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    app.setPalette(darkPalette());
    const QStringList families = QFontDatabase::families();
    for (const char *candidate : {"Inter", "Noto Sans", "Cantarell", "DejaVu Sans"}) {
        if (families.contains(QLatin1String(candidate))) {
            QFont font{QString::fromLatin1(candidate)};
            font.setPointSizeF(9.5);
            app.setFont(font);
            break;
        }
    }
    app.setStyleSheet(QLatin1String(kStyleSheet));
    app.setWindowIcon(QIcon(QStringLiteral(":/icons/florence-workbench.png")));
}

} // namespace fmw::ui
