// Viewer extras: the chest window preset actions (objectNames, Alt+1/2/3, applied to the
// ImageView as computed by imaging::chestPresetWindow, HU windows for CT) and the DICOM tag
// panel (read off the GUI thread, PHI hidden until revealed and hidden again on the next
// image, "Not a DICOM file" for PNG, errors naming the file, stale reads dropped).

#include "ui_test_data.h"

#include "imaging/image_loader.h"
#include "imaging/window_presets.h"
#include "ui/dicom_tag_panel.h"
#include "ui/image_view.h"
#include "ui/window_preset_actions.h"

#include <QAction>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QtTest/QtTest>

using fmw::imaging::ChestPreset;
using fmw::imaging::DecodedImage;
using fmw::ui::DicomTagPanel;
using fmw::ui::ImageView;
using fmw::ui::WindowPresetActions;

namespace {

std::shared_ptr<const DecodedImage> load(const QString &path)
{
    auto loaded = fmw::imaging::loadImage(path);
    if (!loaded)
        qFatal("cannot load %s: %s", qPrintable(path), loaded.error().toString().c_str());
    return std::make_shared<const DecodedImage>(std::move(loaded).value());
}

// Every cell's text, for checking what the panel shows.
QString tableText(const QTableWidget *table)
{
    QStringList cells;
    for (int row = 0; row < table->rowCount(); ++row)
        for (int column = 0; column < table->columnCount(); ++column)
            cells << table->item(row, column)->text();
    return cells.join(QLatin1Char('\n'));
}

int rowOfKeyword(const QTableWidget *table, const QString &keyword)
{
    for (int row = 0; row < table->rowCount(); ++row)
        if (table->item(row, DicomTagPanel::KeywordColumn)->text() == keyword)
            return row;
    return -1;
}

} // namespace

class TestViewerExtras : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void presetActionsApplyComputedWindows();
    void presetShortcuts();
    void presetsUseHounsfieldForCt();
    void presetWithoutImageDoesNothing();

    void tagPanelHidesPhiUntilRevealed();
    void tagPanelNonDicomAndBroken();
    void tagPanelFilter();
    void tagPanelDropsStaleReads();

private:
    QTemporaryDir m_dir;
    QString m_dicomA, m_dicomB, m_png, m_broken;
};

void TestViewerExtras::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_dicomA = m_dir.filePath(QStringLiteral("a.dcm"));
    m_dicomB = m_dir.filePath(QStringLiteral("b.dcm"));
    m_png = m_dir.filePath(QStringLiteral("c.png"));
    m_broken = m_dir.filePath(QStringLiteral("broken.dcm"));
    fmwtest::writeDicom(m_dicomA, 48, 40, false, 1);
    fmwtest::writeDicom(m_dicomB, 32, 32, true, 2);
    fmwtest::writeGray16Png(m_png, 40, 30, 3);
    fmwtest::writeBytes(m_broken, QByteArray(128, '\0') + "DICM" + QByteArray("\x02\x00\x10\x00UI\xff\x7f", 8));
}

void TestViewerExtras::presetActionsApplyComputedWindows()
{
    ImageView view;
    WindowPresetActions presets({}, &view);
    const QList<QAction *> actions = presets.actions();
    QCOMPARE(actions.size(), 3);
    QCOMPARE(actions[0]->objectName(), QStringLiteral("actionPresetLung"));
    QCOMPARE(actions[1]->objectName(), QStringLiteral("actionPresetMediastinum"));
    QCOMPARE(actions[2]->objectName(), QStringLiteral("actionPresetBone"));
    QMenu menu;
    QMenu *sub = presets.addMenuTo(&menu);
    QCOMPARE(sub->objectName(), QStringLiteral("windowPresetMenu"));
    QCOMPARE(sub->actions(), actions);

    for (const QString &path : {m_dicomA, m_dicomB, m_png}) {
        const auto image = load(path);
        view.setImage(image);
        QVERIFY(!view.hasWindowOverride());
        QSignalSpy changed(&view, &ImageView::windowChanged);
        const QImage before = view.renderedImage();
        for (ChestPreset p : {ChestPreset::Lung, ChestPreset::Mediastinum, ChestPreset::Bone}) {
            presets.action(p)->trigger();
            QCOMPARE(view.window(), *fmw::imaging::chestPresetWindow(*image, p));
            QVERIFY(view.hasWindowOverride());
        }
        QCOMPARE(changed.count(), 3);
        QVERIFY(view.renderedImage() != before);
    }

    // A provider other than the view's own image.
    const auto other = load(m_dicomB);
    view.setImage(load(m_dicomA));
    WindowPresetActions fromProvider([other] { return other; }, &view);
    fromProvider.action(ChestPreset::Bone)->trigger();
    QCOMPARE(view.window(), *fmw::imaging::chestPresetWindow(*other, ChestPreset::Bone));
}

void TestViewerExtras::presetShortcuts()
{
    QWidget window;
    auto *layout = new QVBoxLayout(&window);
    auto *view = new ImageView(&window);
    layout->addWidget(view);
    WindowPresetActions presets({}, view, &window);
    window.addActions(presets.actions());
    QCOMPARE(presets.action(ChestPreset::Lung)->shortcut(), QKeySequence(Qt::ALT | Qt::Key_1));
    QCOMPARE(presets.action(ChestPreset::Mediastinum)->shortcut(), QKeySequence(Qt::ALT | Qt::Key_2));
    QCOMPARE(presets.action(ChestPreset::Bone)->shortcut(), QKeySequence(Qt::ALT | Qt::Key_3));
    QVERIFY(!presets.action(ChestPreset::Lung)->toolTip().isEmpty());

    const auto image = load(m_dicomA);
    view->setImage(image);
    window.resize(400, 300);
    window.show();
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    view->setFocus();
    QTest::keyClick(view, Qt::Key_3, Qt::AltModifier);
    QCOMPARE(view->window(), *fmw::imaging::chestPresetWindow(*image, ChestPreset::Bone));
    QTest::keyClick(view, Qt::Key_1, Qt::AltModifier);
    QCOMPARE(view->window(), *fmw::imaging::chestPresetWindow(*image, ChestPreset::Lung));
}

void TestViewerExtras::presetsUseHounsfieldForCt()
{
    // A CT slice in HU: stored 0..2047 with intercept -1024.
    auto ct = std::make_shared<DecodedImage>();
    ct->meta.isDicom = true;
    ct->meta.format = QStringLiteral("DICOM");
    ct->meta.modality = QStringLiteral("CT");
    ct->meta.photometric = QStringLiteral("MONOCHROME2");
    ct->meta.bitsAllocated = 16;
    ct->meta.bitsStored = 12;
    ct->meta.rescaleIntercept = -1024;
    ct->pixels = cv::Mat(32, 64, CV_16UC1);
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 64; ++x)
            ct->pixels.at<quint16>(y, x) = quint16((x * 32 + y) % 2048);
    ct->meta.width = 64;
    ct->meta.height = 32;
    ImageView view;
    view.setImage(ct);
    WindowPresetActions presets({}, &view);
    presets.action(ChestPreset::Lung)->trigger();
    QCOMPARE(view.window(), (fmw::imaging::Window{-600, 1500}));
    presets.action(ChestPreset::Mediastinum)->trigger();
    QCOMPARE(view.window(), (fmw::imaging::Window{50, 350}));
    presets.action(ChestPreset::Bone)->trigger();
    QCOMPARE(view.window(), (fmw::imaging::Window{400, 1800}));
}

void TestViewerExtras::presetWithoutImageDoesNothing()
{
    ImageView view;
    WindowPresetActions presets({}, &view);
    QSignalSpy changed(&view, &ImageView::windowChanged);
    presets.action(ChestPreset::Lung)->trigger();
    QVERIFY(!presets.apply(ChestPreset::Bone));
    QCOMPARE(changed.count(), 0);
    QVERIFY(!view.hasWindowOverride());
}

void TestViewerExtras::tagPanelHidesPhiUntilRevealed()
{
    DicomTagPanel panel;
    auto *table = panel.findChild<QTableWidget *>(QStringLiteral("dicomTagTable"));
    auto *reveal = panel.findChild<QCheckBox *>(QStringLiteral("revealPhiCheck"));
    QVERIFY(table && reveal);
    panel.resize(500, 600);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QSignalSpy loaded(&panel, &DicomTagPanel::loaded);

    panel.setImage(m_dicomA);
    QVERIFY(panel.isLoading());  // read on a worker, not here
    QVERIFY(loaded.wait(10000));
    QVERIFY(!panel.isLoading());
    QVERIFY(table->rowCount() > 10);
    const int name = rowOfKeyword(table, QStringLiteral("PatientName"));
    const int modality = rowOfKeyword(table, QStringLiteral("Modality"));
    QVERIFY(name >= 0 && modality >= 0);
    QCOMPARE(table->item(name, DicomTagPanel::TagColumn)->text(), QStringLiteral("(0010,0010)"));
    QCOMPARE(table->item(name, DicomTagPanel::VrColumn)->text(), QStringLiteral("PN"));
    QCOMPARE(table->item(name, DicomTagPanel::ValueColumn)->text(), DicomTagPanel::kHiddenText);
    QCOMPARE(table->item(modality, DicomTagPanel::ValueColumn)->text(), QStringLiteral("DX"));
    // Hidden means absent from every cell and tooltip, not just that one.
    QVERIFY(!tableText(table).contains(QStringLiteral("DEMO^SYNTHETIC")));
    QVERIFY(!table->item(name, DicomTagPanel::ValueColumn)->toolTip().contains(QStringLiteral("DEMO")));
    QVERIFY(reveal->isEnabled());
    QVERIFY(!reveal->isChecked());
    QVERIFY(panel.message().contains(QStringLiteral("PHI")));

    QTest::mouseClick(reveal, Qt::LeftButton, {}, QPoint(6, reveal->height() / 2));
    QVERIFY(panel.isPhiRevealed());
    QCOMPARE(table->item(name, DicomTagPanel::ValueColumn)->text(), QStringLiteral("DEMO^SYNTHETIC"));
    QCOMPARE(table->item(modality, DicomTagPanel::ValueColumn)->text(), QStringLiteral("DX"));

    // The next image starts hidden again.
    panel.setImage(m_dicomB);
    QVERIFY(!reveal->isChecked());
    QVERIFY(loaded.wait(10000));
    QVERIFY(!reveal->isChecked());
    const int nameB = rowOfKeyword(table, QStringLiteral("PatientName"));
    QCOMPARE(table->item(nameB, DicomTagPanel::ValueColumn)->text(), DicomTagPanel::kHiddenText);
    QVERIFY(!tableText(table).contains(QStringLiteral("DEMO^SYNTHETIC")));
    // ... even when it is the same file shown again later.
    panel.setPhiRevealed(true);
    QVERIFY(tableText(table).contains(QStringLiteral("DEMO^SYNTHETIC")));
    panel.setImage(m_dicomA);
    QVERIFY(loaded.wait(10000));
    QVERIFY(!panel.isPhiRevealed());
    QVERIFY(!tableText(table).contains(QStringLiteral("DEMO^SYNTHETIC")));
    // The same path again is not a new image: nothing reloads.
    const int before = int(loaded.count());
    panel.setImage(m_dicomA);
    QVERIFY(!panel.isLoading());
    QCOMPARE(loaded.count(), before);
}

void TestViewerExtras::tagPanelNonDicomAndBroken()
{
    DicomTagPanel panel;
    auto *table = panel.findChild<QTableWidget *>(QStringLiteral("dicomTagTable"));
    auto *message = panel.findChild<QLabel *>(QStringLiteral("dicomTagMessage"));
    auto *reveal = panel.findChild<QCheckBox *>(QStringLiteral("revealPhiCheck"));
    QVERIFY(table && message && reveal);
    QSignalSpy loaded(&panel, &DicomTagPanel::loaded);

    panel.setImage(m_png);
    QVERIFY(loaded.wait(10000));
    QCOMPARE(panel.message(), QStringLiteral("Not a DICOM file"));
    QCOMPARE(table->rowCount(), 0);
    QVERIFY(!reveal->isEnabled());

    panel.setImage(m_broken);
    QVERIFY(loaded.wait(10000));
    QVERIFY2(panel.message().contains(QStringLiteral("broken.dcm")), qPrintable(panel.message()));
    QCOMPARE(table->rowCount(), 0);

    panel.setImage(QString());
    QCOMPARE(panel.message(), QStringLiteral("No image"));
}

void TestViewerExtras::tagPanelFilter()
{
    DicomTagPanel panel;
    auto *table = panel.findChild<QTableWidget *>(QStringLiteral("dicomTagTable"));
    auto *filter = panel.findChild<QLineEdit *>(QStringLiteral("dicomTagFilter"));
    QVERIFY(table && filter);
    QSignalSpy loaded(&panel, &DicomTagPanel::loaded);
    panel.setImage(m_dicomA);
    QVERIFY(loaded.wait(10000));
    const auto visibleKeywords = [table] {
        QStringList out;
        for (int row = 0; row < table->rowCount(); ++row)
            if (!table->isRowHidden(row))
                out << table->item(row, DicomTagPanel::KeywordColumn)->text();
        return out;
    };
    QTest::keyClicks(filter, QStringLiteral("modality"));
    QVERIFY(visibleKeywords().contains(QStringLiteral("Modality")));
    QVERIFY(!visibleKeywords().contains(QStringLiteral("PatientName")));
    // A hidden value cannot be found by typing it.
    filter->setText(QStringLiteral("SYNTHETIC^"));
    QVERIFY(!visibleKeywords().contains(QStringLiteral("PatientName")));
    filter->setText(QStringLiteral("0010,0010"));
    QCOMPARE(visibleKeywords(), QStringList{QStringLiteral("PatientName")});
    filter->clear();
    QCOMPARE(visibleKeywords().size(), table->rowCount());
}

void TestViewerExtras::tagPanelDropsStaleReads()
{
    DicomTagPanel panel;
    auto *table = panel.findChild<QTableWidget *>(QStringLiteral("dicomTagTable"));
    QSignalSpy loaded(&panel, &DicomTagPanel::loaded);
    // Quick switching: only the last image's result is shown.
    panel.setImage(m_dicomA);
    panel.setImage(m_dicomB);
    panel.setImage(m_png);
    QVERIFY(loaded.wait(10000));
    QCOMPARE(panel.imagePath(), m_png);
    QCOMPARE(panel.message(), QStringLiteral("Not a DICOM file"));
    // Let the earlier reads finish: they change nothing.
    QThreadPool::globalInstance()->waitForDone();
    QCoreApplication::processEvents();
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(table->rowCount(), 0);
    QCOMPARE(panel.message(), QStringLiteral("Not a DICOM file"));
}

QTEST_MAIN(TestViewerExtras)
#include "tst_viewer_extras.moc"
