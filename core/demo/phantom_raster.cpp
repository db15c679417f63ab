#include "demo/phantom_raster.h"

#include <algorithm>
#include <cmath>

namespace fmw::demo {

std::vector<PointN> quadraticCurve(PointN a, PointN c, PointN b, int segments)
{
    std::vector<PointN> pts;
    pts.reserve(segments + 1);
    for (int i = 0; i <= segments; ++i) {
        const double t = double(i) / segments;
        const double s = 1.0 - t;
        pts.push_back({s * s * a.u + 2 * s * t * c.u + t * t * b.u,
                       s * s * a.v + 2 * s * t * c.v + t * t * b.v});
    }
    return pts;
}

void strokePath(Layer &layer, const std::vector<PointN> &path, double width0, double width1,
                double density0, double density1, Blend blend)
{
    if (path.size() < 2)
        return;
    const int size = layer.cols;
    const double px = 1.0 / size;

    std::vector<double> along(path.size(), 0.0);  // arc length at each vertex
    for (size_t i = 1; i < path.size(); ++i) {
        const double du = path[i].u - path[i - 1].u;
        const double dv = path[i].v - path[i - 1].v;
        along[i] = along[i - 1] + std::sqrt(du * du + dv * dv);
    }
    const double total = along.back() > 0 ? along.back() : 1.0;

    // Bounding box of the whole stroke in pixels; the stroke's own maximum goes here first.
    double minU = path[0].u, maxU = minU, minV = path[0].v, maxV = minV;
    for (const PointN &p : path) {
        minU = std::min(minU, p.u);
        maxU = std::max(maxU, p.u);
        minV = std::min(minV, p.v);
        maxV = std::max(maxV, p.v);
    }
    const double reach = std::max(width0, width1) / 2 + 2 * px;
    const int x0 = std::max(0, int(std::floor((minU - reach) * size)));
    const int x1 = std::min(size - 1, int(std::ceil((maxU + reach) * size)));
    const int y0 = std::max(0, int(std::floor((minV - reach) * size)));
    const int y1 = std::min(layer.rows - 1, int(std::ceil((maxV + reach) * size)));
    if (x0 > x1 || y0 > y1)
        return;
    Layer local(y1 - y0 + 1, x1 - x0 + 1, 0.0f);

    for (size_t i = 1; i < path.size(); ++i) {
        const PointN a = path[i - 1], b = path[i];
        const double eu = b.u - a.u, ev = b.v - a.v;
        const double len2 = eu * eu + ev * ev;
        const double segReach = std::max(width0, width1) / 2 + 2 * px;
        const int sx0 = std::max(x0, int(std::floor((std::min(a.u, b.u) - segReach) * size)));
        const int sx1 = std::min(x1, int(std::ceil((std::max(a.u, b.u) + segReach) * size)));
        const int sy0 = std::max(y0, int(std::floor((std::min(a.v, b.v) - segReach) * size)));
        const int sy1 = std::min(y1, int(std::ceil((std::max(a.v, b.v) + segReach) * size)));
        for (int y = sy0; y <= sy1; ++y) {
            const double v = (y + 0.5) * px;
            for (int x = sx0; x <= sx1; ++x) {
                const double u = (x + 0.5) * px;
                double t = len2 > 0 ? ((u - a.u) * eu + (v - a.v) * ev) / len2 : 0.0;
                t = std::min(1.0, std::max(0.0, t));
                const double cu = a.u + t * eu - u, cv = a.v + t * ev - v;
                const double dist = std::sqrt(cu * cu + cv * cv);
                const double s = (along[i - 1] + t * (along[i] - along[i - 1])) / total;
                double width = width0 + (width1 - width0) * s;
                double density = density0 + (density1 - density0) * s;
                if (width < px) {
                    density *= width / px;
                    width = px;
                }
                const double value = density * coverage(width / 2 - dist, px);
                float &cell = local(y - y0, x - x0);
                if (std::fabs(value) > std::fabs(double(cell)))
                    cell = float(value);
            }
        }
    }
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x)
            layer(y, x) = blend == Blend::Add ? layer(y, x) + local(y - y0, x - x0)
                                              : std::max(layer(y, x), local(y - y0, x - x0));
}

namespace {

void boxPass(const Layer &src, Layer &dst, int r, bool horizontal)
{
    const int rows = src.rows, cols = src.cols;
    const float scale = 1.0f / float(2 * r + 1);
    for (int y = 0; y < rows; ++y) {
        for (int x = 0; x < cols; ++x) {
            float sum = 0;
            for (int k = -r; k <= r; ++k) {
                if (horizontal)
                    sum += src(y, std::min(cols - 1, std::max(0, x + k)));
                else
                    sum += src(std::min(rows - 1, std::max(0, y + k)), x);
            }
            dst(y, x) = sum * scale;
        }
    }
}

} // namespace

void smooth(Layer &layer, int radius)
{
    if (radius <= 0)
        return;
    Layer tmp(layer.rows, layer.cols);
    for (int pass = 0; pass < 2; ++pass) {
        boxPass(layer, tmp, radius, true);
        boxPass(tmp, layer, radius, false);
    }
}

} // namespace fmw::demo
