#include "demo/thorax_geometry.h"

#include <algorithm>
#include <cmath>

namespace fmw::demo {

namespace {

// Lung apex lies about halfway out; the dome peaks a little more laterally.
constexpr double kApexD = 0.15;
constexpr double kApexCurvature = 4.0;
constexpr double kDomePeakFraction = 0.48;

double clamp01(double x) { return std::min(1.0, std::max(0.0, x)); }

} // namespace

// Heart tilt of 25 degrees, as constants so no platform's cos/sin enters the pixels.
constexpr double kHeartCos = 0.90630778703665;
constexpr double kHeartSin = 0.42261826174070;

ThoraxGeometry::ThoraxGeometry(const AnatomyParams &anatomy, bool cardiomegaly)
    : m_a(anatomy),
      m_heartHalfWidth((cardiomegaly ? anatomy.enlargedCtr : anatomy.normalCtr) * anatomy.thoraxHalfWidth)
{
    // Minor semi-axis b from the anatomy; major semi-axis a so that the horizontal half extent
    // sqrt(a^2 cos^2 + b^2 sin^2) equals the half width the cardiothoracic ratio asks for.
    const double b = anatomy.heartHalfHeight;
    const double a2 = std::max(b * b, (m_heartHalfWidth * m_heartHalfWidth - b * b * kHeartSin * kHeartSin)
                                          / (kHeartCos * kHeartCos));
    const double b2 = b * b;
    m_hA = kHeartCos * kHeartCos / a2 + kHeartSin * kHeartSin / b2;
    m_hB = 2.0 * kHeartCos * kHeartSin * (1.0 / a2 - 1.0 / b2);
    m_hC = kHeartSin * kHeartSin / a2 + kHeartCos * kHeartCos / b2;
    m_heartMinorAxis = b;
}

double ThoraxGeometry::lateral(double v) const
{
    // Rounded upper chest: narrow at the apex, full width from a little above mid-lung down.
    const double t = clamp01((v - m_a.apexY) / (0.55 * (m_a.costophrenicY[0] - m_a.apexY)));
    return m_a.thoraxHalfWidth * (0.55 + 0.45 * std::sqrt(t * (2.0 - t)));
}

double ThoraxGeometry::medial(Side side, double v) const
{
    // Superior vena cava on the right; on the left the aortic knob and, below it, the
    // pulmonary trunk bulge into the lung.
    if (side == Side::Right)
        return 0.055;
    const double knob = (v - (m_a.carinaY - 0.03)) / 0.04;
    const double trunk = (v - (m_a.carinaY + 0.06)) / 0.035;
    return 0.06 + 0.035 * std::max(0.0, 1.0 - knob * knob) + 0.015 * std::max(0.0, 1.0 - trunk * trunk);
}

double ThoraxGeometry::top(double d) const
{
    const double x = d - kApexD;
    return m_a.apexY + kApexCurvature * x * x;
}

double ThoraxGeometry::base(Side side, double d) const
{
    const int i = sideIndex(side);
    const double peak = kDomePeakFraction * m_a.thoraxHalfWidth;
    const double span = m_a.thoraxHalfWidth - peak;
    const double k = (m_a.costophrenicY[i] - m_a.domeTopY[i]) / (span * span);
    const double x = d - peak;
    return m_a.domeTopY[i] + k * x * x;
}

double ThoraxGeometry::gapAt(double v, double gap) const
{
    const double end = m_a.domeTopY[0] + 0.02;
    return gap * clamp01((end - v) / (end - m_a.apexY));
}

double ThoraxGeometry::lungMargin(Side side, double d, double v, double gap) const
{
    const double g = gap > 0 ? gapAt(v, gap) : 0.0;
    const double mLat = lateral(v) - g - d;
    const double mTop = v - top(d) - 0.8 * g;
    const double mMed = d - medial(side, v);
    const double mBase = base(side, d) - v;
    return std::min(std::min(mLat, mTop), std::min(mMed, mBase));
}

double ThoraxGeometry::heartCenterX() const
{
    return m_a.midlineX + 0.4 * m_heartHalfWidth;
}

double ThoraxGeometry::heartMargin(double u, double v) const
{
    const double x = u - heartCenterX();
    const double y = v - m_a.heartCenterY;
    const double r = std::sqrt(m_hA * x * x + m_hB * x * y + m_hC * y * y);
    return (1.0 - r) * m_heartMinorAxis;
}

double ThoraxGeometry::heartExtent(Side side, double v) const
{
    // Solve A x^2 + (B y) x + (C y^2 - 1) = 0 for the heart's edges on this row.
    const double y = v - m_a.heartCenterY;
    const double p = m_hB * y;
    const double disc = p * p - 4.0 * m_hA * (m_hC * y * y - 1.0);
    if (disc <= 0)
        return 0.0;
    const double root = std::sqrt(disc);
    const double offset = heartCenterX() - m_a.midlineX;
    const double rightEdge = offset + (-p - root) / (2.0 * m_hA);  // most negative u
    const double leftEdge = offset + (-p + root) / (2.0 * m_hA);
    return std::max(0.0, side == Side::Left ? leftEdge : -rightEdge);
}

double ThoraxGeometry::meniscus(Side side, double d, double v, double lateralLevel,
                                double medialLevel) const
{
    const double m = medial(side, v);
    const double t = clamp01((d - m) / (lateral(v) - m));
    return medialLevel - (medialLevel - lateralLevel) * t * t;
}

} // namespace fmw::demo
