#pragma once

#include "http/exchange.h"

#include <QByteArray>

#include <mutex>
#include <vector>

namespace fazt::hosting {

// Reloads the browsers showing a preview when its files change, as `netlify dev` does. Every
// HTML page the preview serves carries a small script (inject()) that opens an event stream,
// GET /__fazt/livereload (text/event-stream), and reloads the page on a "reload" event; the
// preview calls notify() once the changed folder is deployed. Used by SiteHandler in preview
// mode, so `fazt preview` and the console's preview behave alike.
//
// The stream is answered one event per response (the HTTP engine answers a request once):
// a first request learns the current version as the event id; the EventSource reconnects at
// once with it as Last-Event-ID and is held until the version moves on, then answered with
// "reload". A browser that was away while a change happened is answered at once.
class LiveReload {
public:
    static constexpr QByteArrayView path = "/__fazt/livereload";

    // `html` with the script before its </body> (or at its end when there is none).
    static QByteArray inject(QByteArray html);

    // Answers the request if it is for the event stream; false leaves it to the caller. Any
    // worker thread.
    bool handle(http::Exchange &exchange);
    // The preview's files changed: every browser waiting is told to reload. Any thread.
    void notify();
    // Lets every waiting request go (before the server stops: it would otherwise wait for
    // them through its grace period). Any thread.
    void releaseAll();
    // How many times notify() was called.
    quint64 version() const;

private:
    static constexpr size_t MaxWaiting = 256; // past it the oldest is let go (it reconnects)

    mutable std::mutex m_mutex;
    quint64 m_version = 0;
    std::vector<http::Responder> m_waiting;
};

} // namespace fazt::hosting
