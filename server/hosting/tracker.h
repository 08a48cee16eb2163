#pragma once

#include "http/clientaddress.h"
#include "http/exchange.h"
#include "stats/statsbuffer.h"

#include <QReadWriteLock>
#include <QString>

#include <atomic>
#include <functional>

namespace fazt::stats {
class StatsBuffer;
}

namespace fazt::hosting {

// Analytics on every site's hostname: counts each answered request into the StatsBuffer
// (never the client's address: a daily-salted hash of it) and takes explicit events.
//
//   POST /track       {"event": "signup", "path": "/pricing", "properties": {"plan": "pro"}}
//                     -> 204. Also "referrer" (a URL) and "site" (must be this host's site).
//                     The body is at most 4 KiB; broken or oversized bodies get 400/413 and
//                     nothing is stored. Works with navigator.sendBeacon (any content type).
//   GET /pixel.gif?e=NAME&p=PATH&r=REFERRER
//                     -> a 1x1 transparent GIF, never cached; e defaults to "pageview".
//
// These two paths are reserved on every site.
class Tracker {
public:
    static constexpr qint64 MaxTrackBytes = 4096;

    explicit Tracker(stats::StatsBuffer &stats);

    void setTrustedProxies(const QString &commaSeparated);

    // True if the request is for /track or /pixel.gif (it is then answered).
    bool handleEndpoint(http::Exchange &exchange, const QString &site);

    // For a response given later, from any thread (through a Responder): what the request says
    // is taken now, and the returned function counts the response when it is called.
    std::function<void(const http::Response &)> counterFor(const http::Request &request,
                                                           const QString &site);
    // The client's visitor id today (a salted hash of address and user agent), in hex.
    QString visitorHex(const http::Request &request) {
        return QString::number(visitOf(request).visitor, 16);
    }

    // The connection's exchange, with the response it is given counted on the way.
    class CountingExchange : public http::Exchange {
    public:
        CountingExchange(http::Exchange &inner, Tracker &tracker, const QString &site)
            : m_inner(inner)
            , m_tracker(tracker)
            , m_site(site) {}
        const http::Request &request() const override { return m_inner.request(); }
        void respond(http::Response response) override;
        void receiveBody(qint64 maxBytes,
                         std::function<void(QByteArrayView, bool)> receiver) override {
            m_inner.receiveBody(maxBytes, std::move(receiver));
        }
        http::Responder defer() override { return m_inner.defer(); }

    private:
        http::Exchange &m_inner;
        Tracker &m_tracker;
        const QString &m_site;
    };

private:
    void count(const http::Request &request, const QString &site, const http::Response &response);
    void track(http::Exchange &exchange, const QString &site);
    void pixel(http::Exchange &exchange, const QString &site);
    QHostAddress clientOf(const http::Request &request);
    stats::StatsBuffer::Visit visitOf(const QHostAddress &client, QByteArrayView userAgent);
    stats::StatsBuffer::Visit visitOf(const http::Request &request);

    stats::StatsBuffer &m_stats;
    mutable QReadWriteLock m_proxiesLock;
    http::TrustedProxies m_proxies;
    std::atomic<bool> m_hasProxies{false}; // spares the lock on every page view without any
};

} // namespace fazt::hosting
