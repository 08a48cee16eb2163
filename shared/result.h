#pragma once

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace fazt {

// An error a caller can act on: a machine-readable code and a message for a person that says
// what happened and, where possible, what to do about it.
struct Error {
    enum class Code {
        Invalid,     // the input is malformed or out of range
        NotFound,    // the thing named does not exist
        Conflict,    // it exists already, or the state does not allow this now
        Busy,        // temporarily overloaded: retry shortly
        TooLarge,    // past a size limit
        ReadOnly,    // the database or filesystem refuses writes
        DiskFull,    // no space left for the write
        Io,          // reading or writing a file failed
        Database,    // SQLite reported an error
        Unsupported, // e.g. a database written by a newer Fazt
        Internal,    // a bug: should never reach a user
    };

    Code code = Code::Internal;
    QString message;

    static Error invalid(QString m) { return {Code::Invalid, std::move(m)}; }
    static Error notFound(QString m) { return {Code::NotFound, std::move(m)}; }
    static Error conflict(QString m) { return {Code::Conflict, std::move(m)}; }
    static Error busy(QString m) { return {Code::Busy, std::move(m)}; }
    static Error io(QString m) { return {Code::Io, std::move(m)}; }
    static Error internal(QString m) { return {Code::Internal, std::move(m)}; }
};

// A value or an Error. Cheap to move; copyable when T is. Use `if (!r) return r.error();`.
template <typename T> class [[nodiscard]] Result {
public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<0>(m_data); }
    T &value() & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const T *operator->() const { return &value(); }
    T *operator->() { return &value(); }
    const T &operator*() const & { return value(); }
    T &operator*() & { return value(); }

    const Error &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, Error> m_data;
};

template <> class [[nodiscard]] Result<void> {
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

} // namespace fazt
