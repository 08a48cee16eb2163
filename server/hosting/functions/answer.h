#pragma once

#include "hosting/functions/wire.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>
#include <utility>

class QJSEngine;
class QJSValue;

namespace fazt::hosting::functions {

// What a function answered, as the worker sends it and the server checks it: a status, a
// content type, extra headers and a body, or the problem that stops it from being sent.
struct Answer {
    static constexpr qsizetype MaxBodyBytes = 8 << 20;
    static constexpr int MaxHeaders = 100;

    int status = 200;
    QByteArray contentType; // empty: no body
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QString problem; // not empty: a 500, and this line in the site's log

    // In the worker (scriptanswer.cpp): reads what the bootstrap's invoke() returned (JSON text with status 200,
    // "#<status><kind><body>", [status, kind, body, headers], or "!<the error>"). May run
    // script (a header's toString), so it runs under the invocation's deadline.
    static Answer fromScript(QJSEngine &engine, const QJSValue &result);

    // The same rules, applied again by the server to what a worker sent, since a worker is not
    // trusted: the status, every header name and value, the size. Sets `problem` if broken.
    void check(qsizetype maxBodyBytes);

    // The fields of an Answer frame, in the order write() puts them; nullopt if the frame is
    // malformed (too many headers, a field past its end, bytes left over).
    static std::optional<Answer> read(FrameReader &frame);
    void write(FrameWriter &frame) const;
};

} // namespace fazt::hosting::functions
