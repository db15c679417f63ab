#pragma once
// ElementType <-> LibTorch scalar type, for the readers and writers.

#include "engine/weights/element_type.h"

#include <c10/core/ScalarType.h>

#include <optional>

namespace fmw::weights {

inline c10::ScalarType toScalarType(ElementType t)
{
    switch (t) {
    case ElementType::F64: return c10::kDouble;
    case ElementType::F32: return c10::kFloat;
    case ElementType::F16: return c10::kHalf;
    case ElementType::BF16: return c10::kBFloat16;
    case ElementType::I64: return c10::kLong;
    case ElementType::I32: return c10::kInt;
    case ElementType::I16: return c10::kShort;
    case ElementType::I8: return c10::kChar;
    case ElementType::U8: return c10::kByte;
    case ElementType::Bool: return c10::kBool;
    }
    return c10::kFloat;
}

inline std::optional<ElementType> fromScalarType(c10::ScalarType t)
{
    for (ElementType e : kAllElementTypes)
        if (toScalarType(e) == t)
            return e;
    return std::nullopt;
}

} // namespace fmw::weights
