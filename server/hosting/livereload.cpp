#include "hosting/livereload.h"

#include "http/responses.h"

namespace fazt::hosting {

namespace {

// The browser's EventSource reconnects by itself 300 ms after each response ends (retry).
constexpr QByteArrayView kScript =
    "<script>/* Fazt preview: reloads this page when its files change */(() => {"
    "const events = new EventSource('/__fazt/livereload');"
    "events.addEventListener('reload', () => location.reload());"
    "})();</script>\n";

enum class Event { IdOnly, Reload };

// An event stream that ends after one event: `version` as its id (which the browser sends
// back as Last-Event-ID), and with Event::Reload a "reload" event.
http::Response eventResponse(quint64 version, Event event) {
    QByteArray body = "retry: 300\nid: " + QByteArray::number(version) + '\n';
    if (event == Event::Reload)
        body += "event: reload\ndata: " + QByteArray::number(version) + '\n';
    http::Response response = http::makeResponse(200, "text/event-stream", body + '\n');
    response.cacheControl = "no-store";
    return response;
}

} // namespace

QByteArray LiveReload::inject(QByteArray html) {
    qsizetype at = html.lastIndexOf("</body>");
    if (at < 0)
        at = html.lastIndexOf("</BODY>");
    if (at < 0)
        at = html.size();
    html.insert(at, kScript.data(), kScript.size());
    return html;
}

bool LiveReload::handle(http::Exchange &exchange) {
    const http::Request &request = exchange.request();
    if (request.path() != path)
        return false;
    if (request.method() != http::Method::Get) {
        http::Response refused =
            http::errorResponse(405, QStringLiteral("The live-reload stream is read with GET."));
        refused.allow = "GET";
        exchange.respond(std::move(refused));
        return true;
    }
    bool isKnown = false;
    const quint64 seen = request.field(http::Field::LastEventId).trimmed().toULongLong(&isKnown);
    std::unique_lock lock(m_mutex);
    const quint64 version = m_version;
    if (!isKnown || seen > version) { // a first request (or one from an earlier preview)
        lock.unlock();
        exchange.respond(eventResponse(version, Event::IdOnly));
        return true;
    }
    if (seen < version) {
        lock.unlock();
        exchange.respond(eventResponse(version, Event::Reload));
        return true;
    }
    if (m_waiting.size() >= MaxWaiting) {
        m_waiting.front().respond(eventResponse(version, Event::IdOnly));
        m_waiting.erase(m_waiting.begin());
    }
    m_waiting.push_back(exchange.defer());
    return true;
}

void LiveReload::notify() {
    std::vector<http::Responder> waiting;
    quint64 version = 0;
    {
        std::lock_guard lock(m_mutex);
        version = ++m_version;
        waiting.swap(m_waiting);
    }
    for (const http::Responder &responder : waiting)
        responder.respond(eventResponse(version, Event::Reload));
}

void LiveReload::releaseAll() {
    std::vector<http::Responder> waiting;
    quint64 version = 0;
    {
        std::lock_guard lock(m_mutex);
        version = m_version;
        waiting.swap(m_waiting);
    }
    for (const http::Responder &responder : waiting)
        responder.respond(eventResponse(version, Event::IdOnly));
}

quint64 LiveReload::version() const {
    std::lock_guard lock(m_mutex);
    return m_version;
}

} // namespace fazt::hosting
