#pragma once
// Result<T>: a value or an Error a person can act on (code, message, file, line).
// Plain C++17 so the LibTorch engine and the Qt core share it.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace fmw {

enum class ErrorCode {
    Io,              // cannot open, read, write or rename a file
    Parse,           // malformed content (JSON, YAML, DICOM, image bytes)
    Unsupported,     // valid input we do not handle (e.g. JPEG 2000)
    InvalidArgument, // caller passed a value out of range
    Conflict,        // file changed on disk since it was loaded
    Internal,        // a library threw something unexpected
};

struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;  // what went wrong and, where possible, what to do
    std::string path;     // file involved, empty if none
    int line = 0;         // 1-based line in `path`, 0 if not applicable

    // "path:line: message", the form compilers use, so editors can jump to it.
    std::string toString() const
    {
        std::string s;
        if (!path.empty()) {
            s += path;
            if (line > 0)
                s += ':' + std::to_string(line);
            s += ": ";
        }
        return s + message;
    }
};

inline Error makeError(ErrorCode code, std::string message, std::string path = {}, int line = 0)
{
    return Error{code, std::move(message), std::move(path), line};
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::move(value)) {}
    Result(Error error) : m_v(std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T &value() & { return std::get<0>(m_v); }
    const T &value() const & { return std::get<0>(m_v); }
    T &&value() && { return std::get<0>(std::move(m_v)); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }

    const Error &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) {}

    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace fmw
