#include "hosting/sitehandler.h"

#include "hosting/livereload.h"
#include "http/fieldvalues.h"
#include "http/responses.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>
#include <zlib.h>

namespace fazt::hosting {

using http::Exchange;
using http::Method;
using http::Response;

namespace {

constexpr qint64 OneYear = 31536000;

// The tag of a file's gzip variant: the same bytes, so If-None-Match treats it as the file's.
QByteArray gzipEtagOf(const vfs::FileInfo &file) {
    return '"' + file.hash.toHex() + "-gz\"";
}

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

} // namespace

// A preview revalidates everything: what is being edited must show on the next load. So do
// the dashboard's files (the only ones with extra headers): after an upgrade the browser must
// not mix new pages with old scripts, and a 304 from the pinned cache costs next to nothing.
Response SiteHandler::fileResponse(int status, const QString &site, const vfs::FileInfo &file,
                                   Encoding encoding) const {
    const bool isDashboard = site == m_dashboardSite && !m_dashboardSite.isEmpty();
    Response response(status);
    response.contentType = file.mime.toLatin1();
    response.etag = encoding == Encoding::Gzip ? gzipEtagOf(file) : file.etag();
    response.lastModified = file.modifiedAt;
    response.cacheControl =
        m_liveReload || isDashboard ? QByteArray("no-cache") : cacheControlFor(file);
    response.addHeader("Accept-Ranges", "bytes");
    if (isCompressible(file.mime))
        response.vary = "Accept-Encoding";
    if (encoding == Encoding::Gzip)
        response.contentEncoding = "gzip";
    if (isDashboard)
        response.headers.insert(response.headers.end(), m_dashboardHeaders.begin(),
                                m_dashboardHeaders.end());
    return response;
}

struct SiteHandler::Lookup {
    enum class Kind { File, Redirect, Missing, Invalid } kind = Kind::Missing;
    std::shared_ptr<const vfs::CachedFile> cached; // File, cacheable
    vfs::FileInfo file;                            // File
    QString location;                              // Redirect
    bool isCertain = true; // Missing: every read said "not found" (none failed)
};

SiteHandler::SiteHandler(vfs::Vfs &vfs, vfs::VfsCache &cache)
    : m_vfs(vfs)
    , m_cache(cache)
    , m_misses(vfs) {}

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

void SiteHandler::serve(Exchange &exchange, const QString &site, const Result<QString> &path) {
    const http::Request &request = exchange.request();
    const Method method = request.method();
    if (method != Method::Get && method != Method::Head) {
        if (method == Method::Options) {
            Response allow(204);
            allow.allow = "GET, HEAD, OPTIONS";
            exchange.respond(std::move(allow));
            return;
        }
        Response refused = http::errorResponse(
            405, QStringLiteral("A site's files can only be read (GET or HEAD)."));
        refused.allow = "GET, HEAD, OPTIONS";
        exchange.respond(std::move(refused));
        return;
    }
    if (!path) {
        exchange.respond(http::errorResponse(400, path.error().message));
        return;
    }
    // A site's function sources are never files to serve, also when no runtime took the
    // request (none configured, or the bundle could not be loaded).
    if (isFunctionPath(*path) && hasFunctions(site)) {
        exchange.respond(http::errorResponse(
            404,
            QStringLiteral("This site's /api/ addresses belong to its functions (api/main.js); "
                           "nothing under /api/ is served as a file.")));
        return;
    }
    // The cache key is the file path the request most directly names: "" and "dir/" mean
    // their index.html (so a site's root page is cached as "index.html").
    QString key = *path;
    if (key.isEmpty() || key.endsWith(u'/'))
        key += QLatin1String("index.html");
    if (auto cached = m_cache.find(site, key)) {
        serveFile(exchange, site, *cached, 200);
        return;
    }
    if (m_cacheFillGate && !m_cacheFillGate()) {
        Response busy = http::errorResponse(
            503, QStringLiteral("The server is short of memory right now. Retry in a few seconds."));
        busy.retryAfterSeconds = 5;
        exchange.respond(std::move(busy));
        return;
    }
    if (m_misses.isMissing(site, key)) {
        serveNotFound(exchange, site);
        return;
    }
    const quint64 seen = m_misses.generation();
    const Lookup found = resolve(site, key);
    switch (found.kind) {
    case Lookup::Kind::File:
        if (found.cached) {
            m_cache.insert(site, key, found.cached,
                           site == m_dashboardSite ? vfs::VfsCache::Pin::Yes
                                                   : vfs::VfsCache::Pin::No);
            serveFile(exchange, site, *found.cached, 200);
        } else {
            streamFile(exchange, site, found.file, 200);
        }
        return;
    case Lookup::Kind::Redirect: {
        QByteArray location = found.location.toUtf8().toPercentEncoding("/-._~!$&'()*+,;=:@");
        if (!request.query().isEmpty())
            location += '?' + request.query().toByteArray();
        Response redirect = http::makeResponse(301, "text/plain; charset=utf-8",
                                               "Moved to " + location + "\n");
        redirect.location = std::move(location);
        exchange.respond(std::move(redirect));
        return;
    }
    case Lookup::Kind::Invalid:
        exchange.respond(
            http::errorResponse(400, QStringLiteral("That address cannot name a file.")));
        return;
    case Lookup::Kind::Missing:
        if (found.isCertain)
            m_misses.rememberMissing(site, key, seen);
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
    bool isCertain = true;
    const auto noteAbsent = [&isCertain](const Error &error) {
        isCertain = isCertain && error.code == Error::Code::NotFound;
    };
    for (const QString &candidate : candidates) {
        auto normalized = vfs::Vfs::normalizePath(candidate);
        if (!normalized)
            return {Lookup::Kind::Invalid, {}, {}, {}, false};
        auto file = m_vfs.resolve(site, *normalized);
        if (!file) {
            noteAbsent(file.error());
            continue;
        }
        if (!m_cache.isCacheable(file->size))
            return {Lookup::Kind::File, nullptr, *file, {}, false};
        auto prepared = prepare(site, *file);
        if (!prepared)
            return {Lookup::Kind::File, nullptr, *file, {}, false};
        return {Lookup::Kind::File, prepared, *file, {}, false};
    }
    if (!namesDirectory) {
        if (auto normalized = vfs::Vfs::normalizePath(path + QLatin1String("/index.html"));
            normalized) {
            auto index = m_vfs.resolve(site, *normalized);
            if (index)
                return {Lookup::Kind::Redirect, nullptr, {}, u'/' + path + u'/', false};
            noteAbsent(index.error());
        }
    }
    Lookup missing;
    missing.isCertain = isCertain;
    return missing;
}

void SiteHandler::setDashboard(const QString &site, std::vector<http::Header> headers) {
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
    // The heads of the answers a cached file gets most are serialised once, here.
    Response plain = fileResponse(200, site, file, Encoding::Identity);
    plain.contentLength = entry->body.size();
    entry->head = plain.serializeHead();
    if (!entry->gzipBody.isEmpty()) {
        Response compressed = fileResponse(200, site, file, Encoding::Gzip);
        compressed.contentLength = entry->gzipBody.size();
        entry->gzipHead = compressed.serializeHead();
    }
    entry->notModifiedHead = fileResponse(304, site, file, Encoding::Identity).serializeHead();
    entry->contentType = std::move(plain.contentType);
    entry->etag = std::move(plain.etag);
    entry->gzipEtag = gzipEtagOf(file);
    return entry;
}

http::Validators SiteHandler::validatorsOf(const vfs::CachedFile &entry) {
    return {entry.etag, entry.gzipEtag, entry.info.modifiedAt, entry.info.size};
}

namespace {

// An answer whose head was prepared when the file entered the cache: nothing is built or
// copied per request.
Response preparedResponse(int status, const QByteArray &head, const vfs::CachedFile &entry,
                          const QByteArray &body) {
    Response response(status);
    response.preparedHead = head;
    response.contentType = entry.contentType;
    response.contentLength = body.size();
    response.body = body;
    return response;
}

Response unsatisfiable(qint64 size) {
    Response refused = http::makeResponse(416, "text/plain; charset=utf-8",
                                          "The requested range is outside the file.\n");
    refused.contentRange = "bytes */" + QByteArray::number(size);
    return refused;
}

QByteArray contentRangeOf(const http::ByteRange &range, qint64 size) {
    return "bytes " + QByteArray::number(range.first) + '-' + QByteArray::number(range.last) +
           '/' + QByteArray::number(size);
}

} // namespace

void SiteHandler::serveFile(Exchange &exchange, const QString &site, const vfs::CachedFile &entry,
                            int status) {
    const http::Request &request = exchange.request();
    if (status == 200) {
        const http::Selection selection = http::select(request, validatorsOf(entry));
        switch (selection.kind) {
        case http::Selection::Kind::NotModified:
            exchange.respond(preparedResponse(304, entry.notModifiedHead, entry, {}));
            return;
        case http::Selection::Kind::Unsatisfiable:
            exchange.respond(unsatisfiable(entry.info.size));
            return;
        case http::Selection::Kind::Partial: {
            const http::ByteRange range = selection.range;
            Response partial = fileResponse(206, site, entry.info, Encoding::Identity);
            partial.contentRange = contentRangeOf(range, entry.info.size);
            partial.body = entry.body.mid(range.first, range.length());
            exchange.respond(std::move(partial));
            return;
        }
        case http::Selection::Kind::Full:
            break;
        }
    }
    const bool useGzip = !entry.gzipBody.isEmpty() &&
                         http::acceptsCoding(request.field(http::Field::AcceptEncoding), "gzip");
    const QByteArray &body = useGzip ? entry.gzipBody : entry.body;
    if (status == 200) {
        exchange.respond(
            preparedResponse(200, useGzip ? entry.gzipHead : entry.head, entry, body));
        return;
    }
    // Another status (the site's 404 page): same body, head built for it.
    Response response =
        fileResponse(status, site, entry.info, useGzip ? Encoding::Gzip : Encoding::Identity);
    response.body = body;
    exchange.respond(std::move(response));
}

void SiteHandler::streamFile(Exchange &exchange, const QString &site, const vfs::FileInfo &file,
                             int status) {
    http::ByteRange range{0, file.size - 1};
    Response response(status);
    if (status == 200) {
        const QByteArray etag = file.etag();
        const QByteArray gzipEtag = gzipEtagOf(file);
        const http::Selection selection =
            http::select(exchange.request(), {etag, gzipEtag, file.modifiedAt, file.size});
        switch (selection.kind) {
        case http::Selection::Kind::NotModified:
            exchange.respond(fileResponse(304, site, file, Encoding::Identity));
            return;
        case http::Selection::Kind::Unsatisfiable:
            exchange.respond(unsatisfiable(file.size));
            return;
        case http::Selection::Kind::Partial:
            range = selection.range;
            response = fileResponse(206, site, file, Encoding::Identity);
            response.contentRange = contentRangeOf(range, file.size);
            break;
        case http::Selection::Kind::Full:
            response = fileResponse(200, site, file, Encoding::Identity);
            break;
        }
    } else {
        response = fileResponse(status, site, file, Encoding::Identity);
    }
    response.contentLength = range.length();
    if (file.size > 0 && Response::hasBody(exchange.request().method(), response.status))
        response.stream = std::make_unique<BlobSource>(m_vfs.open(file), range.first, range.last);
    exchange.respond(std::move(response));
}

LookupCache::Fallback SiteHandler::fallbackOf(const QString &site) {
    if (const auto known = m_misses.fallback(site))
        return *known;
    const quint64 seen = m_misses.generation();
    const auto info = m_vfs.site(site);
    if (!info) {
        // A failed read is not remembered: only a site that is not there.
        if (info.error().code == Error::Code::NotFound)
            m_misses.rememberFallback(site, LookupCache::Fallback::NoSuchSite, seen);
        return LookupCache::Fallback::NoSuchSite;
    }
    const QJsonObject settings = QJsonDocument::fromJson(info->settings.toUtf8()).object();
    const LookupCache::Fallback fallback = settings.value(QLatin1String("spa")).toBool()
                                               ? LookupCache::Fallback::SinglePageApp
                                               : LookupCache::Fallback::NotFoundPage;
    m_misses.rememberFallback(site, fallback, seen);
    return fallback;
}

void SiteHandler::serveNotFound(Exchange &exchange, const QString &site) {
    const LookupCache::Fallback fallback = fallbackOf(site);
    if (fallback == LookupCache::Fallback::NoSuchSite) {
        exchange.respond(http::errorResponse(
            404, QStringLiteral("There is no site named '%1' on this server.").arg(site)));
        return;
    }
    const bool isSpa = fallback == LookupCache::Fallback::SinglePageApp;
    const QString pagePath = isSpa ? QStringLiteral("index.html") : QStringLiteral("404.html");
    std::shared_ptr<const vfs::CachedFile> page = m_cache.find(site, pagePath);
    if (!page && !m_misses.isMissing(site, pagePath)) {
        const quint64 seen = m_misses.generation();
        if (auto file = m_vfs.resolve(site, pagePath); file && m_cache.isCacheable(file->size)) {
            page = prepare(site, *file);
            if (page)
                m_cache.insert(site, pagePath, page);
        } else if (!file && file.error().code == Error::Code::NotFound) {
            m_misses.rememberMissing(site, pagePath, seen);
        }
    }
    if (page) {
        serveFile(exchange, site, *page, isSpa ? 200 : 404);
        return;
    }
    exchange.respond(
        http::errorResponse(404, QStringLiteral("This site has no page at this address.")));
}

} // namespace fazt::hosting
