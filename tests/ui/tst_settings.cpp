// Settings (QSettings round trip, validation, the dialog), the keyboard shortcut list and the
// About text, through the main window the way a user reaches them.

#include "engine/runtime.h"
#include "ui/box_edit_controller.h"
#include "ui/main_window.h"
#include "ui/settings_dialog.h"
#include "ui/shortcuts_dialog.h"
#include "ui/workbench_settings.h"

#include <QAction>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest/QtTest>

#include <opencv2/core/version.hpp>

using fmw::ui::MainWindow;
using fmw::ui::SettingsDialog;
using fmw::ui::ShortcutsDialog;
using fmw::ui::WorkbenchSettings;

class TestSettings : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void roundTripsThroughQSettings();
    void invalidStoredValuesFallBack();
    void validation_data();
    void validation();
    void dialogBlocksUnrunnableChoices();
    void mainWindowAppliesAndPersists();
    void shortcutListMatchesTheActions();
    void aboutNamesEveryLibraryVersion();

private:
    QTemporaryDir m_settingsDir;
};

void TestSettings::initTestCase()
{
    QVERIFY(m_settingsDir.isValid());
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("fmw-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_settings"));
}

void TestSettings::init() { QSettings().clear(); }

void TestSettings::roundTripsThroughQSettings()
{
    const WorkbenchSettings defaults = WorkbenchSettings::load();
    QCOMPARE(defaults, WorkbenchSettings());

    WorkbenchSettings s;
    s.device = QStringLiteral("cuda");
    s.threads = 3;
    s.precision = QStringLiteral("bf16");
    s.defaultModelFolder = QStringLiteral("/models/florence-2-base-ft");
    s.defaultTask = QStringLiteral("<DETAILED_CAPTION>");
    s.numBeams = 1;
    s.maxNewTokens = 64;
    s.autosaveSeconds = 0;
    s.save();
    QCOMPARE(WorkbenchSettings::load(), s);
    QVERIFY(WorkbenchSettings::load() != WorkbenchSettings());
}

void TestSettings::invalidStoredValuesFallBack()
{
    QSettings raw;
    raw.setValue(QStringLiteral("settings/device"), QStringLiteral("tpu"));
    raw.setValue(QStringLiteral("settings/threads"), -4);
    raw.setValue(QStringLiteral("settings/precision"), QStringLiteral("int8"));
    raw.setValue(QStringLiteral("settings/defaultTask"), QStringLiteral("CAPTION"));
    raw.setValue(QStringLiteral("settings/maxNewTokens"), QStringLiteral("many"));
    raw.setValue(QStringLiteral("settings/numBeams"), 7);
    raw.sync();
    const WorkbenchSettings s = WorkbenchSettings::load();
    const WorkbenchSettings d;
    QCOMPARE(s.device, d.device);
    QCOMPARE(s.threads, d.threads);
    QCOMPARE(s.precision, d.precision);
    QCOMPARE(s.defaultTask, d.defaultTask);
    QCOMPARE(s.maxNewTokens, d.maxNewTokens);
    QCOMPARE(s.numBeams, 7); // the valid one is kept
}

void TestSettings::validation_data()
{
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("precision");
    QTest::addColumn<QString>("task");
    QTest::addColumn<bool>("cuda");
    QTest::addColumn<QString>("problem"); // a word of the message; empty: valid

    QTest::newRow("cpu fp32") << "cpu" << "fp32" << "<CAPTION>" << false << "";
    QTest::newRow("cpu bf16") << "cpu" << "bf16" << "<OD>" << false << "";
    QTest::newRow("cpu fp16") << "cpu" << "fp16" << "<CAPTION>" << true << "fp16";
    QTest::newRow("cuda without a GPU") << "cuda" << "fp32" << "<CAPTION>" << false << "CUDA";
    QTest::newRow("cuda fp16 with a GPU") << "cuda" << "fp16" << "<CAPTION>" << true << "";
    QTest::newRow("task without brackets") << "cpu" << "fp32" << "CAPTION" << false << "task";
    QTest::newRow("two tasks") << "cpu" << "fp32" << "<OD><CAPTION>" << false << "task";
}

void TestSettings::validation()
{
    QFETCH(QString, device);
    QFETCH(QString, precision);
    QFETCH(QString, task);
    QFETCH(bool, cuda);
    QFETCH(QString, problem);
    WorkbenchSettings s;
    s.device = device;
    s.precision = precision;
    s.defaultTask = task;
    const QString message = s.validate(cuda);
    if (problem.isEmpty())
        QVERIFY2(message.isEmpty(), qPrintable(message));
    else
        QVERIFY2(message.contains(problem), qPrintable(message));
}

void TestSettings::dialogBlocksUnrunnableChoices()
{
    WorkbenchSettings start;
    start.threads = 2;
    SettingsDialog dialog(start, /*cudaAvailable=*/false);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *precision = dialog.findChild<QComboBox *>(QStringLiteral("precisionCombo"));
    auto *threads = dialog.findChild<QSpinBox *>(QStringLiteral("threadsSpin"));
    auto *buttons = dialog.findChild<QDialogButtonBox *>(QStringLiteral("settingsButtons"));
    QVERIFY(precision && threads && buttons);
    QPushButton *ok = buttons->button(QDialogButtonBox::Ok);
    QCOMPARE(threads->value(), 2);
    QVERIFY(ok->isEnabled());

    // Choose fp16 with the keyboard: OK greys out and the reason is shown.
    precision->setFocus();
    QTest::keyClick(precision, Qt::Key_End);
    QCOMPARE(precision->currentData().toString(), QStringLiteral("fp16"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.problem().contains(QStringLiteral("fp16")));
    QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("settingsProblemLabel"))->isVisible());

    QTest::keyClick(precision, Qt::Key_Up);
    QCOMPARE(precision->currentData().toString(), QStringLiteral("bf16"));
    QVERIFY(ok->isEnabled());
    threads->setFocus();
    threads->selectAll();
    QTest::keyClicks(threads, QStringLiteral("6"));
    QTest::mouseClick(ok, Qt::LeftButton);
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    const WorkbenchSettings chosen = dialog.settings();
    QCOMPARE(chosen.precision, QStringLiteral("bf16"));
    QCOMPARE(chosen.threads, 6);

    // Restore Defaults resets every field.
    buttons->button(QDialogButtonBox::RestoreDefaults)->click();
    QCOMPARE(dialog.settings(), WorkbenchSettings());
}

void TestSettings::mainWindowAppliesAndPersists()
{
    MainWindow window;
    WorkbenchSettings s = window.settings();
    s.threads = 1;
    s.defaultTask = QStringLiteral("<OD>");
    QSignalSpy changed(&window, &MainWindow::settingsChanged);
    window.applySettings(s);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(fmw::engine::threadCount(), 1);
    QCOMPARE(WorkbenchSettings::load().defaultTask, QStringLiteral("<OD>"));
    MainWindow second; // a new window (next start) reads them back
    QCOMPARE(second.settings(), s);
}

void TestSettings::shortcutListMatchesTheActions()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    int withShortcut = 0;
    for (const QAction *action : window.actions() + window.boxEditor()->actions())
        withShortcut += !action->shortcuts().isEmpty() && !action->text().isEmpty();
    QVERIFY(withShortcut >= 10);

    // F1 opens the list; read it while it is up, then close it.
    int rows = -1;
    QStringList saveKeys;
    bool filtered = false;
    QTimer::singleShot(0, &window, [&] {
        auto *dialog = window.findChild<ShortcutsDialog *>(QStringLiteral("shortcutsDialog"));
        if (!dialog)
            return;
        QTableWidget *table = dialog->table();
        rows = table->rowCount();
        for (int r = 0; r < table->rowCount(); ++r)
            if (table->item(r, 0)->text() == QStringLiteral("Save"))
                saveKeys << table->item(r, 1)->text();
        auto *filter = dialog->findChild<QLineEdit *>(QStringLiteral("shortcutsFilter"));
        QTest::keyClicks(filter, QStringLiteral("zoom"));
        int visible = 0;
        for (int r = 0; r < table->rowCount(); ++r)
            visible += !table->isRowHidden(r);
        filtered = visible == 2; // Zoom In, Zoom Out
        dialog->reject();
    });
    QTest::keyClick(&window, Qt::Key_F1);
    QCOMPARE(rows, withShortcut);
    QCOMPARE(saveKeys, QStringList{QKeySequence(QKeySequence::Save).toString(QKeySequence::NativeText)});
    QVERIFY(filtered);
}

void TestSettings::aboutNamesEveryLibraryVersion()
{
    MainWindow window;
    const QString text = window.aboutText();
    QVERIFY2(text.contains(QStringLiteral("Qt ") + QString::fromLatin1(qVersion())), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("LibTorch ") + QString::fromStdString(fmw::engine::torchVersion())),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("OpenCV " CV_VERSION)), qPrintable(text));
    QVERIFY2(text.contains(QRegularExpression(QStringLiteral("DCMTK 3\\.\\d+\\.\\d+"))), qPrintable(text));
}

QTEST_MAIN(TestSettings)
#include "tst_settings.moc"
