#pragma once
// The element types a weights file can hold, independent of LibTorch, with their names in the
// safetensors header and in torch.save's pickled storage classes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fmw::weights {

enum class ElementType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

inline constexpr ElementType kAllElementTypes[] = {ElementType::F64, ElementType::F32, ElementType::F16,
                                                   ElementType::BF16, ElementType::I64, ElementType::I32,
                                                   ElementType::I16, ElementType::I8, ElementType::U8,
                                                   ElementType::Bool};

inline size_t elementSize(ElementType t)
{
    switch (t) {
    case ElementType::F64:
    case ElementType::I64:
        return 8;
    case ElementType::F32:
    case ElementType::I32:
        return 4;
    case ElementType::F16:
    case ElementType::BF16:
    case ElementType::I16:
        return 2;
    case ElementType::I8:
    case ElementType::U8:
    case ElementType::Bool:
        return 1;
    }
    return 1;
}

// "F32", "BF16", "BOOL", ... as written in a safetensors header.
inline const char *safetensorsName(ElementType t)
{
    switch (t) {
    case ElementType::F64: return "F64";
    case ElementType::F32: return "F32";
    case ElementType::F16: return "F16";
    case ElementType::BF16: return "BF16";
    case ElementType::I64: return "I64";
    case ElementType::I32: return "I32";
    case ElementType::I16: return "I16";
    case ElementType::I8: return "I8";
    case ElementType::U8: return "U8";
    case ElementType::Bool: return "BOOL";
    }
    return "?";
}

// "FloatStorage", "HalfStorage", ... the torch.<Name> global torch.save pickles per storage.
inline const char *torchStorageName(ElementType t)
{
    switch (t) {
    case ElementType::F64: return "DoubleStorage";
    case ElementType::F32: return "FloatStorage";
    case ElementType::F16: return "HalfStorage";
    case ElementType::BF16: return "BFloat16Storage";
    case ElementType::I64: return "LongStorage";
    case ElementType::I32: return "IntStorage";
    case ElementType::I16: return "ShortStorage";
    case ElementType::I8: return "CharStorage";
    case ElementType::U8: return "ByteStorage";
    case ElementType::Bool: return "BoolStorage";
    }
    return "?";
}

inline std::optional<ElementType> elementTypeFromSafetensors(std::string_view name)
{
    for (ElementType t : kAllElementTypes)
        if (name == safetensorsName(t))
            return t;
    return std::nullopt;
}

inline std::optional<ElementType> elementTypeFromTorchStorage(std::string_view name)
{
    for (ElementType t : kAllElementTypes)
        if (name == torchStorageName(t))
            return t;
    return std::nullopt;
}

} // namespace fmw::weights
