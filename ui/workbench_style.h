#pragma once
// The workbench's look: Fusion with a neutral dark palette (images are read against a dark
// surround), one readable UI font, and the application icon.

class QApplication;

namespace fmw::ui {

void applyWorkbenchStyle(QApplication &app);

} // namespace fmw::ui
