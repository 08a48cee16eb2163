#include "hosting/tracker.h"

#include "http/responses.h"
#include "stats/statsbuffer.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

#include <ctime>

namespace fazt::hosting {

using http::Exchange;
using http::Method;
using http::Response;

namespace {

constexpr qsizetype MaxPathBytes = 512;
constexpr qsizetype MaxNameLength = 64;
constexpr qsizetype MaxProperties = 32;
constexpr qsizetype MaxPropertyKeyLength = 64;
constexpr qsizetype MaxPropertyValueLength = 256;

// The smallest transparent GIF: 1x1, two-colour table, index 0 transparent.
const QByteArray &pixelGif() {
    static const QByteArray gif = QByteArray::fromHex(
        "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b");
    return gif;
}

// "HTTP/1.1 200 OK\r\n..." -> 200.
int statusOf(const QByteArray &head) {
    if (head.size() < 12)
        return 0;
    return (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
}

qint64 contentLengthOf(const QByteArray &head) {
    static const QByteArray name("\r\nContent-Length: ");
    const qsizetype at = head.indexOf(name);
    if (at < 0)
        return 0;
    const qsizetype start = at + name.size();
    const qsizetype end = head.indexOf('\r', start);
    return QByteArrayView(head).sliced(start, (end < 0 ? head.size() : end) - start).toLongLong();
}

bool isValidName(const QString &name) {
    if (name.isEmpty() || name.size() > MaxNameLength)
        return false;
    return std::all_of(name.cbegin(), name.cend(), [](QChar c) {
        return c.unicode() < 128 && (c.isLetterOrNumber() || c == u'_' || c == u'-' || c == u'.' ||
                                     c == u':' || c == u' ' || c == u'/');
    });
}

// A path as people read it: "/", at most 512 bytes, no query.
Result<QString> eventPath(const QString &path) {
    if (!path.startsWith(u'/'))
        return Error::invalid(QStringLiteral("'path' must start with '/'."));
    if (path.toUtf8().size() > MaxPathBytes)
        return Error::invalid(QStringLiteral("'path' is longer than %1 bytes.").arg(MaxPathBytes));
    return path.section(u'?', 0, 0);
}

// The path of a Referer header on the same host, else "/".
QString pathFromReferer(const http::Request &request) {
    const QByteArrayView referer = request.field("Referer");
    const qsizetype scheme = referer.indexOf("://");
    if (scheme < 0 || !stats::referrerHost(referer, request.host()).isEmpty())
        return QStringLiteral("/");
    const QByteArrayView rest = referer.sliced(scheme + 3);
    const qsizetype slash = rest.indexOf('/');
    if (slash < 0)
        return QStringLiteral("/");
    QByteArrayView path = rest.sliced(slash);
    if (const qsizetype q = path.indexOf('?'); q >= 0)
        path = path.first(q);
    if (const qsizetype h = path.indexOf('#'); h >= 0)
        path = path.first(h);
    return QString::fromUtf8(path.first(std::min(path.size(), MaxPathBytes)));
}

Result<QByteArray> checkedProperties(const QJsonValue &value) {
    if (value.isUndefined() || value.isNull())
        return QByteArray();
    if (!value.isObject())
        return Error::invalid(QStringLiteral("'properties' must be an object."));
    const QJsonObject properties = value.toObject();
    if (properties.size() > MaxProperties)
        return Error::invalid(
            QStringLiteral("An event may have at most %1 properties.").arg(MaxProperties));
    for (auto it = properties.begin(); it != properties.end(); ++it) {
        if (it.key().isEmpty() || it.key().size() > MaxPropertyKeyLength)
            return Error::invalid(QStringLiteral("Property names must have 1 to %1 characters.")
                                      .arg(MaxPropertyKeyLength));
        const QJsonValue v = it.value();
        if (v.isObject() || v.isArray())
            return Error::invalid(
                QStringLiteral("Property '%1' must be a string, number, true, false or null.")
                    .arg(it.key()));
        if (v.isString() && v.toString().size() > MaxPropertyValueLength)
            return Error::invalid(QStringLiteral("Property '%1' is longer than %2 characters.")
                                      .arg(it.key())
                                      .arg(MaxPropertyValueLength));
    }
    return QJsonDocument(properties).toJson(QJsonDocument::Compact);
}

Response refuse(int status, const QString &message) {
    QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("error"), message}})
                          .toJson(QJsonDocument::Compact);
    body.append('\n');
    return http::makeResponse(status, "application/json", std::move(body));
}

} // namespace

void Tracker::CountingExchange::respond(Response response) {
    m_tracker.count(m_inner.request(), m_site, response);
    m_inner.respond(std::move(response));
}

Tracker::Tracker(stats::StatsBuffer &stats)
    : m_stats(stats) {}

void Tracker::setTrustedProxies(const QString &commaSeparated) {
    QWriteLocker lock(&m_proxiesLock);
    m_proxies = http::TrustedProxies(commaSeparated);
    m_hasProxies = !m_proxies.isEmpty();
}

QHostAddress Tracker::clientOf(const http::Request &request) {
    QReadLocker lock(&m_proxiesLock);
    return m_proxies.isEmpty() ? request.peer() : m_proxies.clientOf(request);
}

quint64 Tracker::visitorOf(const QHostAddress &client, QByteArrayView userAgent) {
    const Q_IPV6ADDR address = client.toIPv6Address();
    return m_stats.visitor(QByteArrayView(reinterpret_cast<const char *>(address.c), 16),
                           userAgent);
}

quint64 Tracker::visitorOf(const http::Request &request) {
    return visitorOf(clientOf(request), request.field("User-Agent"));
}

void Tracker::count(const http::Request &request, const QString &site, const Response &response) {
    stats::RequestRecord r;
    r.site = site;
    const QByteArrayView path = request.path();
    r.path = QString::fromUtf8(path.first(std::min(path.size(), MaxPathBytes)));
    r.status = statusOf(response.head);
    r.bytes = response.stream ? contentLengthOf(response.head) : response.body.size();
    r.isPageView = r.status == 200 && request.method() == Method::Get &&
                   response.head.contains("\r\nContent-Type: text/html");
    if (r.isPageView) {
        r.referrerHost = stats::referrerHost(request.field("Referer"), request.host());
        r.agent = stats::classifyAgent(request.field("User-Agent"));
        r.visitor = visitorOf(request);
    }
    r.at = std::time(nullptr);
    m_stats.record(r);
}

std::function<void(const Response &)> Tracker::counterFor(const http::Request &request,
                                                          const QString &site) {
    stats::RequestRecord r;
    r.site = site;
    const QByteArrayView path = request.path();
    r.path = QString::fromUtf8(path.first(std::min(path.size(), MaxPathBytes)));
    const bool isGet = request.method() == Method::Get;
    // A page view needs the referrer, agent and visitor, should the answer be HTML (rare for
    // a function): what they come from is copied now, the hashing waits for that answer.
    QHostAddress client;
    QByteArray userAgent;
    if (isGet) {
        r.referrerHost = stats::referrerHost(request.field("Referer"), request.host());
        userAgent = request.field("User-Agent").toByteArray();
        r.agent = stats::classifyAgent(userAgent);
        client = clientOf(request);
    }
    return [this, r, isGet, client, userAgent](const Response &response) mutable {
        r.status = statusOf(response.head);
        r.bytes = response.body.size();
        r.isPageView =
            isGet && r.status == 200 && response.head.contains("\r\nContent-Type: text/html");
        if (r.isPageView)
            r.visitor = visitorOf(client, userAgent);
        else
            r.referrerHost.clear();
        r.at = std::time(nullptr);
        m_stats.record(r);
    };
}

bool Tracker::handleEndpoint(Exchange &exchange, const QString &site) {
    const QByteArrayView path = exchange.request().path();
    if (path == "/track") {
        track(exchange, site);
        return true;
    }
    if (path == "/pixel.gif") {
        pixel(exchange, site);
        return true;
    }
    return false;
}

void Tracker::track(Exchange &exchange, const QString &site) {
    const Method method = exchange.request().method();
    if (method != Method::Post) {
        Response response = method == Method::Options
                                ? http::makeResponse(204, {}, {})
                                : refuse(405, QStringLiteral("Send events with POST /track."));
        response.head.append("Allow: POST, OPTIONS\r\n");
        exchange.respond(std::move(response));
        return;
    }
    auto body = std::make_shared<QByteArray>();
    exchange.receiveBody(MaxTrackBytes, [this, &exchange, site, body](QByteArrayView piece,
                                                                      bool last) {
        body->append(piece);
        if (!last)
            return;
        const http::Request &request = exchange.request();
        QJsonParseError parseError{};
        const QJsonDocument document = QJsonDocument::fromJson(*body, &parseError);
        if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
            exchange.respond(refuse(400, QStringLiteral("The body must be a JSON object such as "
                                                        "{\"event\": \"signup\"}.")));
            return;
        }
        const QJsonObject json = document.object();
        const QJsonValue claimedSite = json.value(QLatin1String("site"));
        if (!claimedSite.isUndefined() && claimedSite.toString() != site) {
            exchange.respond(refuse(400, QStringLiteral("'site' does not match this host: post "
                                                        "events to the site's own address.")));
            return;
        }
        stats::Event event;
        event.name = json.value(QLatin1String("event")).toString();
        if (!isValidName(event.name)) {
            exchange.respond(refuse(
                400, QStringLiteral("'event' must be a name of 1 to %1 letters, digits, spaces "
                                    "or _-.:/ characters.")
                         .arg(MaxNameLength)));
            return;
        }
        const QJsonValue pathValue = json.value(QLatin1String("path"));
        if (pathValue.isUndefined()) {
            event.path = pathFromReferer(request);
        } else {
            auto checked = eventPath(pathValue.toString());
            if (!checked) {
                exchange.respond(refuse(400, checked.error().message));
                return;
            }
            event.path = *checked;
        }
        auto properties = checkedProperties(json.value(QLatin1String("properties")));
        if (!properties) {
            exchange.respond(refuse(400, properties.error().message));
            return;
        }
        event.properties = std::move(*properties);
        const QJsonValue referrer = json.value(QLatin1String("referrer"));
        event.referrerHost = referrer.isString()
                                 ? stats::referrerHost(referrer.toString().toUtf8(), request.host())
                                 : stats::referrerHost(request.field("Referer"), request.host());
        event.site = site;
        event.agent = stats::classifyAgent(request.field("User-Agent"));
        event.visitor = visitorOf(request);
        event.atMs = QDateTime::currentMSecsSinceEpoch();
        m_stats.record(event);
        Response accepted = http::makeResponse(204, {}, {});
        accepted.head.append("Cache-Control: no-store\r\n");
        exchange.respond(std::move(accepted));
    });
}

void Tracker::pixel(Exchange &exchange, const QString &site) {
    const http::Request &request = exchange.request();
    const Method method = request.method();
    const bool isHead = method == Method::Head;
    if (method != Method::Get && !isHead) {
        Response refused = refuse(405, QStringLiteral("The pixel is fetched with GET."));
        refused.head.append("Allow: GET, HEAD\r\n");
        exchange.respond(std::move(refused));
        return;
    }
    const QUrlQuery query(QString::fromUtf8(request.query()));
    stats::Event event;
    event.site = site;
    event.name = query.queryItemValue(QStringLiteral("e"), QUrl::FullyDecoded);
    if (event.name.isEmpty())
        event.name = QStringLiteral("pageview");
    if (!isValidName(event.name)) {
        exchange.respond(refuse(400, QStringLiteral("'e' must be a name of 1 to %1 letters, "
                                                    "digits, spaces or _-.:/ characters.")
                                         .arg(MaxNameLength)));
        return;
    }
    const QString path = query.queryItemValue(QStringLiteral("p"), QUrl::FullyDecoded);
    if (path.isEmpty()) {
        event.path = pathFromReferer(request);
    } else {
        auto checked = eventPath(path);
        if (!checked) {
            exchange.respond(refuse(400, checked.error().message));
            return;
        }
        event.path = *checked;
    }
    const QString referrer = query.queryItemValue(QStringLiteral("r"), QUrl::FullyDecoded);
    event.referrerHost = referrer.isEmpty()
                             ? stats::referrerHost(request.field("Referer"), request.host())
                             : stats::referrerHost(referrer.toUtf8(), request.host());
    event.agent = stats::classifyAgent(request.field("User-Agent"));
    event.visitor = visitorOf(request);
    event.atMs = QDateTime::currentMSecsSinceEpoch();
    if (!isHead)
        m_stats.record(event);
    Response gif = http::makeResponse(200, "image/gif", pixelGif(), isHead);
    gif.head.append("Cache-Control: no-store, no-cache, must-revalidate, max-age=0\r\n");
    exchange.respond(std::move(gif));
}

} // namespace fazt::hosting
