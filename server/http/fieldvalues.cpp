#include "http/fieldvalues.h"

namespace fazt::http {

namespace {

bool isOws(char c) {
    return c == ' ' || c == '\t';
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c;
}

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b) {
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

QByteArrayView trimmed(QByteArrayView text) {
    while (!text.isEmpty() && isOws(text.front()))
        text = text.sliced(1);
    while (!text.isEmpty() && isOws(text.back()))
        text.chop(1);
    return text;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths; -1 if malformed.
int parseQuality(QByteArrayView text) {
    if (text.isEmpty() || (text[0] != '0' && text[0] != '1'))
        return -1;
    int value = (text[0] - '0') * 1000;
    if (text.size() == 1)
        return value;
    if (text[1] != '.' || text.size() > 5)
        return -1;
    int scale = 100;
    for (qsizetype i = 2; i < text.size(); ++i, scale /= 10) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value += (text[i] - '0') * scale;
    }
    return value > 1000 ? -1 : value;
}

// The q parameter among an entry's parameters (";q=0.5;level=1"); 1000 without one.
int qualityOf(QByteArrayView parameters) {
    while (!parameters.isEmpty()) {
        const qsizetype semi = parameters.indexOf(';');
        const QByteArrayView parameter = trimmed(semi < 0 ? parameters : parameters.first(semi));
        parameters = semi < 0 ? QByteArrayView() : parameters.sliced(semi + 1);
        if (parameter.size() >= 2 && lower(parameter[0]) == 'q' && parameter[1] == '=') {
            const int quality = parseQuality(parameter.sliced(2));
            return quality < 0 ? 0 : quality;
        }
    }
    return 1000;
}

} // namespace

int codingQuality(QByteArrayView acceptEncoding, QByteArrayView coding) {
    int any = -1;
    while (!acceptEncoding.isEmpty()) {
        const qsizetype comma = acceptEncoding.indexOf(',');
        const QByteArrayView entry = comma < 0 ? acceptEncoding : acceptEncoding.first(comma);
        acceptEncoding = comma < 0 ? QByteArrayView() : acceptEncoding.sliced(comma + 1);
        const qsizetype semi = entry.indexOf(';');
        const QByteArrayView name = trimmed(semi < 0 ? entry : entry.first(semi));
        const QByteArrayView parameters = semi < 0 ? QByteArrayView() : entry.sliced(semi + 1);
        if (equalsIgnoringCase(name, coding))
            return qualityOf(parameters);
        if (name == "*")
            any = qualityOf(parameters);
    }
    return any;
}

bool acceptsCoding(QByteArrayView acceptEncoding, QByteArrayView coding) {
    return codingQuality(acceptEncoding, coding) > 0;
}

bool etagListMatches(QByteArrayView ifNoneMatch, QByteArrayView etag) {
    if (etag.startsWith("W/"))
        etag = etag.sliced(2);
    qsizetype at = 0;
    const qsizetype size = ifNoneMatch.size();
    while (at < size) {
        while (at < size && (isOws(ifNoneMatch[at]) || ifNoneMatch[at] == ','))
            ++at;
        if (at == size)
            break;
        if (ifNoneMatch[at] == '*')
            return true;
        if (ifNoneMatch.sliced(at).startsWith("W/"))
            at += 2;
        if (at == size || ifNoneMatch[at] != '"')
            return false; // not an entity-tag: the rest cannot be read reliably
        const qsizetype close = ifNoneMatch.indexOf('"', at + 1);
        if (close < 0)
            return false;
        if (ifNoneMatch.sliced(at, close + 1 - at) == etag)
            return true;
        at = close + 1;
    }
    return false;
}

} // namespace fazt::http
