#pragma once
// The shapes of a synthetic PA chest radiograph in normalised image coordinates (u right,
// v down, both 0..1): lungs, diaphragm domes, heart, pleural fluid and the collapsed lung of a
// pneumothorax. Shared by the sample drawer (to place findings) and the renderer (to draw).
// Only + - * / and sqrt are used, so every platform computes the same values.

#include "demo/demo_findings.h"

namespace fmw::demo {

// Per-patient anatomy, drawn from the seeded stream.
struct AnatomyParams {
    double midlineX = 0.5;
    double thoraxHalfWidth = 0.36;   // midline to the inner chest wall at the bases
    double apexY = 0.13;             // top of the lung apices
    double domeTopY[2] = {0.60, 0.62};       // highest point of each hemidiaphragm (right, left)
    double costophrenicY[2] = {0.72, 0.74};  // lateral costophrenic angles
    double heartCenterY = 0.57;
    double heartHalfHeight = 0.11;          // minor semi-axis of the tilted heart
    double normalCtr = 0.44;         // cardiothoracic ratio without cardiomegaly
    double enlargedCtr = 0.60;       // and with it
    double carinaY = 0.30;
    double ribStartY = 0.13;
    double ribSpacing = 0.058;
    double clavicleY = 0.14;
    double tissue = 0.62;            // soft tissue density at the midline
    double lucency = 0.40;           // how much darker aerated lung is
};

// Per-finding geometry, drawn for every sample whether or not the finding is present, so the
// random stream (and therefore the rest of the image) does not depend on which findings exist.
struct FindingGeometry {
    double noduleX = 0, noduleY = 0, noduleRadius = 0;  // resolved centre and radius
    double effusionLateralLevel = 0;   // fluid top at the chest wall
    double effusionMedialLevel = 0;    // fluid top at the mediastinum
    double pneumothoraxGap = 0;        // apical/lateral pleural gap
    double ettTipY = 0;
};

inline int sideIndex(Side side) { return side == Side::Right ? 0 : 1; }
// Patient right is on the image's left in a PA view.
inline double sideSign(Side side) { return side == Side::Right ? -1.0 : 1.0; }

class ThoraxGeometry {
public:
    ThoraxGeometry(const AnatomyParams &anatomy, bool cardiomegaly);

    const AnatomyParams &anatomy() const { return m_a; }

    // Distance of the inner chest wall / the mediastinal border from the midline at height v.
    double lateral(double v) const;
    double medial(Side side, double v) const;
    // Upper lung border and hemidiaphragm height at distance d from the midline.
    double top(double d) const;
    double base(Side side, double d) const;

    // Signed distance-like margin of (d, v) inside the lung on `side` (positive inside).
    // `gap` > 0 shrinks the lung from the apex and the chest wall (pneumothorax).
    double lungMargin(Side side, double d, double v, double gap = 0) const;
    // The pleural gap profile of a pneumothorax: full at the apex, none at the base.
    double gapAt(double v, double gap) const;

    // Heart: an ellipse tilted with its apex down and to the patient's left, placed mostly
    // left of the midline. heartHalfWidth() is half its horizontal extent (CTR x thorax / 2).
    double heartCenterX() const;
    double heartHalfWidth() const { return m_heartHalfWidth; }
    double heartMargin(double u, double v) const;  // positive inside
    // Horizontal extent of the heart on `side`, measured from the midline, at height v (0 if none).
    double heartExtent(Side side, double v) const;

    // Top of pleural fluid at distance d (the meniscus climbs the chest wall).
    double meniscus(Side side, double d, double v, double lateralLevel, double medialLevel) const;

private:
    AnatomyParams m_a;
    double m_heartHalfWidth;
    // Implicit form A x^2 + B x y + C y^2 = 1 of the tilted heart ellipse around its centre.
    double m_hA = 0, m_hB = 0, m_hC = 0;
    double m_heartMinorAxis = 0;
};

} // namespace fmw::demo
