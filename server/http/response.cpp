#include "http/response.h"

#include "http/responses.h"

#include <array>
#include <charconv>

namespace fazt::http {

namespace {

// Decimal digits of `value` in `buffer`, without allocating.
QByteArrayView decimal(qint64 value, std::array<char, 24> &buffer) {
    const auto end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value).ptr;
    return QByteArrayView(buffer.data(), end - buffer.data());
}

void addField(QByteArray &head, QByteArrayView name, QByteArrayView value) {
    head.append(name).append(": ").append(value).append("\r\n");
}

void addFieldIfSet(QByteArray &head, QByteArrayView name, const QByteArray &value) {
    if (!value.isEmpty())
        addField(head, name, value);
}

void addNumberField(QByteArray &head, QByteArrayView name, qint64 value) {
    std::array<char, 24> digits;
    addField(head, name, decimal(value, digits));
}

} // namespace

qint64 Response::declaredLength() const {
    if (status < 200 || status == 204 || status == 304)
        return -1;
    return contentLength >= 0 ? contentLength : (stream ? -1 : body.size());
}

bool Response::hasBody(Method method, int status) {
    return method != Method::Head && status >= 200 && status != 204 && status != 304;
}

qint64 Response::bodyBytes(Method method) const {
    if (!hasBody(method, status))
        return 0;
    return stream ? std::max<qint64>(0, declaredLength()) : body.size();
}

void Response::dropBodyFor(Method method) {
    if (hasBody(method, status))
        return;
    body.clear();
    stream.reset();
}

QByteArray Response::serializeHead() const {
    std::array<char, 24> digits;
    QByteArray head;
    head.reserve(256);
    head.append("HTTP/1.1 ").append(decimal(status, digits)).append(' ');
    head.append(reasonPhrase(status)).append("\r\n");
    // Every response of ours carries these.
    addField(head, "Server", "fazt");
    addField(head, "X-Content-Type-Options", "nosniff");
    addField(head, "Referrer-Policy", "strict-origin-when-cross-origin");
    addFieldIfSet(head, "Content-Type", contentType);
    if (const qint64 length = declaredLength(); length >= 0)
        addNumberField(head, "Content-Length", length);
    addFieldIfSet(head, "ETag", etag);
    if (lastModified >= 0)
        addField(head, "Last-Modified", httpDate(lastModified));
    addFieldIfSet(head, "Cache-Control", cacheControl);
    addFieldIfSet(head, "Vary", vary);
    addFieldIfSet(head, "Content-Encoding", contentEncoding);
    addFieldIfSet(head, "Content-Range", contentRange);
    addFieldIfSet(head, "Location", location);
    addFieldIfSet(head, "Allow", allow);
    if (retryAfterSeconds >= 0)
        addNumberField(head, "Retry-After", retryAfterSeconds);
    for (const Header &header : headers)
        addField(head, header.name, header.value);
    return head;
}

} // namespace fazt::http
