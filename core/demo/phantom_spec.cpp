#include "demo/phantom_spec.h"

#include <algorithm>
#include <array>

namespace fmw::demo {

namespace {

enum Kind { Nodule, Effusion, Cardiomegaly, Pneumothorax, Ett, CentralLine, Pacemaker, KindCount };

// Relative frequencies of the finding kinds.
constexpr std::array<int, KindCount> kKindWeights = {3, 3, 2, 2, 1, 1, 1};

Side drawSide(DemoRng &rng) { return rng.below(2) == 0 ? Side::Right : Side::Left; }
Side other(Side s) { return s == Side::Right ? Side::Left : Side::Right; }

// Places the nodule inside its zone, clear of the heart (at its enlarged size, so the position
// does not depend on cardiomegaly), of a pneumothorax gap and of pleural fluid.
void placeNodule(PhantomSpec &spec, double tv, double td)
{
    const NoduleFinding &n = *spec.findings.nodule;
    const ThoraxGeometry geo(spec.anatomy, true);
    const AnatomyParams &a = spec.anatomy;
    const FindingGeometry &g = spec.geometry;
    const double r = g.noduleRadius;
    const double zoneTop = a.apexY + 0.05;
    const double zoneHeight = (a.domeTopY[sideIndex(n.side)] - 0.02 - zoneTop) / 3.0;
    const int zi = n.zone == Zone::Upper ? 0 : n.zone == Zone::Middle ? 1 : 2;
    const double v = zoneTop + zoneHeight * (zi + 0.25 + 0.5 * tv);
    const bool ptx = spec.findings.pneumothorax == n.side;
    const bool fluid = spec.findings.effusion && spec.findings.effusion->side == n.side;

    constexpr int kSteps = 48;
    std::array<double, kSteps + 1> ds{};
    int good = 0;
    double bestMargin = -1.0;
    double bestD = 0.2;
    for (int i = 0; i <= kSteps; ++i) {
        const double d = 0.03 + 0.36 * i / kSteps;
        double m = std::min(geo.lungMargin(n.side, d, v - r, ptx ? g.pneumothoraxGap : 0.0),
                            geo.lungMargin(n.side, d, v + r, ptx ? g.pneumothoraxGap : 0.0));
        const double heart = std::max(geo.heartExtent(n.side, v),
                                      std::max(geo.heartExtent(n.side, v - r), geo.heartExtent(n.side, v + r)));
        m = std::min(m, d - heart);
        if (fluid)
            m = std::min(m, geo.meniscus(n.side, d, v, g.effusionLateralLevel, g.effusionMedialLevel)
                                - 0.03 - v);
        if (m > bestMargin) {
            bestMargin = m;
            bestD = d;
        }
        if (m >= r + 0.012) {
            ds[good] = d;
            ++good;
        }
    }
    const double d = good > 0 ? ds[std::min(good - 1, int(td * good))] : bestD;
    spec.geometry.noduleX = a.midlineX + sideSign(n.side) * d;
    spec.geometry.noduleY = v;
}

} // namespace

DemoFindings drawFindings(DemoRng &rng)
{
    const int roll = rng.below(100);
    const int count = roll < 30 ? 0 : roll < 65 ? 1 : roll < 85 ? 2 : 3;
    std::array<int, KindCount> weights = kKindWeights;
    std::array<bool, KindCount> chosen{};
    for (int k = 0; k < count; ++k) {
        int total = 0;
        for (int w : weights)
            total += w;
        int pick = rng.below(total);
        for (int i = 0; i < KindCount; ++i) {
            if (pick < weights[i]) {
                chosen[i] = true;
                weights[i] = 0;
                break;
            }
            pick -= weights[i];
        }
    }

    // Attributes are drawn for every kind so the stream is the same whatever was chosen.
    NoduleFinding nodule;
    nodule.side = drawSide(rng);
    nodule.zone = static_cast<Zone>(rng.below(3));
    nodule.size = rng.below(2) == 0 ? Extent::Small : Extent::Large;
    EffusionFinding effusion;
    effusion.side = drawSide(rng);
    effusion.size = rng.below(2) == 0 ? Extent::Small : Extent::Large;
    Side pneumothorax = drawSide(rng);
    const Side centralLine = drawSide(rng);

    DemoFindings f;
    if (chosen[Effusion])
        f.effusion = effusion;
    if (chosen[Pneumothorax]) {
        if (f.effusion && f.effusion->side == pneumothorax)
            pneumothorax = other(pneumothorax);
        f.pneumothorax = pneumothorax;
    }
    if (chosen[Nodule]) {
        if (f.effusion && f.effusion->size == Extent::Large && f.effusion->side == nodule.side)
            nodule.side = other(nodule.side);
        f.nodule = nodule;
    }
    f.cardiomegaly = chosen[Cardiomegaly];
    f.endotrachealTube = chosen[Ett];
    if (chosen[CentralLine])
        f.centralLine = centralLine;
    f.pacemaker = chosen[Pacemaker];
    return f;
}

PhantomSpec drawPhantomSpec(const DemoFindings &findings, DemoRng &rng)
{
    PhantomSpec s;
    s.findings = findings;
    AnatomyParams &a = s.anatomy;
    a.midlineX = 0.5 + rng.uniform(-0.012, 0.012);
    a.thoraxHalfWidth = rng.uniform(0.335, 0.37);
    a.apexY = rng.uniform(0.085, 0.115);
    a.domeTopY[0] = rng.uniform(0.57, 0.63);
    a.domeTopY[1] = a.domeTopY[0] + rng.uniform(0.01, 0.035);
    a.costophrenicY[0] = a.domeTopY[0] + rng.uniform(0.10, 0.13);
    a.costophrenicY[1] = a.domeTopY[1] + rng.uniform(0.10, 0.13);
    a.heartHalfHeight = rng.uniform(0.105, 0.12);
    a.heartCenterY = a.domeTopY[1] - rng.uniform(0.06, 0.08);
    a.normalCtr = rng.uniform(0.40, 0.46);
    a.enlargedCtr = rng.uniform(0.58, 0.65);
    a.carinaY = rng.uniform(0.28, 0.32);
    a.ribSpacing = rng.uniform(0.053, 0.06);
    a.ribStartY = a.apexY + rng.uniform(-0.005, 0.01);
    a.clavicleY = a.apexY + rng.uniform(0.045, 0.065);
    a.tissue = rng.uniform(0.58, 0.66);
    a.lucency = rng.uniform(0.36, 0.42);

    FindingGeometry &g = s.geometry;
    const Extent noduleSize = findings.nodule ? findings.nodule->size : Extent::Small;
    g.noduleRadius = noduleSize == Extent::Small ? rng.uniform(0.024, 0.03) : rng.uniform(0.042, 0.052);
    const Extent effusionSize = findings.effusion ? findings.effusion->size : Extent::Small;
    const Side effusionSide = findings.effusion ? findings.effusion->side : Side::Right;
    const double cp = a.costophrenicY[sideIndex(effusionSide)];
    const double dome = a.domeTopY[sideIndex(effusionSide)];
    if (effusionSize == Extent::Small) {
        // A thin layer over the diaphragm that rises in the lateral recess: the angle is blunted.
        g.effusionLateralLevel = cp - rng.uniform(0.13, 0.16);
        g.effusionMedialLevel = dome + rng.uniform(0.0, 0.02);
    } else {
        g.effusionLateralLevel = rng.uniform(0.36, 0.42);
        g.effusionMedialLevel = dome - rng.uniform(0.08, 0.11);
    }
    g.pneumothoraxGap = rng.uniform(0.04, 0.07);
    g.ettTipY = a.carinaY - rng.uniform(0.04, 0.07);
    const double noduleTv = rng.uniform();
    const double noduleTd = rng.uniform();
    if (findings.nodule)
        placeNodule(s, noduleTv, noduleTd);

    s.vesselSeed = rng.next();
    s.noiseSeed = rng.next();
    s.noiseSigma = rng.uniform(0.008, 0.013);
    return s;
}

} // namespace fmw::demo
