#include "tls/acmeclient.h"

#include "certs/certstore.h"
#include "crypto/sha256.h"
#include "tls/jws.h"

#include <QDateTime>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QTimer>

namespace fazt::tls {

namespace {

constexpr int AbortCheckMs = 100;
constexpr qint64 DefaultPollMs = 1000;
constexpr qint64 MaxPollMs = 60'000;
constexpr qsizetype MaxReplyBytes = 1 << 20;

QString problemText(const QByteArray &body, int status) {
    auto problem = acme::parseProblem(body);
    if (problem)
        return problem->describe();
    return QStringLiteral("HTTP status %1").arg(status);
}

} // namespace

AcmeClient::AcmeClient(certs::CertStore &store, Options options)
    : m_store(store)
    , m_options(std::move(options)) {}

AcmeClient::~AcmeClient() = default;

Result<AcmeClient::Reply> AcmeClient::send(const QByteArray &method, const QUrl &url,
                                           const QByteArray &body, const QByteArray &accept) {
    if (m_isAborted)
        return Error::conflict(QStringLiteral("The ACME conversation was stopped."));
    QNetworkRequest request(url);
    request.setRawHeader("User-Agent", "fazt/" FAZT_VERSION);
    if (!accept.isEmpty())
        request.setRawHeader("Accept", accept);
    if (method == "POST")
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/jose+json"));
    if (!m_options.extraRoots.isEmpty()) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(m_options.extraRoots);
        request.setSslConfiguration(ssl);
    }
    request.setTransferTimeout(m_options.requestTimeoutMs);
    if (!m_network) { // created on the thread that talks to the CA
        m_network = std::make_unique<QNetworkAccessManager>();
        m_network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    }
    QNetworkReply *reply = m_network->sendCustomRequest(request, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer abortCheck;
    QObject::connect(&abortCheck, &QTimer::timeout, &loop, [&] {
        if (m_isAborted)
            reply->abort();
    });
    abortCheck.start(AbortCheckMs);
    if (!reply->isFinished())
        loop.exec();
    std::unique_ptr<QNetworkReply, void (*)(QNetworkReply *)> owner(
        reply, [](QNetworkReply *r) { r->deleteLater(); });
    Reply result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (result.status == 0)
        return Error::io(QStringLiteral("Cannot reach the ACME server at %1: %2")
                             .arg(url.toString(), reply->errorString()));
    result.body = reply->read(MaxReplyBytes);
    result.location = reply->rawHeader("Location");
    result.retryAfter = reply->rawHeader("Retry-After");
    if (const QByteArray nonce = reply->rawHeader("Replay-Nonce"); !nonce.isEmpty())
        m_nonce = nonce;
    return result;
}

Status AcmeClient::loadDirectory() {
    if (m_hasDirectory)
        return {};
    auto reply = send("GET", m_options.directory, {}, "application/json");
    if (!reply)
        return reply.error();
    if (reply->status != 200)
        return Error::io(
            QStringLiteral("The ACME directory %1 answered %2.")
                .arg(m_options.directory.toString(), problemText(reply->body, reply->status)));
    auto directory = acme::parseDirectory(reply->body);
    if (!directory)
        return directory.error();
    if (directory->requiresExternalAccount)
        return Error::invalid(QStringLiteral("The CA at %1 requires external account binding, "
                                             "which fazt does not support.")
                                  .arg(m_options.directory.toString()));
    m_directory = *directory;
    m_hasDirectory = true;
    return {};
}

Result<QByteArray> AcmeClient::takeNonce() {
    if (m_nonce.isEmpty()) {
        auto reply = send("HEAD", QUrl(m_directory.newNonce), {}, {});
        if (!reply)
            return reply.error();
        if (m_nonce.isEmpty())
            return Error::io(QStringLiteral("The CA gave no Replay-Nonce."));
    }
    return std::exchange(m_nonce, QByteArray());
}

Result<AcmeClient::Reply> AcmeClient::post(const QString &url, const QByteArray &payload,
                                           bool isAsGet, const QByteArray &accept) {
    for (int attempt = 0;; ++attempt) {
        auto nonce = takeNonce();
        if (!nonce)
            return nonce.error();
        QJsonObject header{{QStringLiteral("alg"), QStringLiteral("ES256")},
                           {QStringLiteral("nonce"), QString::fromLatin1(*nonce)},
                           {QStringLiteral("url"), url}};
        if (m_accountUrl.isEmpty())
            header.insert(QStringLiteral("jwk"), jwk(m_accountKey.get()));
        else
            header.insert(QStringLiteral("kid"), m_accountUrl);
        const QByteArray jws =
            signJws(m_accountKey.get(), header, isAsGet ? QByteArray() : payload);
        if (jws.isEmpty())
            return Error::internal(QStringLiteral("Cannot sign the ACME request."));
        auto reply = send("POST", QUrl(url), jws, accept);
        if (!reply)
            return reply.error();
        if (reply->status < 400)
            return reply;
        auto problem = acme::parseProblem(reply->body);
        if (problem && problem->isBadNonce() && attempt < m_options.maxBadNonceRetries) {
            qInfo("fazt: acme: the CA rejected a nonce; retrying with a fresh one");
            continue; // the error carried a fresh Replay-Nonce
        }
        return Error::conflict(QStringLiteral("The CA refused %1: %2")
                                   .arg(url, problemText(reply->body, reply->status)));
    }
}

Status AcmeClient::ensureAccount() {
    if (!m_accountUrl.isEmpty())
        return {};
    const QString keyName =
        certs::CertStore::acmeAccountKey(m_options.directory.host(), m_options.directory.port(443));
    if (!m_accountKey) {
        if (auto stored = m_store.load(keyName)) {
            auto key = keyFromPem(*stored);
            if (!key)
                return key.error();
            m_accountKey = std::move(*key);
        } else {
            m_accountKey = generateKey();
            if (Status s = m_store.store(keyName, keyToPem(m_accountKey.get())); !s)
                return s;
        }
        m_thumbprint = jwkThumbprint(m_accountKey.get());
    }
    // newAccount with an existing key answers 200 and the account's URL: "create or reuse".
    QJsonObject account{{QStringLiteral("termsOfServiceAgreed"), true}};
    if (!m_options.email.isEmpty())
        account.insert(QStringLiteral("contact"),
                       QJsonArray{QString(QStringLiteral("mailto:") + m_options.email)});
    auto reply =
        post(m_directory.newAccount, QJsonDocument(account).toJson(QJsonDocument::Compact));
    if (!reply)
        return reply.error();
    if (reply->location.isEmpty())
        return Error::io(QStringLiteral("The CA created an account but gave no URL for it."));
    m_accountUrl = QString::fromLatin1(reply->location);
    return {};
}

Status AcmeClient::sleep(qint64 ms) {
    QEventLoop loop;
    QTimer done;
    done.setSingleShot(true);
    QObject::connect(&done, &QTimer::timeout, &loop, &QEventLoop::quit);
    QTimer abortCheck;
    QObject::connect(&abortCheck, &QTimer::timeout, &loop, [&] {
        if (m_isAborted)
            loop.quit();
    });
    done.start(int(std::clamp<qint64>(ms, 0, MaxPollMs)));
    abortCheck.start(AbortCheckMs);
    loop.exec();
    if (m_isAborted)
        return Error::conflict(QStringLiteral("The ACME conversation was stopped."));
    return {};
}

Status AcmeClient::waitToPoll(const Reply &reply) {
    const qint64 after =
        acme::parseRetryAfter(reply.retryAfter, QDateTime::currentSecsSinceEpoch());
    return sleep(after >= 0 ? after * 1000 : DefaultPollMs);
}

Result<acme::Authorization> AcmeClient::fetchAuthorization(const QString &url, Reply *reply) {
    auto fetched = post(url, {}, true);
    if (!fetched)
        return fetched.error();
    if (reply)
        *reply = *fetched;
    return acme::parseAuthorization(fetched->body);
}

Status AcmeClient::authorize(const QString &url, Solver &solver) {
    auto authorization = fetchAuthorization(url);
    if (!authorization)
        return authorization.error();
    if (authorization->status == QLatin1String("valid"))
        return {};
    const QString wanted = m_options.challenge == ChallengeType::Http01
                               ? QStringLiteral("http-01")
                               : QStringLiteral("tls-alpn-01");
    const acme::Challenge *challenge = nullptr;
    for (const acme::Challenge &c : authorization->challenges)
        if (c.type == wanted)
            challenge = &c;
    if (!challenge)
        return Error::conflict(QStringLiteral("The CA offers no %1 challenge for %2.")
                                   .arg(wanted, authorization->identifier));
    const QByteArray token = challenge->token.toLatin1();
    const QByteArray keyAuthorization = token + '.' + m_thumbprint;
    const QString name = authorization->identifier;
    if (Status s = solver.present(m_options.challenge, name, token, keyAuthorization); !s)
        return s;
    Status result = [&]() -> Status {
        auto started = post(challenge->url, "{}");
        if (!started)
            return started.error();
        for (int poll = 0; poll < m_options.maxPolls; ++poll) {
            Reply state;
            auto current = fetchAuthorization(url, &state);
            if (!current)
                return current.error();
            if (current->status == QLatin1String("valid"))
                return {};
            if (current->status != QLatin1String("pending")) {
                QString why;
                for (const acme::Challenge &c : current->challenges)
                    if (!c.error.isEmpty())
                        why = c.error;
                return Error::conflict(
                    QStringLiteral("The CA could not validate %1 (%2): %3")
                        .arg(name, current->status,
                             why.isEmpty() ? QStringLiteral("no reason given") : why));
            }
            if (Status s = waitToPoll(state); !s)
                return s;
        }
        return Error::conflict(QStringLiteral("The CA did not validate %1 in time.").arg(name));
    }();
    solver.cleanUp(m_options.challenge, name, token);
    return result;
}

Result<acme::Order> AcmeClient::pollOrder(const QString &url, const QStringList &until) {
    for (int poll = 0; poll < m_options.maxPolls; ++poll) {
        auto reply = post(url, {}, true);
        if (!reply)
            return reply.error();
        auto order = acme::parseOrder(reply->body);
        if (!order)
            return order.error();
        if (until.contains(order->status))
            return order;
        if (order->status == QLatin1String("invalid"))
            return Error::conflict(QStringLiteral("The CA marked the order invalid: %1")
                                       .arg(order->error.isEmpty()
                                                ? QStringLiteral("no reason given")
                                                : order->error));
        if (Status s = waitToPoll(*reply); !s)
            return s.error();
    }
    return Error::conflict(QStringLiteral("The CA did not finish the order in time."));
}

Result<AcmeClient::Issued> AcmeClient::obtain(const QStringList &names, Solver &solver) {
    if (Status s = loadDirectory(); !s)
        return s.error();
    if (Status s = ensureAccount(); !s)
        return s.error();
    QJsonArray identifiers;
    for (const QString &name : names)
        identifiers.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("dns")},
                                       {QStringLiteral("value"), name}});
    qInfo("fazt: acme: ordering a certificate for %s", qPrintable(names.join(QLatin1String(", "))));
    auto created = post(m_directory.newOrder,
                        QJsonDocument(QJsonObject{{QStringLiteral("identifiers"), identifiers}})
                            .toJson(QJsonDocument::Compact));
    if (!created)
        return created.error();
    const QString orderUrl = QString::fromLatin1(created->location);
    auto order = acme::parseOrder(created->body);
    if (!order)
        return order.error();
    if (orderUrl.isEmpty())
        return Error::io(QStringLiteral("The CA created an order but gave no URL for it."));
    for (const QString &authorization : std::as_const(order->authorizations))
        if (Status s = authorize(authorization, solver); !s)
            return s.error();
    auto ready = pollOrder(orderUrl, {QStringLiteral("ready"), QStringLiteral("valid")});
    if (!ready)
        return ready.error();
    PKey key = generateKey();
    if (ready->status == QLatin1String("ready")) {
        auto csr = makeCsr(names, key.get());
        if (!csr)
            return csr.error();
        const QJsonObject finalize{{QStringLiteral("csr"), QString::fromLatin1(base64Url(*csr))}};
        auto finalized =
            post(ready->finalize, QJsonDocument(finalize).toJson(QJsonDocument::Compact));
        if (!finalized)
            return finalized.error();
    }
    auto valid = pollOrder(orderUrl, {QStringLiteral("valid")});
    if (!valid)
        return valid.error();
    if (valid->certificate.isEmpty())
        return Error::io(QStringLiteral("The CA's valid order names no certificate."));
    auto chain = post(valid->certificate, {}, true, "application/pem-certificate-chain");
    if (!chain)
        return chain.error();
    return Issued{chain->body, keyToPem(key.get())};
}

} // namespace fazt::tls
