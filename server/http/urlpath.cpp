#include "http/urlpath.h"

#include "http/requestparser.h"

#include <QStringDecoder>
#include <QStringList>

#include <algorithm>

namespace fazt::http {

Result<QString> decodePath(QByteArrayView raw) {
    QString path;
    // Most addresses are plain ASCII without escapes: taken as they are.
    if (std::all_of(raw.begin(), raw.end(), [](char c) {
            const auto byte = static_cast<unsigned char>(c);
            return byte != 0 && byte < 0x80 && c != '%';
        })) {
        path = QString::fromLatin1(raw);
    } else {
        QByteArray decoded;
        decoded.reserve(raw.size());
        for (qsizetype i = 0; i < raw.size(); ++i) {
            const char c = raw[i];
            if (c != '%') {
                decoded.append(c);
                continue;
            }
            const int hi = i + 2 < raw.size() ? hexDigitValue(raw[i + 1]) : -1;
            const int lo = i + 2 < raw.size() ? hexDigitValue(raw[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return Error::invalid(QStringLiteral("The address has a malformed %-escape."));
            decoded.append(char(hi * 16 + lo));
            i += 2;
        }
        if (decoded.contains('\0'))
            return Error::invalid(QStringLiteral("The address contains a NUL byte."));
        QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        path = utf8(decoded);
        if (utf8.hasError())
            return Error::invalid(QStringLiteral("The address is not valid UTF-8."));
    }
    QStringList kept;
    const QStringList segments = path.split(u'/');
    for (const QString &segment : segments) {
        if (segment == QLatin1String(".."))
            return Error::invalid(QStringLiteral("The address may not contain '..'."));
        if (segment.contains(u'\\'))
            return Error::invalid(QStringLiteral("The address may not contain a backslash."));
        if (!segment.isEmpty() && segment != QLatin1String("."))
            kept.append(segment);
    }
    // "/docs/" and "/docs/." name the folder (its index.html): the trailing '/' stays.
    const bool namesFolder = segments.last().isEmpty() || segments.last() == QLatin1String(".");
    QString normalised = kept.join(u'/');
    if (namesFolder && !normalised.isEmpty())
        normalised += u'/';
    return normalised;
}

} // namespace fazt::http
