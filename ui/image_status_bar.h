#pragma once
// ImageStatusBar: the facts a reader checks while looking at an image: size, bits,
// photometric interpretation, the window in effect, zoom, and the stored (and modality)
// value of the pixel under the cursor.

#include <QStatusBar>

class QLabel;

namespace fmw::imaging {
struct ImageMetadata;
}

namespace fmw::ui {

class ImageStatusBar : public QStatusBar {
    Q_OBJECT
public:
    explicit ImageStatusBar(QWidget *parent = nullptr);

    // nullptr: no image shown.
    void setImageInfo(const imaging::ImageMetadata *meta);
    void setWindow(double center, double width);
    void setZoom(double zoom);
    void setPixel(const QPoint &imagePos, double stored, double modality);
    void clearPixel();

    // "1023", "-24.5": integers without decimals, otherwise up to 6 significant digits.
    static QString formatValue(double value);

private:
    QLabel *addField(const QString &objectName, const QString &toolTip);

    QLabel *m_size;
    QLabel *m_bits;
    QLabel *m_photometric;
    QLabel *m_window;
    QLabel *m_zoom;
    QLabel *m_pixel;
    bool m_showModality = false;
    bool m_hasImage = false;
};

} // namespace fmw::ui
