#include "hosting/tracker.h"

#include "http/responses.h"
#include "stats/statsbuffer.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

#include <ctime>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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

// An event name: 1 to 64 ASCII letters, digits, spaces or _-.:/ characters.
bool isValidName(QByteArrayView name) {
    if (name.isEmpty() || name.size() > MaxNameLength)
        return false;
    return std::all_of(name.cbegin(), name.cend(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.' || c == ':' || c == ' ' || c == '/';
    });
}

// A path as people read it: "/", at most 512 bytes of UTF-8, no query.
Result<QByteArrayView> eventPath(QByteArrayView utf8) {
    if (!utf8.startsWith('/'))
        return Error::invalid(QStringLiteral("'path' must start with '/'."));
    if (utf8.size() > MaxPathBytes)
        return Error::invalid(QStringLiteral("'path' is longer than %1 bytes.").arg(MaxPathBytes));
    if (const qsizetype query = utf8.indexOf('?'); query >= 0)
        utf8 = utf8.first(query);
    return utf8;
}

// The path of a Referer header on the same host (a view into the request), else "/".
QByteArrayView pathFromReferer(const http::Request &request) {
    const QByteArrayView referer = request.field(http::Field::Referer);
    const qsizetype scheme = referer.indexOf("://");
    if (scheme < 0 || !stats::referrerHost(referer, request.host()).isEmpty())
        return "/";
    const QByteArrayView rest = referer.sliced(scheme + 3);
    const qsizetype slash = rest.indexOf('/');
    if (slash < 0)
        return "/";
    QByteArrayView path = rest.sliced(slash);
    if (const qsizetype q = path.indexOf('?'); q >= 0)
        path = path.first(q);
    if (const qsizetype h = path.indexOf('#'); h >= 0)
        path = path.first(h);
    // Valid UTF-8 only: a header may hold any bytes, and the path is stored as text.
    path = path.first(std::min(path.size(), MaxPathBytes));
    return path.isValidUtf8() ? path : QByteArrayView("/");
}

// A /track body is parsed by RapidJSON into buffers on the stack: an event of a few hundred
// bytes touches the heap only for the strings it keeps. Bigger bodies (up to MaxTrackBytes)
// spill over to the heap. The iterative parser keeps hostile nesting off the call stack.
using JsonPool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using JsonDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, JsonPool, JsonPool>;
using JsonValue = rapidjson::GenericValue<rapidjson::UTF8<>, JsonPool>;
constexpr unsigned JsonFlags =
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;

QByteArrayView viewOf(const JsonValue &string) {
    return QByteArrayView(string.GetString(), qsizetype(string.GetStringLength()));
}

// Characters, not bytes, of valid UTF-8 (the parser validated it).
qsizetype characters(QByteArrayView utf8) {
    return std::count_if(utf8.cbegin(), utf8.cend(), [](char c) { return (c & 0xC0) != 0x80; });
}

// The member `name` of an object, or null when it has none.
const JsonValue *member(const JsonValue &object, const char *name) {
    const auto it = object.FindMember(name);
    return it == object.MemberEnd() ? nullptr : &it->value;
}

// What is wrong with an event's properties, if anything: they must be a flat object of at
// most 32 scalars (or absent, or null).
Status checkProperties(const JsonValue *value) {
    if (!value || value->IsNull())
        return {};
    if (!value->IsObject())
        return Error::invalid(QStringLiteral("'properties' must be an object."));
    if (value->MemberCount() > MaxProperties)
        return Error::invalid(
            QStringLiteral("An event may have at most %1 properties.").arg(MaxProperties));
    for (auto it = value->MemberBegin(); it != value->MemberEnd(); ++it) {
        const QByteArrayView key = viewOf(it->name);
        const qsizetype keyLength = characters(key);
        if (keyLength == 0 || keyLength > MaxPropertyKeyLength)
            return Error::invalid(QStringLiteral("Property names must have 1 to %1 characters.")
                                      .arg(MaxPropertyKeyLength));
        for (auto earlier = value->MemberBegin(); earlier != it; ++earlier)
            if (viewOf(earlier->name) == key)
                return Error::invalid(
                    QStringLiteral("Property '%1' appears twice.").arg(QString::fromUtf8(key)));
        if (it->value.IsObject() || it->value.IsArray())
            return Error::invalid(
                QStringLiteral("Property '%1' must be a string, number, true, false or null.")
                    .arg(QString::fromUtf8(key)));
        if (it->value.IsString() && characters(viewOf(it->value)) > MaxPropertyValueLength)
            return Error::invalid(QStringLiteral("Property '%1' is longer than %2 characters.")
                                      .arg(QString::fromUtf8(key))
                                      .arg(MaxPropertyValueLength));
    }
    return {};
}

// The event a /track body describes, posted to `site`; or what is wrong with the body.
Result<stats::Event> parseEvent(QByteArrayView body, const QString &site,
                                const http::Request &request) {
    char valueBuffer[4096];
    char stackBuffer[1024];
    JsonPool values(valueBuffer, sizeof valueBuffer);
    JsonPool stack(stackBuffer, sizeof stackBuffer);
    JsonDocument json(&values, 256, &stack); // the parser's stack grows inside stackBuffer
    json.Parse<JsonFlags>(body.data(), size_t(body.size()));
    if (json.HasParseError() || !json.IsObject())
        return Error::invalid(
            QStringLiteral("The body must be a JSON object such as {\"event\": \"signup\"}."));
    if (const JsonValue *claimed = member(json, "site");
        claimed && !(claimed->IsString() && QString::fromUtf8(viewOf(*claimed)) == site))
        return Error::invalid(QStringLiteral(
            "'site' does not match this host: post events to the site's own address."));
    const JsonValue *name = member(json, "event");
    if (!name || !name->IsString() || !isValidName(viewOf(*name)))
        return Error::invalid(QStringLiteral("'event' must be a name of 1 to %1 letters, digits, "
                                             "spaces or _-.:/ characters.")
                                  .arg(MaxNameLength));
    QByteArrayView path = "/";
    if (const JsonValue *given = member(json, "path")) {
        auto checked = eventPath(given->IsString() ? viewOf(*given) : QByteArrayView());
        if (!checked)
            return checked.error();
        path = *checked;
    } else {
        path = pathFromReferer(request);
    }
    const JsonValue *properties = member(json, "properties");
    if (Status s = checkProperties(properties); !s)
        return s.error();
    // Properties are stored as compact JSON. The output and the writer's nesting stack start
    // small inside the buffer (a pool spills to the heap when it is asked for more than is
    // left of its buffer).
    char buffer[2048];
    JsonPool pool(buffer, sizeof buffer);
    rapidjson::GenericStringBuffer<rapidjson::UTF8<>, JsonPool> compact(&pool, 256);
    if (properties && properties->IsObject()) {
        rapidjson::Writer<decltype(compact), rapidjson::UTF8<>, rapidjson::UTF8<>, JsonPool> writer(
            compact, &pool, 4);
        properties->Accept(writer);
    }
    const JsonValue *referrer = member(json, "referrer");
    const QString referrerHost = stats::referrerHost(
        referrer && referrer->IsString() ? viewOf(*referrer) : request.field(http::Field::Referer),
        request.host());
    stats::Event event;
    event.setTexts(path, viewOf(*name),
                   QByteArrayView(compact.GetString(), qsizetype(compact.GetSize())),
                   referrerHost.isEmpty() ? QByteArray() : referrerHost.toUtf8());
    event.site = site;
    return event;
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
    if (!m_hasProxies.load(std::memory_order_relaxed))
        return request.peer();
    QReadLocker lock(&m_proxiesLock);
    return m_proxies.isEmpty() ? request.peer() : m_proxies.clientOf(request);
}

stats::StatsBuffer::Visit Tracker::visitOf(const QHostAddress &client, QByteArrayView userAgent) {
    const Q_IPV6ADDR address = client.toIPv6Address();
    return m_stats.visit(QByteArrayView(reinterpret_cast<const char *>(address.c), 16), userAgent);
}

stats::StatsBuffer::Visit Tracker::visitOf(const http::Request &request) {
    return visitOf(clientOf(request), request.field(http::Field::UserAgent));
}

void Tracker::count(const http::Request &request, const QString &site, const Response &response) {
    stats::RequestRecord r;
    r.site = site;
    // The request outlives the record: its path is borrowed, and copied only for a new key.
    const QByteArrayView path = request.path();
    r.path = QByteArray::fromRawData(path.data(), std::min(path.size(), MaxPathBytes));
    r.status = response.status;
    r.bytes = response.bodyBytes(request.method());
    r.isPageView = r.status == 200 && request.method() == Method::Get &&
                   response.contentType.startsWith("text/html");
    if (r.isPageView) {
        r.referrerHost = stats::referrerHost(request.field(http::Field::Referer), request.host());
        const stats::StatsBuffer::Visit visit = visitOf(request);
        r.agent = visit.agent;
        r.visitor = visit.visitor;
    }
    r.at = std::time(nullptr);
    m_stats.record(r);
}

std::function<void(const Response &)> Tracker::counterFor(const http::Request &request,
                                                          const QString &site) {
    stats::RequestRecord r;
    r.site = site;
    const QByteArrayView path = request.path();
    r.path = path.first(std::min(path.size(), MaxPathBytes)).toByteArray();
    const Method method = request.method();
    const bool isGet = method == Method::Get;
    // A page view needs the referrer, agent and visitor, should the answer be HTML (rare for
    // a function): what they come from is copied now, the hashing waits for that answer.
    QHostAddress client;
    QByteArray userAgent;
    if (isGet) {
        r.referrerHost = stats::referrerHost(request.field(http::Field::Referer), request.host());
        userAgent = request.field(http::Field::UserAgent).toByteArray();
        client = clientOf(request);
    }
    return [this, r, method, client, userAgent](const Response &response) mutable {
        r.status = response.status;
        r.bytes = response.bodyBytes(method);
        r.isPageView = method == Method::Get && r.status == 200 &&
                       response.contentType.startsWith("text/html");
        if (r.isPageView) {
            const stats::StatsBuffer::Visit visit = visitOf(client, userAgent);
            r.agent = visit.agent;
            r.visitor = visit.visitor;
        } else {
            r.referrerHost.clear();
        }
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
                                ? Response(204)
                                : refuse(405, QStringLiteral("Send events with POST /track."));
        response.allow = "POST, OPTIONS";
        exchange.respond(std::move(response));
        return;
    }
    // A small event arrives in one piece, which is parsed where it lies; a body in pieces is
    // gathered first.
    exchange.receiveBody(MaxTrackBytes, [this, &exchange, site, gathered = QByteArray()](
                                            QByteArrayView piece, bool last) mutable {
        if (!last || !gathered.isEmpty())
            gathered.append(piece);
        if (!last)
            return;
        const http::Request &request = exchange.request();
        auto event =
            parseEvent(gathered.isEmpty() ? piece : QByteArrayView(gathered), site, request);
        if (!event) {
            exchange.respond(refuse(400, event.error().message));
            return;
        }
        const stats::StatsBuffer::Visit visit = visitOf(request);
        event->agent = visit.agent;
        event->visitor = visit.visitor;
        event->atMs = QDateTime::currentMSecsSinceEpoch();
        m_stats.record(*event);
        // Most answers of a busy server are this one: its head is made once and shared.
        static const QByteArray acceptedHead = [] {
            Response accepted(204);
            accepted.cacheControl = "no-store";
            return accepted.serializeHead();
        }();
        Response accepted(204);
        accepted.preparedHead = acceptedHead;
        exchange.respond(std::move(accepted));
    });
}

void Tracker::pixel(Exchange &exchange, const QString &site) {
    const http::Request &request = exchange.request();
    const Method method = request.method();
    if (method != Method::Get && method != Method::Head) {
        Response refused = refuse(405, QStringLiteral("The pixel is fetched with GET."));
        refused.allow = "GET, HEAD";
        exchange.respond(std::move(refused));
        return;
    }
    const QUrlQuery query(QString::fromUtf8(request.query()));
    QByteArray name = query.queryItemValue(QStringLiteral("e"), QUrl::FullyDecoded).toUtf8();
    if (name.isEmpty())
        name = "pageview";
    if (!isValidName(name)) {
        exchange.respond(refuse(400, QStringLiteral("'e' must be a name of 1 to %1 letters, "
                                                    "digits, spaces or _-.:/ characters.")
                                         .arg(MaxNameLength)));
        return;
    }
    const QByteArray givenPath =
        query.queryItemValue(QStringLiteral("p"), QUrl::FullyDecoded).toUtf8();
    QByteArrayView path;
    if (givenPath.isEmpty()) {
        path = pathFromReferer(request);
    } else {
        auto checked = eventPath(givenPath);
        if (!checked) {
            exchange.respond(refuse(400, checked.error().message));
            return;
        }
        path = *checked;
    }
    const QString referrer = query.queryItemValue(QStringLiteral("r"), QUrl::FullyDecoded);
    const QString referrerHost = referrer.isEmpty()
                                     ? stats::referrerHost(request.field(http::Field::Referer), request.host())
                                     : stats::referrerHost(referrer.toUtf8(), request.host());
    stats::Event event;
    event.site = site;
    event.setTexts(path, name, {}, referrerHost.toUtf8());
    const stats::StatsBuffer::Visit visit = visitOf(request);
    event.agent = visit.agent;
    event.visitor = visit.visitor;
    event.atMs = QDateTime::currentMSecsSinceEpoch();
    if (method != Method::Head)
        m_stats.record(event);
    Response gif = http::makeResponse(200, "image/gif", pixelGif());
    gif.cacheControl = "no-store, no-cache, must-revalidate, max-age=0";
    exchange.respond(std::move(gif));
}

} // namespace fazt::hosting
