#pragma once
// Chest window presets (lung, mediastinum, bone) for one decoded image. CT-like data in
// Hounsfield units gets the standard fixed windows; projection radiographs (CR, DX, PNG, ...)
// have no absolute scale, so their presets are derived from the image's own value histogram.
// Pure functions of a DecodedImage: safe on any thread, no state.

#include "imaging/image_types.h"

#include <QString>

#include <optional>

namespace fmw::imaging {

enum class ChestPreset { Lung, Mediastinum, Bone };

// "Lung", "Mediastinum", "Bone".
QString chestPresetName(ChestPreset preset);

// True when modality values are Hounsfield units: Modality CT (rescale already applied).
bool usesHounsfieldUnits(const ImageMetadata &meta);

// The standard CT windows (width / level): lung 1500 / -600, mediastinum 350 / 50,
// bone 1800 / 400.
Window hounsfieldPreset(ChestPreset preset);

// Fractions of the body's pixels, ordered from dark to bright on screen, that bound each
// radiograph preset's window (see windowFromHistogram):
//   lung         2% .. 60%   the darker part of the body range (aerated lung) gets the
//                            whole grey scale; mediastinum and bone saturate to white
//   mediastinum 30% .. 99%   a wide window over the mid-to-bright soft tissue, heart and
//                            mediastinal contours
//   bone        60% .. 99.8% only the brightest values (ribs, clavicles, spine) spread out
struct PresetFractions {
    double low;
    double high;
};
PresetFractions radiographFractions(ChestPreset preset);

// The window for `preset` in modality units (what ImageView::setWindow takes). CT: the fixed
// HU window. Otherwise from the histogram: the darkest and brightest stored values (the
// background, collimator and burn-out plateaus) are left out, the remaining values sorted
// by on-screen brightness (MONOCHROME1 reversed), and the window spans the values at the
// preset's two fractions. Colour images use BT.601 luma of the stored triple, as the
// pixel readout does. nullopt for an empty image.
std::optional<Window> chestPresetWindow(const DecodedImage &image, ChestPreset preset);

} // namespace fmw::imaging
