#include "ui/image_status_bar.h"

#include "imaging/image_types.h"

#include <QLabel>

#include <cmath>

namespace fmw::ui {

ImageStatusBar::ImageStatusBar(QWidget *parent) : QStatusBar(parent)
{
    setObjectName(QStringLiteral("statusBar"));
    m_pixel = addField(QStringLiteral("statusPixel"), tr("Pixel under the cursor: stored value and modality value"));
    m_size = addField(QStringLiteral("statusImageSize"), tr("Image size in pixels"));
    m_bits = addField(QStringLiteral("statusBits"), tr("Bits stored / allocated"));
    m_photometric = addField(QStringLiteral("statusPhotometric"), tr("Photometric interpretation"));
    m_window = addField(QStringLiteral("statusWindow"), tr("Window centre / width (right-drag to change, R to reset)"));
    m_zoom = addField(QStringLiteral("statusZoom"), tr("Zoom"));
    m_pixel->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("(0000, 0000)  stored 000000  value -000000.0")));
    setImageInfo(nullptr);
}

QLabel *ImageStatusBar::addField(const QString &objectName, const QString &toolTip)
{
    auto *label = new QLabel(this);
    label->setObjectName(objectName);
    label->setToolTip(toolTip);
    label->setContentsMargins(8, 0, 8, 0);
    addPermanentWidget(label);
    return label;
}

QString ImageStatusBar::formatValue(double value)
{
    if (std::isfinite(value) && value == std::floor(value) && std::abs(value) < 1e15)
        return QString::number(qint64(value));
    return QString::number(value, 'g', 6);
}

void ImageStatusBar::setImageInfo(const imaging::ImageMetadata *meta)
{
    const bool shown = meta != nullptr;
    m_hasImage = shown;
    for (QLabel *l : {m_size, m_bits, m_photometric, m_window, m_zoom})
        l->setVisible(shown);
    clearPixel();
    if (!meta)
        return;
    m_size->setText(QStringLiteral("%1 × %2").arg(meta->width).arg(meta->height));
    QString bits = meta->bitsStored == meta->bitsAllocated
                       ? tr("%1-bit").arg(meta->bitsStored)
                       : tr("%1 of %2 bits").arg(meta->bitsStored).arg(meta->bitsAllocated);
    if (meta->isSigned)
        bits += tr(" signed");
    m_bits->setText(bits);
    QString photometric = meta->photometric;
    if (meta->frames > 1)
        photometric += tr(" · frame 1 of %1").arg(meta->frames);
    m_photometric->setText(photometric);
    m_showModality = meta->rescaleSlope != 1.0 || meta->rescaleIntercept != 0.0;
}

void ImageStatusBar::setWindow(double center, double width)
{
    m_window->setText(tr("C %1  W %2").arg(formatValue(std::round(center * 10) / 10),
                                             formatValue(std::round(width * 10) / 10)));
}

void ImageStatusBar::setZoom(double zoom)
{
    m_zoom->setText(tr("%1%").arg(zoom * 100.0, 0, 'f', zoom < 0.1 ? 1 : 0));
}

void ImageStatusBar::setPixel(const QPoint &imagePos, double stored, double modality)
{
    QString text = tr("(%1, %2)  stored %3").arg(imagePos.x()).arg(imagePos.y()).arg(formatValue(stored));
    if (m_showModality)
        text += tr("  modality %1").arg(formatValue(modality));
    m_pixel->setText(text);
}

void ImageStatusBar::clearPixel()
{
    m_pixel->setText(m_hasImage ? tr("Wheel: zoom   Drag: pan   Right-drag: window/level")
                                         : QString());
}

} // namespace fmw::ui
