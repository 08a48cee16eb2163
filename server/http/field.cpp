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

// The fields whose names have each length: a name is compared with one to three of them,
// not seventeen (every request's Host, Accept and the like are ruled out by length alone).
// A longer name, or a fifth name of one length, fails to compile here.
constexpr qsizetype MaxNameLength = 17;
struct Candidates {
    std::array<quint8, 4> fields{};
    int count = 0;
};
constexpr std::array<Candidates, MaxNameLength + 1> ByLength = [] {
    std::array<Candidates, MaxNameLength + 1> table{};
    for (size_t i = 0; i < Names.size(); ++i) {
        Candidates &slot = table[size_t(Names[i].size())];
        slot.fields[size_t(slot.count++)] = quint8(i);
    }
    return table;
}();

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
    if (name.size() > MaxNameLength)
        return Field::Count;
    const Candidates &candidates = ByLength[size_t(name.size())];
    for (int i = 0; i < candidates.count; ++i)
        if (equalsIgnoringCase(Names[candidates.fields[size_t(i)]], name))
            return Field(candidates.fields[size_t(i)]);
    return Field::Count;
}

QByteArrayView nameOf(Field field) {
    return field < Field::Count ? Names[size_t(field)] : QByteArrayView();
}

} // namespace fazt::http
