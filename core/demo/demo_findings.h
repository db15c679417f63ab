#pragma once
// What a synthetic chest radiograph shows: the discrete findings the texts are written from.
// Sides are the patient's: on a PA radiograph the patient's right is on the image's left.

#include <optional>

namespace fmw::demo {

enum class Side { Right, Left };
enum class Zone { Upper, Middle, Lower };
enum class Extent { Small, Large };

struct NoduleFinding {
    Side side = Side::Right;
    Zone zone = Zone::Upper;
    Extent size = Extent::Small;
};

struct EffusionFinding {
    Side side = Side::Right;
    Extent size = Extent::Small;
};

struct DemoFindings {
    std::optional<NoduleFinding> nodule;
    std::optional<EffusionFinding> effusion;
    bool cardiomegaly = false;
    std::optional<Side> pneumothorax;
    bool endotrachealTube = false;
    std::optional<Side> centralLine;  // side of the venous access
    bool pacemaker = false;           // always a left chest wall generator

    // Number of findings, support devices included (0..3 in generated samples).
    int count() const
    {
        return int(nodule.has_value()) + int(effusion.has_value()) + int(cardiomegaly)
               + int(pneumothorax.has_value()) + int(endotrachealTube)
               + int(centralLine.has_value()) + int(pacemaker);
    }
    bool hasDevices() const { return endotrachealTube || centralLine || pacemaker; }
    // A finding other than a support device.
    bool hasAbnormality() const { return nodule || effusion || cardiomegaly || pneumothorax; }
};

} // namespace fmw::demo
