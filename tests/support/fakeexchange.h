#pragma once

// An Exchange without a connection: a handler under test gets a parsed request, and the test
// reads the Response the handler gave, as a value (before the connection would serialise it
// and drop the body of a HEAD, 204 or 304: what a handler builds is what is checked).

#include "http/exchange.h"

#include <QHostAddress>
#include <QList>

#include <optional>

namespace fazt::test {

class FakeExchange final : public http::Exchange {
public:
    // `method` `path` on `host`, with `fields` ("Name: value"); `body` is what receiveBody()
    // delivers, in one piece.
    FakeExchange(QByteArrayView method, QByteArrayView host, QByteArrayView path,
                 const QList<QByteArray> &fields = {}, QByteArray body = {})
        : m_body(std::move(body)) {
        QByteArray text = method.toByteArray() + ' ' + path.toByteArray() + " HTTP/1.1\r\nHost: " +
                          host.toByteArray() + "\r\n";
        for (const QByteArray &field : fields)
            text += field + "\r\n";
        if (!m_body.isEmpty())
            text += "Content-Length: " + QByteArray::number(m_body.size()) + "\r\n";
        text += "\r\n";
        http::RequestHead parsed;
        qsizetype scanned = 0;
        const http::HeadResult result =
            http::parseHead(text, http::HeadLimits{}, parsed, scanned);
        if (result.status != http::HeadResult::Status::Complete)
            qFatal("FakeExchange: the test's request does not parse: %s", result.reason);
        m_request = http::Request(text, parsed, &m_peer);
    }
    FakeExchange(const FakeExchange &) = delete; // the request points at m_peer
    FakeExchange &operator=(const FakeExchange &) = delete;

    const http::Request &request() const override { return m_request; }
    void respond(http::Response response) override {
        ++m_responses;
        m_response = std::move(response);
    }
    void receiveBody(qint64 maxBytes,
                     std::function<void(QByteArrayView piece, bool last)> receiver) override {
        if (m_body.size() > maxBytes) {
            respond(http::Response(413));
            return;
        }
        receiver(m_body, true);
    }
    http::Responder defer() override { return {}; }

    // How many times respond() was called (a handler must call it once).
    int responseCount() const { return m_responses; }
    // The last response given (status 0 if none was).
    const http::Response &response() const { return m_response ? *m_response : m_none; }
    int status() const { return response().status; }
    // A field of the response as the connection would send it (typed or extra); empty if
    // absent.
    QByteArray header(QByteArrayView name) const {
        const QByteArray head = response().preparedHead.isEmpty()
                                    ? response().serializeHead()
                                    : response().preparedHead;
        for (const QByteArray &line : head.split('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && name.compare(line.first(colon), Qt::CaseInsensitive) == 0)
                return line.sliced(colon + 1).trimmed();
        }
        return {};
    }

private:
    QHostAddress m_peer{QHostAddress::LocalHost};
    http::Request m_request;
    QByteArray m_body;
    std::optional<http::Response> m_response;
    http::Response m_none;
    int m_responses = 0;
};

} // namespace fazt::test
