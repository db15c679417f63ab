#pragma once
// Everything that determines one synthetic radiograph: findings, anatomy, finding geometry and
// the seeds of its texture. Drawn from a DemoRng; rendering it is a pure function.

#include "demo/demo_findings.h"
#include "demo/demo_rng.h"
#include "demo/thorax_geometry.h"

#include <cstdint>

namespace fmw::demo {

struct PhantomSpec {
    DemoFindings findings;
    AnatomyParams anatomy;
    FindingGeometry geometry;
    std::uint32_t vesselSeed = 0;  // lung markings
    std::uint32_t noiseSeed = 0;   // quantum noise
    double noiseSigma = 0.012;     // in display units (0..1)
};

// 0..3 findings (support devices count as findings) with their sides, zones and sizes.
// Conflicting combinations are resolved deterministically: a pneumothorax or a nodule on the
// side of a large effusion moves to the other side.
DemoFindings drawFindings(DemoRng &rng);

// Draws anatomy and geometry for `findings` from `rng`. The number of values drawn does not
// depend on the findings.
PhantomSpec drawPhantomSpec(const DemoFindings &findings, DemoRng &rng);

} // namespace fmw::demo
