#include "hosting/functions/egress.h"

#include "hosting/functions/wire.h"
#include "http/requestparser.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

#include <curl/curl.h>
#include <memory>
#include <mutex>
#include <netdb.h>
#include <sys/socket.h>

namespace fazt::hosting::functions {

namespace {

Error refused(const QString &message) {
    return Error::invalid(message);
}

// "1.2.3.4" or "[::1]", as allowlist entries spell addresses.
QString addressEntry(const QHostAddress &address) {
    return address.protocol() == QAbstractSocket::IPv6Protocol
               ? u'[' + address.toString() + u']'
               : address.toString();
}

bool isFazts(QByteArrayView name) {
    for (const char *reserved : {"host", "content-length", "transfer-encoding"})
        if (name.compare(reserved, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

struct Transfer {
    qint64 maxBytes = 0;
    bool isTooLarge = false;
    QByteArray body;
    QByteArray headerLines;
};

size_t onBody(char *data, size_t size, size_t count, void *user) {
    auto *transfer = static_cast<Transfer *>(user);
    const size_t bytes = size * count;
    if (transfer->body.size() + qint64(bytes) > transfer->maxBytes) {
        transfer->isTooLarge = true;
        return 0; // aborts the transfer
    }
    transfer->body.append(data, qsizetype(bytes));
    return bytes;
}

size_t onHeader(char *data, size_t size, size_t count, void *user) {
    auto *transfer = static_cast<Transfer *>(user);
    const size_t bytes = size * count;
    const QByteArrayView line = QByteArrayView(data, qsizetype(bytes)).trimmed();
    if (line.startsWith("HTTP/")) {
        transfer->headerLines.clear(); // a new response (after a 100 Continue, say)
        return bytes;
    }
    const qsizetype colon = line.indexOf(':');
    if (colon > 0)
        transfer->headerLines += line.first(colon).toByteArray().toLower() + '\n' +
                                 line.sliced(colon + 1).trimmed().toByteArray() + '\n';
    return bytes;
}

} // namespace

bool Egress::isInternal(const QHostAddress &address) {
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4); // also an IPv4-mapped IPv6 address
    if (isV4) {
        const auto in = [v4](quint32 network, int bits) {
            return (v4 >> (32 - bits)) == (network >> (32 - bits));
        };
        return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x64400000, 10) ||
               in(0x7F000000, 8) || in(0xA9FE0000, 16) || in(0xAC100000, 12) ||
               in(0xC0000000, 24) || in(0xC0A80000, 16) || in(0xC6120000, 15) ||
               in(0xE0000000, 4) || in(0xF0000000, 4);
    }
    const Q_IPV6ADDR a = address.toIPv6Address();
    const bool isUniqueLocal = (a[0] & 0xFE) == 0xFC;
    const bool isLinkLocal = a[0] == 0xFE && (a[1] & 0xC0) == 0x80;
    const bool isSiteLocal = a[0] == 0xFE && (a[1] & 0xC0) == 0xC0;
    const bool isMulticast = a[0] == 0xFF;
    return address.isLoopback() || address == QHostAddress::AnyIPv6 || isUniqueLocal ||
           isLinkLocal || isSiteLocal || isMulticast;
}

bool Egress::isListed(const QString &host, int port) const {
    return m_allowlist.contains(host) ||
           m_allowlist.contains(host + u':' + QString::number(port));
}

Result<QHostAddress> Egress::addressFor(const QString &host, int port,
                                        qint64 deadlineMs) const {
    QList<QHostAddress> candidates;
    const QString bare = host.startsWith(u'[') ? host.mid(1, host.size() - 2) : host;
    if (QHostAddress literal(bare); !literal.isNull()) {
        candidates.append(literal);
    } else if (bare == QLatin1String("localhost") || bare.endsWith(QLatin1String(".localhost"))) {
        // RFC 6761: localhost names are the loopback, whatever a resolver says.
        candidates = {QHostAddress(QHostAddress::LocalHost), QHostAddress(QHostAddress::LocalHostIPv6)};
    } else {
        addrinfo hints = {};
        hints.ai_socktype = SOCK_STREAM;
        addrinfo *found = nullptr;
        const int rc = ::getaddrinfo(bare.toUtf8().constData(), nullptr, &hints, &found);
        if (rc != 0)
            return refused(QStringLiteral("'%1' does not resolve (%2)")
                               .arg(bare, QString::fromLocal8Bit(::gai_strerror(rc))));
        for (addrinfo *entry = found; entry; entry = entry->ai_next)
            candidates.append(QHostAddress(entry->ai_addr));
        ::freeaddrinfo(found);
    }
    if (steadyMs() >= deadlineMs)
        return refused(QStringLiteral("no time left in this request"));
    for (const QHostAddress &address : std::as_const(candidates))
        if (!isInternal(address) || isListed(addressEntry(address), port))
            return address;
    const QString first = candidates.isEmpty() ? QString() : addressEntry(candidates.front());
    return refused(QStringLiteral("'%1' resolves to %2, an internal address (loopback, "
                                  "private or link-local); add %2 to this site's egress "
                                  "allowlist if it is meant to be reached "
                                  "(fazt egress %3 ... %2)")
                       .arg(bare, first, m_site));
}

Result<Egress::Reply> Egress::fetch(const Request &request, qint64 deadlineMs) const {
    const QUrl url(request.url, QUrl::StrictMode);
    const QString scheme = url.scheme();
    if (!url.isValid() || url.host().isEmpty() ||
        (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
        return refused(QStringLiteral("'%1' is not an http(s) URL").arg(request.url.left(200)));
    QString host = url.host().toLower();
    if (host.contains(u':'))
        host = u'[' + host + u']';
    const int port = url.port(scheme == QLatin1String("https") ? 443 : 80);
    if (!isListed(host, port))
        return refused(QStringLiteral("'%1' is not on this site's egress allowlist "
                                      "(fazt egress %2 HOST adds it)")
                           .arg(url.host(), m_site));
    if (!http::isToken(request.method) || request.method.size() > 32)
        return refused(QStringLiteral("'%1' is not a method").arg(
            QString::fromUtf8(request.method.left(40))));
    QList<QByteArray> headerLines;
    const QJsonObject fields = QJsonDocument::fromJson(request.headersJson).object();
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        const QByteArray name = it.key().toUtf8();
        const QByteArray value = it.value().toVariant().toString().toUtf8();
        if (!http::isToken(name))
            return refused(QStringLiteral("'%1' is not a header name")
                               .arg(QString::fromUtf8(name.left(100))));
        if (!http::isFieldValue(value))
            return refused(QStringLiteral("the value of the header '%1' holds a line break or "
                                          "another control character")
                               .arg(QString::fromUtf8(name)));
        if (isFazts(name))
            return refused(QStringLiteral("the header '%1' is set by Fazt, not by scripts")
                               .arg(QString::fromUtf8(name)));
        headerLines.append(name + ": " + value);
    }
    headerLines.append("Expect:"); // no 100-continue round trip
    curl_slist *list = nullptr;
    for (const QByteArray &line : std::as_const(headerLines))
        list = curl_slist_append(list, line.constData());
    const std::unique_ptr<curl_slist, void (*)(curl_slist *)> headers(list, curl_slist_free_all);
    auto address = addressFor(host, port, deadlineMs);
    if (!address)
        return address.error();

    static std::once_flag initialized;
    std::call_once(initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    const std::unique_ptr<CURL, void (*)(CURL *)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl)
        return Error::internal(QStringLiteral("cannot start a transfer"));
    const QByteArray pin = url.host(QUrl::FullyEncoded).toUtf8() + ':' +
                           QByteArray::number(port) + ':' + addressEntry(*address).toUtf8();
    const std::unique_ptr<curl_slist, void (*)(curl_slist *)> resolve(
        curl_slist_append(nullptr, pin.constData()), curl_slist_free_all);
    Transfer transfer;
    transfer.maxBytes = m_maxBytes;
    const QByteArray target = url.toEncoded();
    const qint64 remaining = std::max<qint64>(1, deadlineMs - steadyMs());
    CURL *c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, target.constData());
    curl_easy_setopt(c, CURLOPT_RESOLVE, resolve.get());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(remaining));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.constData());
    if (!request.body.isEmpty()) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.constData());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
    const CURLcode rc = curl_easy_perform(c);
    if (transfer.isTooLarge)
        return refused(QStringLiteral("the response is larger than %1 bytes").arg(m_maxBytes));
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return refused(QStringLiteral("no answer in time"));
    if (rc != CURLE_OK)
        return refused(QString::fromUtf8(curl_easy_strerror(rc)));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return Reply{int(status), std::move(transfer.headerLines), std::move(transfer.body)};
}

} // namespace fazt::hosting::functions
