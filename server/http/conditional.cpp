#include "http/conditional.h"

#include "http/fieldvalues.h"
#include "http/responses.h"

#include <algorithm>

namespace fazt::http {

Selection select(const Request &request, const Validators &representation) {
    if (const QByteArrayView ifNoneMatch = request.field(Field::IfNoneMatch);
        !ifNoneMatch.isEmpty()) {
        if (etagListMatches(ifNoneMatch, representation.etag) ||
            (!representation.variantEtag.isEmpty() &&
             etagListMatches(ifNoneMatch, representation.variantEtag)))
            return {Selection::Kind::NotModified, {}};
    } else if (const QByteArrayView since = request.field(Field::IfModifiedSince);
               !since.isEmpty() && representation.lastModified >= 0) {
        const qint64 t = parseHttpDate(since);
        if (t >= 0 && representation.lastModified <= t)
            return {Selection::Kind::NotModified, {}};
    }
    const QByteArrayView range = request.field(Field::Range);
    if (range.isEmpty())
        return {};
    // If-Range with an entity tag compares strongly; a date (or another tag) means the client's
    // copy may be stale: the whole representation, then.
    if (const QByteArrayView ifRange = request.field(Field::IfRange);
        !ifRange.isEmpty() && ifRange.trimmed() != representation.etag)
        return {};
    return parseRange(range, representation.size);
}

Selection parseRange(QByteArrayView header, qint64 size) {
    if (!header.startsWith("bytes="))
        return {};
    const QByteArrayView spec = header.sliced(6).trimmed();
    if (spec.contains(','))
        return {};
    const qsizetype dash = spec.indexOf('-');
    if (dash < 0)
        return {};
    bool okFirst = false, okLast = false;
    const QByteArrayView firstText = spec.first(dash).trimmed();
    const QByteArrayView lastText = spec.sliced(dash + 1).trimmed();
    const qint64 first = firstText.isEmpty() ? -1 : firstText.toLongLong(&okFirst);
    const qint64 last = lastText.isEmpty() ? -1 : lastText.toLongLong(&okLast);
    if ((!firstText.isEmpty() && (!okFirst || first < 0)) ||
        (!lastText.isEmpty() && (!okLast || last < 0)))
        return {};             // malformed: ignore the header
    if (firstText.isEmpty()) { // suffix: the last N bytes
        if (lastText.isEmpty())
            return {};
        if (last == 0 || size == 0)
            return {Selection::Kind::Unsatisfiable, {}};
        return {Selection::Kind::Partial, {std::max<qint64>(0, size - last), size - 1}};
    }
    if (!lastText.isEmpty() && last < first)
        return {};
    if (first >= size)
        return {Selection::Kind::Unsatisfiable, {}};
    return {Selection::Kind::Partial,
            {first, lastText.isEmpty() ? size - 1 : std::min(last, size - 1)}};
}

} // namespace fazt::http
