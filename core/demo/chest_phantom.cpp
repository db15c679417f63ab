#include "demo/chest_phantom.h"

#include "demo/finding_text.h"
#include "demo/phantom_raster.h"
#include "demo/thorax_geometry.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace fmw::demo {

namespace {

constexpr int kRibs = 10;

double clamp01(double x) { return std::min(1.0, std::max(0.0, x)); }

// Fraction of a unit interval; floor keeps it exact.
double fract(double x) { return x - std::floor(x); }

// Soft tissue thickness of the trunk at (du, v): neck and sloping shoulders at the top,
// thinner towards the sides.
double bodyThickness(const AnatomyParams &a, double du, double v, double px)
{
    const double half = a.thoraxHalfWidth + 0.085;
    const double d = std::fabs(du);
    const double neck = 0.1;
    const double shoulderTop = d < neck ? -1.0 : 0.02 + 1.5 * (d - neck) * (d - neck);
    const double x = d / half;
    const double profile = 0.6 + 0.4 * std::sqrt(std::max(0.0, 1.0 - x * x));
    return a.tissue * profile * coverage(half - d, 2 * px) * coverage(v - shoulderTop, 2 * px);
}

// Posterior and anterior ribs and the spine, evaluated at one pixel.
double bones(const AnatomyParams &a, const ThoraxGeometry &geo, double du, double v, double px)
{
    const double d = std::fabs(du);
    double sum = 0;
    for (int i = 0; i < kRibs; ++i) {
        const double y0 = a.ribStartY + i * a.ribSpacing;
        // Posterior rib: rises briefly from the spine, then curves down along the chest wall,
        // widening as it goes; the upper ribs are more sharply curved.
        const double curv = i == 0 ? 3.2 : i == 1 ? 2.3 : 1.6;
        const double x = d - 0.035;
        if (x > -0.01) {
            const double h = 0.009 + 0.012 * std::max(0.0, x);
            const double vc = y0 - 0.12 * x + curv * x * x;
            const double dv = std::fabs(v - vc);
            if (dv < h + px) {
                const double t = dv / h;
                const double end = coverage(geo.lateral(vc) + 0.025 - d, 4 * px) * coverage(x, 3 * px);
                sum += (0.04 + 0.035 * t * t * t * t) * coverage(h - dv, px) * end;
            }
        }
        // Anterior rib: from the chest wall down towards the sternum, fainter.
        const double ya = y0 + 0.06;
        const double lat = geo.lateral(ya) + 0.02;
        const double xa = lat - d;
        if (xa > -0.01 && d > 0.08) {
            const double h = 0.011;
            const double vc = ya + 1.2 * xa * xa;
            const double dv = std::fabs(v - vc);
            if (dv < h + px)
                sum += 0.022 * coverage(h - dv, px) * coverage(xa, 3 * px) * coverage(d - 0.1, 8 * px);
        }
    }
    // Vertebral bodies with darker disc spaces, and brighter pedicles at their sides.
    if (d < 0.035) {
        const double s = fract((v - a.ribStartY) / a.ribSpacing);
        const double disc = s > 0.84 ? 0.35 : 1.0;
        sum += 0.05 * disc * coverage(0.028 - d, px);
        const double pu = (d - 0.021) / 0.006, pv = (s - 0.35) / 0.16;
        if (pu * pu + pv * pv < 1.0)
            sum += 0.025;
    }
    return sum;
}

// Lung markings: vessels branching from each hilum towards the periphery.
void drawMarkings(Layer &layer, const PhantomSpec &spec)
{
    const AnatomyParams &a = spec.anatomy;
    const ThoraxGeometry geo(a, false);
    DemoRng rng(spec.vesselSeed);
    for (Side side : {Side::Right, Side::Left}) {
        const double s = sideSign(side);
        const PointN hilum{a.midlineX + s * 0.09, a.carinaY + 0.09};
        // Hilar vessels: a dense vertical band where the markings start.
        strokePath(layer, {{hilum.u - s * 0.01, hilum.v - 0.045}, {hilum.u + s * 0.005, hilum.v + 0.05}},
                   0.03, 0.022, 0.09, 0.07, Blend::Max);
        for (int k = 0; k < 22; ++k) {
            double d = 0, v = 0;
            for (int attempt = 0; attempt < 8; ++attempt) {
                d = rng.uniform(0.07, 0.36);
                v = rng.uniform(a.apexY + 0.02, a.domeTopY[sideIndex(side)] + 0.08);
                if (geo.lungMargin(side, d, v) > 0.01)
                    break;
            }
            const PointN start{hilum.u + 0.012 * rng.gaussian(), hilum.v + 0.025 * rng.gaussian()};
            const PointN target{a.midlineX + s * d, v};
            const PointN mid{(start.u + target.u) / 2 + 0.025 * rng.gaussian(),
                             (start.v + target.v) / 2 + 0.025 * rng.gaussian()};
            strokePath(layer, quadraticCurve(start, mid, target, 12), 0.011, 0.002, 0.085, 0.012,
                       Blend::Max);
            for (int b = 0; b < 2; ++b) {
                const double at = rng.uniform(0.35, 0.75);
                const PointN from{start.u + at * (target.u - start.u), start.v + at * (target.v - start.v)};
                const PointN to{from.u + s * 0.05 * (1.0 + rng.gaussian()) * 0.7,
                                from.v + 0.06 * rng.gaussian()};
                strokePath(layer, {from, to}, 0.006 * (1.0 - at) + 0.002, 0.0015, 0.05 * (1.0 - at) + 0.015,
                           0.01, Blend::Max);
            }
        }
    }
}

// Slowly varying lung texture: a coarse grid of random values, smoothly interpolated.
Layer parenchymaTexture(const PhantomSpec &spec, int size)
{
    constexpr int kGrid = 14;
    DemoRng rng(mixSeed(spec.vesselSeed, 1));
    double grid[kGrid + 1][kGrid + 1];
    for (auto &row : grid)
        for (double &g : row)
            g = rng.gaussian();
    Layer tex(size, size);
    for (int y = 0; y < size; ++y) {
        const double gy = (y + 0.5) * kGrid / size;
        const int iy = std::min(kGrid - 1, int(gy));
        double fy = gy - iy;
        fy = fy * fy * (3 - 2 * fy);
        for (int x = 0; x < size; ++x) {
            const double gx = (x + 0.5) * kGrid / size;
            const int ix = std::min(kGrid - 1, int(gx));
            double fx = gx - ix;
            fx = fx * fx * (3 - 2 * fx);
            const double top = grid[iy][ix] + (grid[iy][ix + 1] - grid[iy][ix]) * fx;
            const double bottom = grid[iy + 1][ix] + (grid[iy + 1][ix + 1] - grid[iy + 1][ix]) * fx;
            tex(y, x) = float(top + (bottom - top) * fy);
        }
    }
    return tex;
}

// Parts that are not findings of their own but are boxed separately: the pacemaker's box is
// its generator, not the leads that cross the chest.
struct RenderParts {
    bool pacemakerGenerator = true;
};

// Clavicles, airway and support devices: everything drawn as strokes on top of the chest.
void drawOverlay(Layer &layer, const PhantomSpec &spec, const RenderParts &parts)
{
    const AnatomyParams &a = spec.anatomy;
    const DemoFindings &f = spec.findings;
    const double cx = a.midlineX;
    for (double s : {-1.0, 1.0}) {
        const double y = a.clavicleY;
        strokePath(layer,
                   quadraticCurve({cx + s * 0.035, y + 0.05}, {cx + s * 0.2, y - 0.04},
                                  {cx + s * 0.32, y - 0.045}, 16),
                   0.028, 0.02, 0.12, 0.09);
    }
    // Trachea and main bronchi: air columns, darker than the mediastinum.
    strokePath(layer, {{cx, -0.02}, {cx, a.carinaY}}, 0.036, 0.032, -0.10, -0.09);
    strokePath(layer, {{cx, a.carinaY - 0.01}, {cx - 0.07, a.carinaY + 0.06}}, 0.022, 0.016, -0.08, -0.05);
    strokePath(layer, {{cx, a.carinaY - 0.01}, {cx + 0.075, a.carinaY + 0.075}}, 0.022, 0.016, -0.08, -0.05);

    if (f.endotrachealTube) {
        // Tube wall, faint, with its radiopaque stripe (wide enough to survive 128 px).
        const double tip = spec.geometry.ettTipY;
        strokePath(layer, {{cx + 0.003, -0.02}, {cx + 0.002, tip}}, 0.034, 0.034, 0.12, 0.12);
        strokePath(layer, {{cx + 0.01, -0.02}, {cx + 0.009, tip}}, 0.016, 0.016, 0.4, 0.4);
    }
    if (f.centralLine) {
        const double s = sideSign(*f.centralLine);
        const double y = a.clavicleY;
        std::vector<PointN> path = quadraticCurve({cx + s * 0.33, y + 0.035}, {cx + s * 0.1, y + 0.03},
                                                  {cx - 0.04, y + 0.13}, 16);
        path.push_back({cx - 0.045, a.carinaY + 0.08});
        strokePath(layer, path, 0.012, 0.012, 0.35, 0.35);
    }
    if (f.pacemaker) {
        const ThoraxGeometry normal(a, false);
        const PointN gen{cx + 0.25, a.clavicleY + 0.07};
        std::vector<PointN> lead = quadraticCurve({gen.u - 0.03, gen.v}, {cx + 0.1, a.clavicleY + 0.03},
                                                  {cx - 0.035, a.carinaY + 0.02}, 12);
        const std::vector<PointN> lower =
            quadraticCurve({cx - 0.035, a.carinaY + 0.02}, {cx - 0.03, a.heartCenterY + 0.02},
                           {normal.heartCenterX() + 0.4 * normal.heartHalfWidth(),
                            a.heartCenterY + 0.55 * a.heartHalfHeight}, 14);
        lead.insert(lead.end(), lower.begin() + 1, lower.end());
        strokePath(layer, lead, 0.007, 0.006, 0.3, 0.3);
        if (parts.pacemakerGenerator) {
            // A rounded metal can with a denser connector block.
            strokePath(layer, {{gen.u - 0.025, gen.v}, {gen.u + 0.025, gen.v}}, 0.07, 0.07, 0.7, 0.7);
            strokePath(layer, {{gen.u - 0.022, gen.v - 0.028}, {gen.u + 0.012, gen.v - 0.028}}, 0.018,
                       0.018, 0.2, 0.2);
        }
    }
}

// Maps summed density to display brightness: air nearly black, bone and metal white; the
// curve flattens towards white like a film's shoulder.
float display(double density)
{
    const double x = std::max(0.0, density);
    return float(clamp01(0.03 + 1.5 * x / (1.0 + 0.45 * x)));
}

cv::Mat render(const PhantomSpec &spec, int size, const RenderParts &parts)
{
    const AnatomyParams &a = spec.anatomy;
    const DemoFindings &f = spec.findings;
    const FindingGeometry &g = spec.geometry;
    const ThoraxGeometry geo(a, f.cardiomegaly);
    const double px = 1.0 / size;

    Layer markings(size, size, 0.0f);
    drawMarkings(markings, spec);
    const Layer texture = parenchymaTexture(spec, size);
    Layer overlay(size, size, 0.0f);
    drawOverlay(overlay, spec, parts);

    Layer out(size, size);
    for (int y = 0; y < size; ++y) {
        const double v = (y + 0.5) * px;
        for (int x = 0; x < size; ++x) {
            const double u = (x + 0.5) * px;
            const double du = u - a.midlineX;
            const Side side = du < 0 ? Side::Right : Side::Left;
            const double d = std::fabs(du);

            const double lungMargin = geo.lungMargin(side, d, v);
            const double lung = coverage(lungMargin, px);
            // Aeration fades towards the lung edges, where the chest wall curves into view.
            const double depth = 0.75 + 0.25 * clamp01(lungMargin / 0.04);
            const double heart = coverage(geo.heartMargin(u, v), px);
            double aerated = lung;  // lung that still holds parenchyma and markings
            double gap = 0;         // pneumothorax: pleural air without lung
            double pleuralLine = 0;
            if (f.pneumothorax == side) {
                const double collapsedMargin = geo.lungMargin(side, d, v, g.pneumothoraxGap);
                aerated = coverage(collapsedMargin, px);
                gap = std::max(0.0, lung - aerated);
                if (geo.gapAt(v, g.pneumothoraxGap) > 2 * px)
                    pleuralLine = coverage(std::max(px, 0.003) / 2 - std::fabs(collapsedMargin), px) * lung;
            }
            double fluid = 0;
            if (f.effusion && f.effusion->side == side) {
                const double top = geo.meniscus(side, d, v, g.effusionLateralLevel, g.effusionMedialLevel);
                fluid = clamp01((v - top) / 0.025);
            }

            const double open = (1.0 - heart) * (1.0 - fluid);
            // Lower zones look denser: more soft tissue (breasts, pectorals) in front of them.
            const double lower = clamp01((v - a.apexY) / (a.costophrenicY[0] - a.apexY));
            const double apical = clamp01((a.apexY + 0.08 - v) / 0.08);
            double density = bodyThickness(a, du, v, px);
            density -= a.lucency * depth * lung * open;
            density -= 0.05 * gap * open;  // no lung tissue in the pleural air
            density += (0.03 + 0.06 * lower + 0.05 * apical + 0.012 * texture(y, x)) * aerated * open;
            density += markings(y, x) * aerated * (1.0 - 0.7 * heart) * (1.0 - fluid);
            density += 0.09 * pleuralLine * open;
            // Bone stands out against aerated lung and fades behind dense soft tissue.
            density += bones(a, geo, du, v, px) * (0.35 + 0.65 * lung * open);

            // Gastric air bubble under the left hemidiaphragm.
            const double bu = (u - (a.midlineX + 0.16)) / 0.045;
            const double bv = (v - (a.domeTopY[1] + 0.06)) / 0.022;
            if (bu * bu + bv * bv < 1.0)
                density -= 0.1 * (1.0 - bu * bu - bv * bv);

            if (f.nodule) {
                const double nu = u - g.noduleX, nv = v - g.noduleY;
                const double r = std::sqrt(nu * nu + nv * nv);
                const double radius = g.noduleRadius;
                if (r < radius + px) {
                    // Projected thickness of a sphere.
                    const double q = std::min(1.0, r / radius);
                    const double amp = f.nodule->size == Extent::Small ? 0.2 : 0.22;
                    density += amp * (0.35 + 0.65 * std::sqrt(1.0 - q * q)) * coverage(radius - r, px);
                }
            }
            density += overlay(y, x);
            out(y, x) = display(density);
        }
    }
    smooth(out, size >= 384 ? 1 : 0);
    return out;
}

// Bounding box of the pixels that differ by more than kBoxThreshold; false if none do.
bool differenceBox(const cv::Mat &a, const cv::Mat &b, loc::BoxPx *box)
{
    int x0 = a.cols, y0 = a.rows, x1 = -1, y1 = -1;
    for (int y = 0; y < a.rows; ++y) {
        const float *pa = a.ptr<float>(y);
        const float *pb = b.ptr<float>(y);
        for (int x = 0; x < a.cols; ++x) {
            if (std::fabs(pa[x] - pb[x]) > kBoxThreshold) {
                x0 = std::min(x0, x);
                x1 = std::max(x1, x);
                y0 = std::min(y0, y);
                y1 = std::max(y1, y);
            }
        }
    }
    if (x1 < 0)
        return false;
    *box = {float(x0), float(y0), float(x1 + 1), float(y1 + 1)};
    return true;
}

} // namespace

cv::Mat renderPhantomClean(const PhantomSpec &spec, int size)
{
    return render(spec, size, RenderParts());
}

PhantomImage renderPhantom(const PhantomSpec &spec, int size)
{
    PhantomImage result;
    const cv::Mat clean = renderPhantomClean(spec, size);

    // Each present finding, in impression order, with the edit that removes what its box holds.
    struct Removal {
        bool present;
        const char *label;
        std::function<void(DemoFindings &, RenderParts &)> remove;
    };
    const DemoFindings &f = spec.findings;
    const Removal removals[] = {
        {bool(f.pneumothorax), kLabelPneumothorax, [](DemoFindings &x, RenderParts &) { x.pneumothorax.reset(); }},
        {bool(f.effusion), kLabelEffusion, [](DemoFindings &x, RenderParts &) { x.effusion.reset(); }},
        {bool(f.nodule), kLabelNodule, [](DemoFindings &x, RenderParts &) { x.nodule.reset(); }},
        {f.cardiomegaly, kLabelCardiomegaly, [](DemoFindings &x, RenderParts &) { x.cardiomegaly = false; }},
        {f.endotrachealTube, kLabelEndotrachealTube,
         [](DemoFindings &x, RenderParts &) { x.endotrachealTube = false; }},
        {bool(f.centralLine), kLabelCentralLine, [](DemoFindings &x, RenderParts &) { x.centralLine.reset(); }},
        {f.pacemaker, kLabelPacemaker, [](DemoFindings &, RenderParts &p) { p.pacemakerGenerator = false; }},
    };
    for (const Removal &r : removals) {
        if (!r.present)
            continue;
        PhantomSpec without = spec;
        RenderParts parts;
        r.remove(without.findings, parts);
        loc::BoxPx box{};
        if (differenceBox(clean, render(without, size, parts), &box))
            result.boxes.push_back({r.label, box});
    }

    // Quantum noise on top of the clean image.
    result.image = clean.clone();
    DemoRng noise(spec.noiseSeed);
    for (int y = 0; y < size; ++y) {
        float *row = result.image.ptr<float>(y);
        for (int x = 0; x < size; ++x)
            row[x] = float(clamp01(row[x] + spec.noiseSigma * noise.gaussian()));
    }
    return result;
}

} // namespace fmw::demo
