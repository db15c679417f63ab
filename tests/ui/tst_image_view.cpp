// ImageView: window/level drag re-renders from the stored values (16-bit PNG and DICOM),
// invert, wheel zoom about the cursor, fit and 1:1, pan, pixel value under the cursor, and
// boxes drawn where the <OD> bins say.

#include "ui_test_data.h"

#include "imaging/image_loader.h"
#include "imaging/image_renderer.h"
#include "ui/image_view.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using fmw::ui::ImageView;

namespace {

// Sends one mouse event with an explicit button state (QTest's mouseMove does not carry
// the buttons of a drag on every platform).
void sendMouse(QWidget *w, QEvent::Type type, const QPointF &pos, Qt::MouseButton button,
               Qt::MouseButtons buttons)
{
    QMouseEvent event(type, pos, w->mapToGlobal(pos), button, buttons, Qt::NoModifier);
    QCoreApplication::sendEvent(w, &event);
}

void drag(QWidget *w, Qt::MouseButton button, const QPointF &from, const QPointF &to)
{
    sendMouse(w, QEvent::MouseButtonPress, from, button, button);
    sendMouse(w, QEvent::MouseMove, (from + to) / 2, Qt::NoButton, button);
    sendMouse(w, QEvent::MouseMove, to, Qt::NoButton, button);
    sendMouse(w, QEvent::MouseButtonRelease, to, button, Qt::NoButton);
}

} // namespace

class TestImageView : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void windowLevelDragChangesPixels_data();
    void windowLevelDragChangesPixels();
    void resetWindowRestoresDefault();
    void invertFlipsPixels();
    void wheelZoomKeepsPointUnderCursor();
    void fitAndActualSize();
    void panMovesImage_data();
    void panMovesImage();
    void pixelValueUnderCursor();
    void boxesDrawnAtTheirPixels();
    void emptyViewShowsMessage();
    void editingIsOffByDefault();

private:
    std::shared_ptr<const fmw::imaging::DecodedImage> load(const QString &name);

    QTemporaryDir m_dir;
    // A child of a plain window: a child's resize is delivered at once, a window's is not.
    std::unique_ptr<QWidget> m_window;
    ImageView *m_view = nullptr;
};

void TestImageView::initTestCase()
{
    QVERIFY(m_dir.isValid());
    fmwtest::writeGray16Png(m_dir.filePath(QStringLiteral("gray16.png")), 200, 160, 3);
    fmwtest::writeDicom(m_dir.filePath(QStringLiteral("mono2.dcm")), 120, 100, false, 1);
    fmwtest::writeDicom(m_dir.filePath(QStringLiteral("mono1.dcm")), 120, 100, true, 2);
}

void TestImageView::init()
{
    m_window = std::make_unique<QWidget>();
    m_window->resize(900, 700);
    m_view = new ImageView(m_window.get());
    m_view->setGeometry(0, 0, 400, 320);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestImageView::cleanup()
{
    m_window.reset();
    m_view = nullptr;
}

std::shared_ptr<const fmw::imaging::DecodedImage> TestImageView::load(const QString &name)
{
    auto decoded = fmw::imaging::loadImage(m_dir.filePath(name));
    if (!decoded)
        qFatal("cannot decode %s: %s", qPrintable(name), decoded.error().toString().c_str());
    return std::make_shared<const fmw::imaging::DecodedImage>(std::move(decoded).value());
}

void TestImageView::windowLevelDragChangesPixels_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QPointF>("delta");
    QTest::newRow("16-bit PNG, narrower and brighter") << "gray16.png" << QPointF(-80, -40);
    QTest::newRow("16-bit PNG, wider") << "gray16.png" << QPointF(120, 0);
    QTest::newRow("DICOM MONOCHROME2") << "mono2.dcm" << QPointF(-100, 30);
    QTest::newRow("DICOM MONOCHROME1") << "mono1.dcm" << QPointF(-100, 30);
}

void TestImageView::windowLevelDragChangesPixels()
{
    QFETCH(QString, file);
    QFETCH(QPointF, delta);
    const auto image = load(file);
    m_view->setImage(image, file);
    const fmw::imaging::Window before = m_view->window();
    QCOMPARE(before, fmw::imaging::defaultWindow(*image));
    const QImage renderedBefore = m_view->renderedImage().copy();
    const QImage shownBefore = m_view->grab().toImage();
    QSignalSpy windowSpy(m_view, &ImageView::windowChanged);

    const QPointF start(200, 160);
    drag(m_view, Qt::RightButton, start, start + delta);

    const fmw::imaging::Window after = m_view->window();
    QVERIFY(m_view->hasWindowOverride());
    QVERIFY(windowSpy.count() >= 1);
    QCOMPARE(windowSpy.last().at(0).toDouble(), after.center);
    QCOMPARE(windowSpy.last().at(1).toDouble(), after.width);
    // Horizontal = width, vertical = centre, proportional to the default width.
    const double perPixel = before.width / 256.0;
    QVERIFY(qFuzzyCompare(after.width, std::max(1.0, before.width + delta.x() * perPixel)));
    QVERIFY(qFuzzyCompare(after.center + 1.0, before.center + delta.y() * perPixel + 1.0));

    // The display image is re-rendered from the stored values with that window...
    fmw::imaging::DisplaySettings settings;
    settings.window = after;
    QCOMPARE(m_view->renderedImage(), fmw::imaging::render(*image, settings));
    QVERIFY(m_view->renderedImage() != renderedBefore);
    // ... and the pixels on screen change.
    QVERIFY(m_view->grab().toImage() != shownBefore);
}

void TestImageView::resetWindowRestoresDefault()
{
    const auto image = load(QStringLiteral("gray16.png"));
    m_view->setImage(image);
    const QImage original = m_view->renderedImage().copy();
    drag(m_view, Qt::RightButton, QPointF(100, 100), QPointF(30, 60));
    QVERIFY(m_view->renderedImage() != original);
    m_view->resetWindow();
    QVERIFY(!m_view->hasWindowOverride());
    QCOMPARE(m_view->renderedImage(), original);
}

void TestImageView::invertFlipsPixels()
{
    const auto image = load(QStringLiteral("gray16.png"));
    m_view->setImage(image);
    const QImage normal = m_view->renderedImage().convertToFormat(QImage::Format_Grayscale8);
    QSignalSpy inverted(m_view, &ImageView::invertedChanged);
    m_view->setInverted(true);
    QCOMPARE(inverted.count(), 1);
    const QImage flipped = m_view->renderedImage().convertToFormat(QImage::Format_Grayscale8);
    QCOMPARE(flipped.size(), normal.size());
    for (const QPoint p : {QPoint(0, 0), QPoint(100, 80), QPoint(199, 159), QPoint(60, 20)})
        QCOMPARE(qGray(flipped.pixel(p)), 255 - qGray(normal.pixel(p)));
}

void TestImageView::wheelZoomKeepsPointUnderCursor()
{
    m_view->setImage(load(QStringLiteral("gray16.png")));
    const double fit = m_view->zoom();
    const QPointF cursor(130, 90);
    const QPointF imagePoint = m_view->mapToImage(cursor);
    QSignalSpy zoomed(m_view, &ImageView::zoomChanged);
    QWheelEvent wheel(cursor, m_view->mapToGlobal(cursor), QPoint(), QPoint(0, 240), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(m_view, &wheel);
    QCOMPARE(zoomed.count(), 1);
    QVERIFY(qFuzzyCompare(m_view->zoom(), fit * 1.25 * 1.25));
    const QPointF after = m_view->mapToImage(cursor);
    QVERIFY(std::abs(after.x() - imagePoint.x()) < 1e-6);
    QVERIFY(std::abs(after.y() - imagePoint.y()) < 1e-6);
    QVERIFY(!m_view->isFitMode());
}

void TestImageView::fitAndActualSize()
{
    m_view->setImage(load(QStringLiteral("gray16.png")));  // 200x160 in a 400x320 view
    QVERIFY(m_view->isFitMode());
    QVERIFY(qFuzzyCompare(m_view->zoom(), 0.98 * 2.0));
    m_view->zoomToActualSize();
    QCOMPARE(m_view->zoom(), 1.0);
    m_view->resize(800, 320);
    QCOMPARE(m_view->zoom(), 1.0);  // 1:1 survives a resize
    m_view->fitToWindow();
    QVERIFY(qFuzzyCompare(m_view->zoom(), 0.98 * 2.0));
    m_view->resize(200, 200);  // fit follows the window
    QVERIFY(qFuzzyCompare(m_view->zoom(), 0.98 * 1.0));
    // The image is centred.
    const QPointF centre = m_view->mapFromImage(QPointF(100, 80));
    QVERIFY(std::abs(centre.x() - 100) < 1e-6 && std::abs(centre.y() - 100) < 1e-6);
}

void TestImageView::panMovesImage_data()
{
    QTest::addColumn<int>("button");
    QTest::newRow("left drag") << int(Qt::LeftButton);
    QTest::newRow("middle drag") << int(Qt::MiddleButton);
}

void TestImageView::panMovesImage()
{
    QFETCH(int, button);
    m_view->setImage(load(QStringLiteral("gray16.png")));
    const QPointF origin = m_view->mapFromImage(QPointF(0, 0));
    drag(m_view, Qt::MouseButton(button), QPointF(150, 150), QPointF(180, 110));
    const QPointF moved = m_view->mapFromImage(QPointF(0, 0));
    QCOMPARE(moved - origin, QPointF(30, -40));
    QVERIFY(!m_view->hasWindowOverride());
}

void TestImageView::pixelValueUnderCursor()
{
    const auto image = load(QStringLiteral("gray16.png"));
    m_view->setImage(image);
    QSignalSpy moved(m_view, &ImageView::cursorMoved);
    QSignalSpy left(m_view, &ImageView::cursorLeft);
    const QPointF pos = m_view->mapFromImage(QPointF(100.5, 80.5));
    sendMouse(m_view, QEvent::MouseMove, pos, Qt::NoButton, Qt::NoButton);
    QCOMPARE(moved.count(), 1);
    QCOMPARE(moved.first().at(0).toPoint(), QPoint(100, 80));
    double stored = 0;
    double modality = 0;
    QVERIFY(fmw::imaging::pixelValue(*image, 100, 80, &stored, &modality));
    QCOMPARE(moved.first().at(1).toDouble(), stored);
    QCOMPARE(moved.first().at(2).toDouble(), modality);
    QCOMPARE(stored, double(image->pixels.at<quint16>(80, 100)));

    sendMouse(m_view, QEvent::MouseMove, QPointF(1, 1), Qt::NoButton, Qt::NoButton);  // outside the image
    QCOMPARE(left.count(), 1);
}

void TestImageView::boxesDrawnAtTheirPixels()
{
    m_view->setImage(load(QStringLiteral("gray16.png")));
    m_view->zoomToActualSize();
    const QImage plain = m_view->grab().toImage();
    const QRectF box(QPointF(40, 30), QPointF(120, 90));
    m_view->setBoxes({{QStringLiteral("nodule"), box}});
    const QImage boxed = m_view->grab().toImage();
    const qreal dpr = boxed.devicePixelRatio();
    // The left edge of the box, half-way down: coloured (the image is gray).
    const QPointF edge = m_view->mapFromImage(QPointF(box.left(), box.center().y()));
    const QColor onEdge = boxed.pixelColor((edge * dpr).toPoint());
    QVERIFY2(onEdge.saturation() > 100, qPrintable(onEdge.name()));
    QCOMPARE(plain.pixelColor((edge * dpr).toPoint()).saturation(), 0);
    // The inside of the box is untouched.
    const QPoint inside = (m_view->mapFromImage(box.center()) * dpr).toPoint();
    QCOMPARE(boxed.pixelColor(inside), plain.pixelColor(inside));
}

void TestImageView::emptyViewShowsMessage()
{
    m_view->setImage(load(QStringLiteral("gray16.png")));
    m_view->clearImage(QStringLiteral("Loading"));
    QVERIFY(!m_view->hasImage());
    QCOMPARE(m_view->message(), QStringLiteral("Loading"));
    QVERIFY(m_view->renderedImage().isNull());
    m_view->zoomIn();  // harmless without an image
    const QImage shot = m_view->grab().toImage();
    QCOMPARE(shot.pixelColor(2, 2), QColor(20, 21, 24));
}

void TestImageView::editingIsOffByDefault()
{
    // Without setEditable() the view only shows boxes: a left drag over one pans, keys pass.
    m_view->setImage(load(QStringLiteral("gray16.png")));
    const QRectF box(QPointF(40, 30), QPointF(120, 90));
    m_view->setBoxes({{QStringLiteral("nodule"), box}});
    QVERIFY(!m_view->isEditable());
    const QPointF origin = m_view->mapFromImage(QPointF(0, 0));
    const QPointF centre = m_view->mapFromImage(box.center());
    QSignalSpy edited(m_view, &ImageView::boxEdited);
    drag(m_view, Qt::LeftButton, centre, centre + QPointF(20, 10));
    QCOMPARE(m_view->mapFromImage(QPointF(0, 0)) - origin, QPointF(20, 10));
    QCOMPARE(m_view->selectedBox(), -1);
    QCOMPARE(edited.count(), 0);
    m_view->setDrawMode(true);
    QVERIFY(!m_view->isDrawMode());
    QTest::keyClick(m_view, Qt::Key_B);
    QVERIFY(!m_view->isDrawMode());

    // Editable: a click selects, Esc clears, B toggles draw mode.
    m_view->setEditable(true);
    QSignalSpy selected(m_view, &ImageView::selectionChanged);
    const QPointF moved = m_view->mapFromImage(box.center());
    sendMouse(m_view, QEvent::MouseButtonPress, moved, Qt::LeftButton, Qt::LeftButton);
    sendMouse(m_view, QEvent::MouseButtonRelease, moved, Qt::LeftButton, Qt::NoButton);
    QCOMPARE(m_view->selectedBox(), 0);
    QCOMPARE(selected.count(), 1);
    QTest::keyClick(m_view, Qt::Key_Escape);
    QCOMPARE(m_view->selectedBox(), -1);
    QTest::keyClick(m_view, Qt::Key_B);
    QVERIFY(m_view->isDrawMode());
    m_view->setEditable(false);
    QVERIFY(!m_view->isDrawMode());
}

QTEST_MAIN(TestImageView)
#include "tst_image_view.moc"
