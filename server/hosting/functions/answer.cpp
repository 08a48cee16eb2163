#include "hosting/functions/answer.h"

#include "http/requestparser.h"

namespace fazt::hosting::functions {

namespace {

// Headers a script may not set: the connection owns framing and connection management.
bool isReservedHeader(QByteArrayView name) {
    for (const char *reserved : {"content-length", "transfer-encoding", "connection", "date",
                                 "keep-alive", "upgrade", "trailer"})
        if (name.compare(reserved, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

} // namespace

void Answer::check(qsizetype maxBodyBytes) {
    if (!problem.isEmpty())
        return;
    if (status < 200 || status > 599) {
        problem = QStringLiteral("The function answered with status %1; use 200-599.").arg(status);
        return;
    }
    if (body.size() > maxBodyBytes) {
        problem =
            QStringLiteral("The function's response is larger than %1 bytes.").arg(maxBodyBytes);
        return;
    }
    if (headers.size() > MaxHeaders) {
        problem = QStringLiteral("The function set more than %1 headers.").arg(MaxHeaders);
        return;
    }
    if (!http::isFieldValue(contentType)) {
        problem = QStringLiteral("The function set an invalid header 'Content-Type'.");
        return;
    }
    for (const auto &[name, value] : std::as_const(headers))
        if (!http::isToken(name) || name.size() > 256 || !http::isFieldValue(value)) {
            problem = QStringLiteral("The function set an invalid header '%1'.")
                          .arg(QString::fromUtf8(name.left(100)));
            return;
        }
    headers.removeIf([](const auto &header) { return isReservedHeader(header.first); });
    if (status == 204 || status == 304) {
        body.clear();
        contentType.clear();
    }
}

std::optional<Answer> Answer::read(FrameReader &frame) {
    Answer answer;
    answer.status = int(frame.u32());
    answer.contentType = frame.bytes().toByteArray();
    const quint32 count = frame.u32();
    if (count > quint32(MaxHeaders))
        return std::nullopt;
    for (quint32 i = 0; i < count && frame.isValid(); ++i) {
        QByteArray name = frame.bytes().toByteArray();
        answer.headers.append({std::move(name), frame.bytes().toByteArray()});
    }
    answer.body = frame.bytes().toByteArray();
    if (!frame.isValid() || !frame.atEnd())
        return std::nullopt;
    return answer;
}

void Answer::write(FrameWriter &frame) const {
    frame.u32(quint32(status)).bytes(contentType).u32(quint32(headers.size()));
    for (const auto &[name, value] : headers)
        frame.bytes(name).bytes(value);
    frame.bytes(body);
}

} // namespace fazt::hosting::functions
