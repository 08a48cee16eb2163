#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <array>

namespace fazt::stats {

// A browser class, from the User-Agent header.
enum class Agent : quint8 { Desktop, Mobile, Tablet, Bot, Other };
QString agentName(Agent agent);
Agent classifyAgent(QByteArrayView userAgent);
// The host of a Referer header if it is another site's ("news.example.org"); empty for none,
// a malformed one, or a link from `ownHost` itself (navigation inside a site is not a referral).
QString referrerHost(QByteArrayView referer, QByteArrayView ownHost);

// A visitor: a hash of the client address and user agent with a salt that changes every day
// (UTC). 0 means "not counted".
using VisitorId = quint64;

// One request a site answered, as the HTTP layer saw it.
struct RequestRecord {
    QString site;
    QByteArray path; // as requested (UTF-8, percent-encoding kept), without the query
    int status = 0;
    qint64 bytes = 0;        // body bytes sent
    bool isPageView = false; // an HTML document answered 200
    QString referrerHost;    // page views only
    Agent agent = Agent::Other;
    VisitorId visitor = 0; // page views only
    qint64 at = 0;         // Unix seconds
};

// One explicit event (POST /track, GET /pixel.gif). Its texts are UTF-8 packed into one
// buffer: one allocation per event, and the writer binds them where they lie.
struct Event {
    qint64 atMs = 0;
    QString site;
    Agent agent = Agent::Other;
    VisitorId visitor = 0;

    // The path ("/pricing"), the event's name, its properties (a compact JSON object, or
    // empty) and the referrer's host (or empty). Copied: none may point into this event.
    void setTexts(QByteArrayView path, QByteArrayView name, QByteArrayView properties = {},
                  QByteArrayView referrerHost = {});
    QByteArrayView path() const { return text(0); }
    QByteArrayView name() const { return text(1); }
    QByteArrayView properties() const { return text(2); }
    QByteArrayView referrerHost() const { return text(3); }
    qsizetype textBytes() const { return m_texts.size(); }

private:
    QByteArrayView text(size_t i) const {
        const quint32 begin = i == 0 ? 0 : m_ends[i - 1];
        return QByteArrayView(m_texts.constData() + begin, qsizetype(m_ends[i] - begin));
    }
    QByteArray m_texts;
    std::array<quint32, 4> m_ends{};
};

} // namespace fazt::stats
