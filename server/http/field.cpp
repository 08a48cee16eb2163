#include "http/field.h"

#include <array>

namespace fazt::http {

namespace {

// In the order of the enum.
constexpr std::array<QByteArrayView, size_t(Field::Count)> Names = {
    "Accept-Encoding", "Authorization", "Content-Type",      "Cookie",
    "Forwarded",       "Idempotency-Key", "If-Modified-Since", "If-None-Match",
    "If-Range",        "Last-Event-ID", "Prefer",            "Range",
    "Referer",         "User-Agent",    "X-CSRF-Token",      "X-Forwarded-For",
    "X-Real-IP",
};

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c;
}

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b) {
    for (qsizetype i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

} // namespace

Field fieldOf(QByteArrayView name) {
    // Length and first letter rule out all but one or two names without a loop over bytes.
    const char first = name.isEmpty() ? 0 : lower(name.front());
    for (size_t i = 0; i < Names.size(); ++i) {
        const QByteArrayView known = Names[i];
        if (known.size() == name.size() && lower(known.front()) == first &&
            equalsIgnoringCase(known, name))
            return Field(i);
    }
    return Field::Count;
}

QByteArrayView nameOf(Field field) {
    return field < Field::Count ? Names[size_t(field)] : QByteArrayView();
}

} // namespace fazt::http
