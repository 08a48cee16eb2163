#include "hosting/sitehandler.h"

#include "hosting/functions/functionruntime.h"
#include "hosting/livereload.h"
#include "http/responses.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStringDecoder>

#include <algorithm>
#include <zlib.h>

namespace fazt::hosting {

using http::Exchange;
using http::HeadBuilder;
using http::Method;
using http::Response;

namespace {

constexpr qint64 OneYear = 31536000;

bool isHtml(const vfs::FileInfo &file) {
    return file.mime.startsWith(QLatin1String("text/html"));
}

QByteArray cacheControlFor(const vfs::FileInfo &file) {
    if (isHtml(file))
        return "no-cache"; // always revalidate: a new deploy shows at once
    if (SiteHandler::isFingerprinted(file.path))
        return "public, max-age=" + QByteArray::number(OneYear) + ", immutable";
    return "public, max-age=300";
}

// gzip at cache-fill time, once per file; never per request.
QByteArray gzip(const QByteArray &data) {
    z_stream stream{};
    if (deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    QByteArray out(qsizetype(deflateBound(&stream, uLong(data.size()))), Qt::Uninitialized);
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    stream.avail_in = uInt(data.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = uInt(out.size());
    const int rc = deflate(&stream, Z_FINISH);
    out.truncate(qsizetype(stream.total_out));
    deflateEnd(&stream);
    return rc == Z_STREAM_END ? out : QByteArray();
}

bool acceptsGzip(QByteArrayView acceptEncoding) {
    // "gzip", "gzip;q=0.8", but not "gzip;q=0"
    for (QByteArrayView part :
         QByteArray::fromRawData(acceptEncoding.data(), acceptEncoding.size()).split(',')) {
        part = part.trimmed();
        const qsizetype semi = part.indexOf(';');
        const QByteArrayView coding = (semi < 0 ? part : part.first(semi)).trimmed();
        if (coding.compare("gzip", Qt::CaseInsensitive) != 0)
            continue;
        if (semi < 0)
            return true;
        const QByteArrayView params = part.sliced(semi + 1).trimmed();
        return !(params.startsWith("q=0") && !params.contains('.')) && params != "q=0.0" &&
               params != "q=0.00" && params != "q=0.000";
    }
    return false;
}

// If-None-Match: "*", or a list of (possibly weak) tags compared weakly.
bool etagMatches(QByteArrayView ifNoneMatch, const QByteArray &hashHex) {
    if (ifNoneMatch.trimmed() == "*")
        return true;
    for (QByteArray tag :
         QByteArray::fromRawData(ifNoneMatch.data(), ifNoneMatch.size()).split(',')) {
        tag = tag.trimmed();
        if (tag.startsWith("W/"))
            tag = tag.mid(2);
        if (tag.size() < 2 || !tag.startsWith('"') || !tag.endsWith('"'))
            continue;
        tag = tag.mid(1, tag.size() - 2);
        if (tag.endsWith("-gz"))
            tag.chop(3);
        if (tag == hashHex)
            return true;
    }
    return false;
}

struct ByteRange {
    enum class Kind { None, Satisfiable, Unsatisfiable } kind = Kind::None;
    qint64 first = 0;
    qint64 last = 0; // inclusive
};

// One "bytes=" range; a list of several is served whole (200), as RFC 9110 allows.
ByteRange parseRange(QByteArrayView header, qint64 size) {
    if (!header.startsWith("bytes="))
        return {};
    const QByteArrayView spec = header.sliced(6).trimmed();
    if (spec.contains(','))
        return {};
    const qsizetype dash = spec.indexOf('-');
    if (dash < 0)
        return {};
    bool okFirst = false, okLast = false;
    const QByteArrayView firstText = spec.first(dash).trimmed();
    const QByteArrayView lastText = spec.sliced(dash + 1).trimmed();
    const qint64 first = firstText.isEmpty() ? -1 : firstText.toLongLong(&okFirst);
    const qint64 last = lastText.isEmpty() ? -1 : lastText.toLongLong(&okLast);
    if ((!firstText.isEmpty() && (!okFirst || first < 0)) ||
        (!lastText.isEmpty() && (!okLast || last < 0)))
        return {};             // malformed: ignore the header
    if (firstText.isEmpty()) { // suffix: the last N bytes
        if (lastText.isEmpty())
            return {};
        if (last == 0 || size == 0)
            return {ByteRange::Kind::Unsatisfiable};
        return {ByteRange::Kind::Satisfiable, std::max<qint64>(0, size - last), size - 1};
    }
    if (!lastText.isEmpty() && last < first)
        return {};
    if (first >= size)
        return {ByteRange::Kind::Unsatisfiable};
    return {ByteRange::Kind::Satisfiable, first,
            lastText.isEmpty() ? size - 1 : std::min(last, size - 1)};
}

// Reads [first, last] of a stored blob chunk by chunk, for the connection to pull. The pieces
// are a few buffers of its own, reused once the connection has sent them (when it holds no
// copy any more): a large download costs no allocation, copy or page fault per chunk.
class BlobSource : public http::BodySource {
public:
    BlobSource(std::unique_ptr<vfs::BlobReader> reader, qint64 first, qint64 last)
        : m_reader(std::move(reader))
        , m_position(first)
        , m_end(last + 1) {}

    Result<QByteArray> next(qint64 maxBytes) override {
        if (m_position >= m_end)
            return QByteArray();
        const qint64 chunkSize = m_reader->chunkSize();
        const qint64 index = m_position / chunkSize;
        const qint64 from = m_position - index * chunkSize;
        const qint64 chunkBytes = std::min(chunkSize, m_reader->size() - index * chunkSize);
        const qint64 length = std::min({chunkBytes - from, m_end - m_position, maxBytes});
        QByteArray &buffer = freeBuffer(chunkSize);
        buffer.resize(length);
        if (Status read = m_reader->readInto(index, from, buffer.data(), length); !read)
            return read.error();
        m_position += length;
        return buffer; // shared: it comes back free when the connection lets go
    }

private:
    // More than the connection keeps in flight (StreamHighWater) plus the one being filled.
    static constexpr int MaxBuffers = 4;

    QByteArray &freeBuffer(qint64 chunkSize) {
        for (QByteArray &buffer : m_buffers)
            if (buffer.isDetached())
                return buffer;
        if (m_buffers.size() == MaxBuffers)
            m_buffers.erase(m_buffers.begin()); // still held: let it go with its holder
        m_buffers.emplace_back(chunkSize, Qt::Uninitialized);
        return m_buffers.back();
    }

    std::unique_ptr<vfs::BlobReader> m_reader;
    qint64 m_position;
    qint64 m_end;
    std::vector<QByteArray> m_buffers;
};

QByteArray buildFileHead(int status, const vfs::FileInfo &file, qint64 length, bool isGzip,
                         const QByteArray &cacheControl, QByteArrayView extraHeaders) {
    HeadBuilder head(status);
    http::addStandardHeaders(head);
    head.add("Content-Type", file.mime.toLatin1());
    if (status != 304)
        head.add("Content-Length", length);
    head.add("ETag", isGzip ? '"' + file.hash.toHex() + "-gz\"" : file.etag());
    head.add("Last-Modified", http::httpDate(file.modifiedAt));
    head.add("Cache-Control", cacheControl);
    head.add("Accept-Ranges", "bytes");
    if (SiteHandler::isCompressible(file.mime))
        head.add("Vary", "Accept-Encoding");
    if (isGzip)
        head.add("Content-Encoding", "gzip");
    return head.take() + extraHeaders.toByteArray();
}

} // namespace

// A preview revalidates everything: what is being edited must show on the next load. So do
// the dashboard's files (the only ones with extra headers): after an upgrade the browser must
// not mix new pages with old scripts, and a 304 from the pinned cache costs next to nothing.
QByteArray SiteHandler::fileHead(int status, const vfs::FileInfo &file, qint64 length,
                                 bool isGzip, QByteArrayView extraHeaders) const {
    const bool revalidate = m_liveReload || !extraHeaders.isEmpty();
    return buildFileHead(status, file, length, isGzip,
                         revalidate ? QByteArray("no-cache") : cacheControlFor(file),
                         extraHeaders);
}

struct SiteHandler::Lookup {
    enum class Kind { File, Redirect, Missing, Invalid } kind = Kind::Missing;
    std::shared_ptr<const vfs::CachedFile> cached; // File, cacheable
    vfs::FileInfo file;                            // File
    QString location;                              // Redirect
};

SiteHandler::SiteHandler(vfs::Vfs &vfs, vfs::VfsCache &cache, HostRouter &router)
    : m_vfs(vfs)
    , m_cache(cache)
    , m_router(router)
    , m_knownSites(vfs) {}

Result<QString> SiteHandler::decodePath(QByteArrayView raw) {
    QString path;
    // Most addresses are plain ASCII without escapes: taken as they are.
    if (std::all_of(raw.begin(), raw.end(), [](char c) {
            const auto byte = static_cast<unsigned char>(c);
            return byte != 0 && byte < 0x80 && c != '%';
        })) {
        path = QString::fromLatin1(raw);
    } else {
        QByteArray decoded;
        decoded.reserve(raw.size());
        for (qsizetype i = 0; i < raw.size(); ++i) {
            const char c = raw[i];
            if (c != '%') {
                decoded.append(c);
                continue;
            }
            const int hi = i + 2 < raw.size() ? http::hexDigitValue(raw[i + 1]) : -1;
            const int lo = i + 2 < raw.size() ? http::hexDigitValue(raw[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return Error::invalid(QStringLiteral("The address has a malformed %-escape."));
            decoded.append(char(hi * 16 + lo));
            i += 2;
        }
        if (decoded.contains('\0'))
            return Error::invalid(QStringLiteral("The address contains a NUL byte."));
        QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        path = utf8(decoded);
        if (utf8.hasError())
            return Error::invalid(QStringLiteral("The address is not valid UTF-8."));
    }
    QStringList kept;
    const QStringList segments = path.split(u'/');
    for (const QString &segment : segments) {
        if (segment == QLatin1String(".."))
            return Error::invalid(QStringLiteral("The address may not contain '..'."));
        if (segment.contains(u'\\'))
            return Error::invalid(QStringLiteral("The address may not contain a backslash."));
        if (!segment.isEmpty() && segment != QLatin1String("."))
            kept.append(segment);
    }
    // "/docs/" and "/docs/." name the folder (its index.html): the trailing '/' stays.
    const bool namesFolder = segments.last().isEmpty() || segments.last() == QLatin1String(".");
    QString normalised = kept.join(u'/');
    if (namesFolder && !normalised.isEmpty())
        normalised += u'/';
    return normalised;
}

bool SiteHandler::isFunctionPath(QStringView path) {
    return path == u"api" || path.startsWith(u"api/");
}

bool SiteHandler::isFingerprinted(const QString &path) {
    const QString name = path.section(u'/', -1);
    const qsizetype extension = name.lastIndexOf(u'.');
    if (extension <= 0)
        return false;
    const QString stem = name.left(extension);
    for (const QStringView part :
         QStringView(stem).split(QRegularExpression(QStringLiteral("[.-]")))) {
        if (part.size() < 8)
            continue;
        bool hasDigit = false, isToken = true;
        for (QChar ch : part) {
            hasDigit |= ch.isDigit();
            isToken &= ch.unicode() < 128 && (ch.isLetterOrNumber() || ch == u'_');
        }
        if (hasDigit && isToken)
            return true;
    }
    return false;
}

bool SiteHandler::isCompressible(const QString &mime) {
    return mime.startsWith(QLatin1String("text/")) ||
           mime.startsWith(QLatin1String("application/json")) ||
           mime.startsWith(QLatin1String("application/javascript")) ||
           mime.contains(QLatin1String("xml")) ||
           mime.startsWith(QLatin1String("application/manifest+json")) ||
           mime == QLatin1String("application/wasm") || mime == QLatin1String("image/x-icon");
}

void SiteHandler::handle(Exchange &exchange) {
    const http::Request &request = exchange.request();
    const HostRouter::Route route = m_router.route(request.host());
    const bool isHead = request.method() == Method::Head;
    switch (route.kind) {
    case HostRouter::Route::Kind::Site: {
        // Decoded and normalised once: the same path decides "function or file" and, for a
        // file, which one, so no spelling of /api/... (//api, /./api, /%61pi, /api%2f...)
        // reaches the static files of a site that has functions.
        const Result<QString> path = decodePath(request.path());
        if (m_liveReload && m_liveReload->handle(exchange))
            return;
        Tracker *tracker = m_tracker && m_knownSites.contains(route.site) ? m_tracker : nullptr;
        if (path && m_functions && isFunctionPath(*path) &&
            m_functions->handle(exchange, route.site, u'/' + *path,
                                tracker ? tracker->counterFor(request, route.site)
                                        : FunctionRuntime::Counter()))
            return;
        if (tracker) {
            if (tracker->handleEndpoint(exchange, route.site))
                return;
            Tracker::CountingExchange counted(exchange, *tracker, route.site);
            serveSite(counted, route.site, path);
            return;
        }
        serveSite(exchange, route.site, path);
        return;
    }
    case HostRouter::Route::Kind::Admin:
        if (m_admin && !m_dashboardSite.isEmpty()) {
            // The dashboard's files: everything but the API (/health and /metrics were
            // answered before this handler).
            const Result<QString> path = decodePath(request.path());
            if (!path || !isFunctionPath(*path)) {
                serveSite(exchange, m_dashboardSite, path);
                return;
            }
        }
        if (m_admin) {
            m_admin->handle(exchange);
            return;
        }
        exchange.respond(http::errorResponse(
            404, QStringLiteral("This server has no admin interface here."), isHead));
        return;
    case HostRouter::Route::Kind::Unknown:
        exchange.respond(
            http::errorResponse(404,
                                QStringLiteral("No site is configured for the host '%1'.")
                                    .arg(QString::fromLatin1(request.host().first(
                                        std::min<qsizetype>(200, request.host().size())))),
                                isHead));
        return;
    }
}

void SiteHandler::serveSite(Exchange &exchange, const QString &site, const Result<QString> &path) {
    const http::Request &request = exchange.request();
    const Method method = request.method();
    if (method != Method::Get && method != Method::Head) {
        if (method == Method::Options) {
            Response allow = http::makeResponse(204, {}, {});
            allow.head.append("Allow: GET, HEAD, OPTIONS\r\n");
            exchange.respond(std::move(allow));
            return;
        }
        Response refused = http::errorResponse(
            405, QStringLiteral("A site's files can only be read (GET or HEAD)."));
        refused.head.append("Allow: GET, HEAD, OPTIONS\r\n");
        exchange.respond(std::move(refused));
        return;
    }
    const bool isHead = method == Method::Head;
    if (!path) {
        exchange.respond(http::errorResponse(400, path.error().message, isHead));
        return;
    }
    // A site's function sources are never files to serve, also when no runtime took the
    // request (none configured, or the bundle could not be loaded).
    if (isFunctionPath(*path) && hasFunctions(site)) {
        exchange.respond(http::errorResponse(
            404,
            QStringLiteral("This site's /api/ addresses belong to its functions (api/main.js); "
                           "nothing under /api/ is served as a file."),
            isHead));
        return;
    }
    // The cache key is the file path the request most directly names: "" and "dir/" mean
    // their index.html (so a site's root page is cached as "index.html").
    QString key = *path;
    if (key.isEmpty() || key.endsWith(u'/'))
        key += QLatin1String("index.html");
    if (auto cached = m_cache.find(site, key)) {
        serveFile(exchange, *cached, 200);
        return;
    }
    if (m_cacheFillGate && !m_cacheFillGate()) {
        Response busy = http::errorResponse(
            503, QStringLiteral("The server is short of memory right now. Retry in a few seconds."),
            isHead);
        busy.head.append("Retry-After: 5\r\n");
        exchange.respond(std::move(busy));
        return;
    }
    const Lookup found = resolve(site, key);
    switch (found.kind) {
    case Lookup::Kind::File:
        if (found.cached) {
            m_cache.insert(site, key, found.cached,
                           site == m_dashboardSite ? vfs::VfsCache::Pin::Yes
                                                   : vfs::VfsCache::Pin::No);
            serveFile(exchange, *found.cached, 200);
        } else {
            streamFile(exchange, site, found.file, 200);
        }
        return;
    case Lookup::Kind::Redirect: {
        QByteArray location = found.location.toUtf8().toPercentEncoding("/-._~!$&'()*+,;=:@");
        if (!request.query().isEmpty())
            location += '?' + request.query().toByteArray();
        Response redirect = http::makeResponse(301, "text/plain; charset=utf-8",
                                               "Moved to " + location + "\n", isHead);
        redirect.head.append("Location: " + location + "\r\n");
        exchange.respond(std::move(redirect));
        return;
    }
    case Lookup::Kind::Invalid:
        exchange.respond(
            http::errorResponse(400, QStringLiteral("That address cannot name a file."), isHead));
        return;
    case Lookup::Kind::Missing:
        serveNotFound(exchange, site);
        return;
    }
}

bool SiteHandler::hasFunctions(const QString &site) {
    return bool(m_vfs.resolve(site, QStringLiteral("api/main.js")));
}

// Clean URLs: "a" is a.html or a/ (redirect); "a/" is a/index.html.
SiteHandler::Lookup SiteHandler::resolve(const QString &site, const QString &path) {
    QStringList candidates{path};
    const bool namesDirectory = path.endsWith(QLatin1String("index.html")) &&
                                (path.size() == 10 || path.at(path.size() - 11) == u'/');
    if (!namesDirectory && !path.endsWith(QLatin1String(".html")))
        candidates.append(path + QLatin1String(".html"));
    for (const QString &candidate : candidates) {
        auto normalized = vfs::Vfs::normalizePath(candidate);
        if (!normalized)
            return {Lookup::Kind::Invalid, {}, {}, {}};
        auto file = m_vfs.resolve(site, *normalized);
        if (!file)
            continue;
        if (!m_cache.isCacheable(file->size))
            return {Lookup::Kind::File, nullptr, *file, {}};
        auto prepared = prepare(site, *file);
        if (!prepared)
            return {Lookup::Kind::File, nullptr, *file, {}};
        return {Lookup::Kind::File, prepared, *file, {}};
    }
    if (!namesDirectory) {
        if (auto normalized = vfs::Vfs::normalizePath(path + QLatin1String("/index.html"));
            normalized) {
            if (m_vfs.resolve(site, *normalized))
                return {Lookup::Kind::Redirect, nullptr, {}, u'/' + path + u'/'};
        }
    }
    return {};
}

void SiteHandler::setDashboard(const QString &site, QByteArray headers) {
    m_dashboardSite = site;
    m_dashboardHeaders = std::move(headers);
}

Result<int> SiteHandler::pinDashboard() {
    auto site = m_vfs.site(m_dashboardSite);
    if (!site)
        return site.error();
    if (!site->activeDeployId)
        return Error::notFound(
            QStringLiteral("The dashboard site '%1' has no active deploy.").arg(m_dashboardSite));
    auto files = m_vfs.files(site->activeDeployId);
    if (!files)
        return files.error();
    int pinned = 0;
    for (const vfs::FileInfo &file : *files) {
        auto prepared = prepare(m_dashboardSite, file);
        if (!prepared)
            return Error::io(QStringLiteral("Cannot read the dashboard's %1.").arg(file.path));
        if (!m_cache.insert(m_dashboardSite, file.path, prepared, vfs::VfsCache::Pin::Yes))
            return Error{
                Error::Code::TooLarge,
                QStringLiteral("The dashboard's %1 (%2 bytes) does not fit in the file cache.")
                    .arg(file.path)
                    .arg(file.size)};
        ++pinned;
    }
    return pinned;
}

std::shared_ptr<const vfs::CachedFile> SiteHandler::prepare(const QString &site,
                                                            const vfs::FileInfo &file) {
    const QByteArrayView extra =
        site == m_dashboardSite ? QByteArrayView(m_dashboardHeaders) : QByteArrayView();
    auto body = m_vfs.readAll(file);
    if (!body)
        return nullptr;
    auto entry = std::make_shared<vfs::CachedFile>();
    entry->info = file;
    entry->body =
        m_liveReload && isHtml(file) ? LiveReload::inject(std::move(*body)) : std::move(*body);
    if (isCompressible(file.mime) && entry->body.size() >= 256) {
        QByteArray compressed = gzip(entry->body);
        if (!compressed.isEmpty() && compressed.size() < entry->body.size() * 9 / 10)
            entry->gzipBody = std::move(compressed);
    }
    entry->head = fileHead(200, file, entry->body.size(), false, extra);
    if (!entry->gzipBody.isEmpty())
        entry->gzipHead = fileHead(200, file, entry->gzipBody.size(), true, extra);
    entry->notModifiedHead = fileHead(304, file, 0, false, extra);
    return entry;
}

void SiteHandler::serveFile(Exchange &exchange, const vfs::CachedFile &entry, int status) {
    const http::Request &request = exchange.request();
    const bool isHead = request.method() == Method::Head;
    const vfs::FileInfo &file = entry.info;
    if (status == 200) {
        const QByteArrayView ifNoneMatch = request.field("If-None-Match");
        bool isNotModified = false;
        if (!ifNoneMatch.isEmpty()) {
            isNotModified = etagMatches(ifNoneMatch, file.hash.toHex());
        } else if (const QByteArrayView since = request.field("If-Modified-Since");
                   !since.isEmpty()) {
            const qint64 t = http::parseHttpDate(since);
            isNotModified = t >= 0 && file.modifiedAt <= t;
        }
        if (isNotModified) {
            exchange.respond(Response{entry.notModifiedHead, {}, nullptr, false});
            return;
        }
        if (const QByteArrayView range = request.field("Range"); !range.isEmpty()) {
            const QByteArrayView ifRange = request.field("If-Range");
            if (ifRange.isEmpty() || ifRange.trimmed() == file.etag()) {
                const ByteRange r = parseRange(range, file.size);
                if (r.kind == ByteRange::Kind::Unsatisfiable) {
                    Response refused =
                        http::makeResponse(416, "text/plain; charset=utf-8",
                                           "The requested range is outside the file.\n", isHead);
                    refused.head.append("Content-Range: bytes */" + QByteArray::number(file.size) +
                                        "\r\n");
                    exchange.respond(std::move(refused));
                    return;
                }
                if (r.kind == ByteRange::Kind::Satisfiable) {
                    QByteArray head = fileHead(206, file, r.last - r.first + 1, false);
                    head.append("Content-Range: bytes " + QByteArray::number(r.first) + '-' +
                                QByteArray::number(r.last) + '/' + QByteArray::number(file.size) +
                                "\r\n");
                    exchange.respond(Response{
                        std::move(head),
                        isHead ? QByteArray() : entry.body.mid(r.first, r.last - r.first + 1),
                        nullptr, false});
                    return;
                }
            }
        }
    }
    const bool useGzip = !entry.gzipBody.isEmpty() && acceptsGzip(request.field("Accept-Encoding"));
    if (status == 200) {
        exchange.respond(Response{useGzip ? entry.gzipHead : entry.head,
                                  isHead ? QByteArray() : (useGzip ? entry.gzipBody : entry.body),
                                  nullptr, false});
        return;
    }
    // Another status (the site's 404 page): same body, head built for it.
    QByteArray head =
        fileHead(status, file, useGzip ? entry.gzipBody.size() : entry.body.size(), useGzip);
    exchange.respond(Response{std::move(head),
                              isHead ? QByteArray() : (useGzip ? entry.gzipBody : entry.body),
                              nullptr, false});
}

void SiteHandler::streamFile(Exchange &exchange, const QString &site, const vfs::FileInfo &file,
                             int status) {
    const QByteArrayView extra =
        site == m_dashboardSite ? QByteArrayView(m_dashboardHeaders) : QByteArrayView();
    const http::Request &request = exchange.request();
    const bool isHead = request.method() == Method::Head;
    if (status == 200) {
        if (const QByteArrayView inm = request.field("If-None-Match");
            !inm.isEmpty() && etagMatches(inm, file.hash.toHex())) {
            exchange.respond(Response{fileHead(304, file, 0, false, extra), {}, nullptr, false});
            return;
        }
    }
    qint64 first = 0, last = file.size - 1;
    QByteArray head;
    const QByteArrayView range = status == 200 ? request.field("Range") : QByteArrayView();
    const QByteArrayView ifRange = request.field("If-Range");
    const ByteRange r =
        (!range.isEmpty() && (ifRange.isEmpty() || ifRange.trimmed() == file.etag()))
            ? parseRange(range, file.size)
            : ByteRange{};
    if (r.kind == ByteRange::Kind::Unsatisfiable) {
        Response refused = http::makeResponse(416, "text/plain; charset=utf-8",
                                              "The requested range is outside the file.\n", isHead);
        refused.head.append("Content-Range: bytes */" + QByteArray::number(file.size) + "\r\n");
        exchange.respond(std::move(refused));
        return;
    }
    if (r.kind == ByteRange::Kind::Satisfiable) {
        first = r.first;
        last = r.last;
        head = fileHead(206, file, last - first + 1, false, extra);
        head.append("Content-Range: bytes " + QByteArray::number(first) + '-' +
                    QByteArray::number(last) + '/' + QByteArray::number(file.size) + "\r\n");
    } else {
        head = fileHead(status, file, file.size, false, extra);
    }
    Response response{std::move(head), {}, nullptr, false};
    if (!isHead && file.size > 0)
        response.stream = std::make_unique<BlobSource>(m_vfs.open(file), first, last);
    exchange.respond(std::move(response));
}

void SiteHandler::serveNotFound(Exchange &exchange, const QString &site) {
    const bool isHead = exchange.request().method() == Method::Head;
    auto info = m_vfs.site(site);
    if (!info) {
        exchange.respond(http::errorResponse(
            404, QStringLiteral("There is no site named '%1' on this server.").arg(site), isHead));
        return;
    }
    const QJsonObject settings = QJsonDocument::fromJson(info->settings.toUtf8()).object();
    const bool isSpa = settings.value(QLatin1String("spa")).toBool();
    const QString fallback = isSpa ? QStringLiteral("index.html") : QStringLiteral("404.html");
    std::shared_ptr<const vfs::CachedFile> page = m_cache.find(site, fallback);
    if (!page) {
        if (auto file = m_vfs.resolve(site, fallback); file && m_cache.isCacheable(file->size)) {
            page = prepare(site, *file);
            if (page)
                m_cache.insert(site, fallback, page);
        }
    }
    if (page) {
        serveFile(exchange, *page, isSpa ? 200 : 404);
        return;
    }
    exchange.respond(
        http::errorResponse(404, QStringLiteral("This site has no page at this address."), isHead));
}

} // namespace fazt::hosting
