#include "tls/clienthello.h"

namespace fazt::tls {

namespace {

quint16 readU16(QByteArrayView data, qsizetype at) {
    return quint16((quint8(data[at]) << 8) | quint8(data[at + 1]));
}

} // namespace

bool isDnsName(QByteArrayView name) {
    if (name.isEmpty() || name.size() > 253)
        return false;
    qsizetype labelLength = 0;
    for (const char c : name) {
        if (c == '.') {
            if (labelLength == 0)
                return false;
            labelLength = 0;
            continue;
        }
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || ++labelLength > 63)
            return false;
    }
    return labelLength > 0;
}

QByteArray parseServerName(QByteArrayView extension) {
    if (extension.size() < 2)
        return {};
    const qsizetype listLength = readU16(extension, 0);
    if (listLength + 2 != extension.size())
        return {};
    qsizetype at = 2;
    while (at + 3 <= extension.size()) {
        const quint8 type = quint8(extension[at]);
        const qsizetype length = readU16(extension, at + 1);
        at += 3;
        if (at + length > extension.size())
            return {};
        if (type == 0) { // host_name; RFC 6066 allows one
            QByteArray name = extension.sliced(at, length).toByteArray().toLower();
            if (name.endsWith('.'))
                name.chop(1);
            return isDnsName(name) ? name : QByteArray();
        }
        at += length;
    }
    return {};
}

QList<QByteArray> parseAlpn(QByteArrayView extension) {
    if (extension.size() < 2)
        return {};
    const qsizetype listLength = readU16(extension, 0);
    if (listLength + 2 != extension.size())
        return {};
    QList<QByteArray> protocols;
    qsizetype at = 2;
    while (at < extension.size()) {
        const qsizetype length = quint8(extension[at]);
        ++at;
        if (length == 0 || at + length > extension.size())
            return {};
        protocols.append(extension.sliced(at, length).toByteArray());
        at += length;
    }
    return protocols;
}

} // namespace fazt::tls
