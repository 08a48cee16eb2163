#include "client/apiclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace fazt::client {

namespace {

// The server's error codes (server/admin/api.h) back to ours; anything else by status.
Error::Code codeFor(const QString &serverCode, int status) {
    if (serverCode == QLatin1String("not_found") || status == 404)
        return Error::Code::NotFound;
    if (serverCode == QLatin1String("conflict") || status == 409)
        return Error::Code::Conflict;
    if (serverCode == QLatin1String("too_large") || status == 413)
        return Error::Code::TooLarge;
    if (serverCode == QLatin1String("disk_full") || status == 507)
        return Error::Code::DiskFull;
    if (serverCode == QLatin1String("read_only"))
        return Error::Code::ReadOnly;
    if (serverCode == QLatin1String("unsupported"))
        return Error::Code::Unsupported;
    if (serverCode == QLatin1String("busy") || serverCode == QLatin1String("rate_limited") ||
        status == 429 || status == 503)
        return Error::Code::Busy;
    if (status >= 500)
        return Error::Code::Internal;
    return Error::Code::Invalid;
}

} // namespace

// --- ApiCall ---------------------------------------------------------------------------------

ApiCall::ApiCall(QObject *parent, QString target, QString unreachableHint,
                 Callback<QJsonObject> handler)
    : QObject(parent)
    , m_target(std::move(target))
    , m_unreachableHint(std::move(unreachableHint))
    , m_handler(std::move(handler)) {
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        if (m_state != State::Running || !m_reply)
            return;
        m_state = State::ConnectTimedOut;
        m_reply->abort();
    });
    m_pollTimer.setSingleShot(true);
    connect(&m_pollTimer, &QTimer::timeout, this, &ApiCall::pollJob);
}

ApiCall::~ApiCall() {
    detach();
}

// Lets go of the reply without a callback: the call is being destroyed.
void ApiCall::detach() {
    if (!m_reply)
        return;
    m_reply->disconnect(this);
    m_reply->abort();
    m_reply->deleteLater();
    m_reply = nullptr;
}

void ApiCall::start(QNetworkReply *reply, std::chrono::milliseconds connectTimeout) {
    m_reply = reply;
    // Connecting ends when the request is on its way; from then on, the transfer timeout of
    // the request (no byte either way for that long) applies.
    const auto connected = [this] { m_connectTimer.stop(); };
    connect(reply, &QNetworkReply::requestSent, this, connected);
    connect(reply, &QNetworkReply::metaDataChanged, this, connected);
    connect(reply, &QNetworkReply::uploadProgress, this, [this](qint64 sent, qint64 total) {
        if (sent > 0)
            m_connectTimer.stop();
        // Qt ends with (0, 0), which would read as going back to the start; and of a body
        // it streams from a sequential device it reports what it has read as the total.
        if (total <= 0)
            return;
        if (m_uploadBytes > 0)
            Q_EMIT uploadProgress(std::min(sent, m_uploadBytes), m_uploadBytes);
        else
            Q_EMIT uploadProgress(sent, total);
    });
    connect(reply, &QNetworkReply::finished, this, &ApiCall::onReplyFinished);
    m_connectTimer.start(connectTimeout);
}

// An error found before any request was made (e.g. an unreadable archive) still reaches the
// callback from the event loop, never from inside the method that started the call.
void ApiCall::failBeforeStart(Error error) {
    QMetaObject::invokeMethod(
        this, [this, error = std::move(error)] { complete(error); }, Qt::QueuedConnection);
}

ApiCall *ApiCall::boundTo(QObject *owner) {
    // `destroyed` comes from ~QObject, after the owner's own destructor: nothing of it may
    // run from here on, so the callback goes without being called.
    connect(owner, &QObject::destroyed, this, [this] {
        if (m_state == State::Finished)
            return;
        m_state = State::Finished;
        m_handler = {};
        m_connectTimer.stop();
        detach();
        deleteLater();
    });
    return this;
}

void ApiCall::abort() {
    if (m_state != State::Running)
        return;
    m_state = State::Cancelled;
    m_pollTimer.stop();
    if (m_reply)
        m_reply->abort(); // finishes the reply at once: onReplyFinished() reports it
    else
        complete(Error::io(QStringLiteral("The request to %1 was cancelled.").arg(m_target)));
}

void ApiCall::onReplyFinished() {
    m_connectTimer.stop();
    Result<QJsonObject> result = outcome();
    m_reply->deleteLater();
    m_reply = nullptr;
    if (!m_jobEndState.isEmpty() && m_state == State::Running) {
        std::optional<Result<QJsonObject>> end = followJob(std::move(result));
        if (!end)
            return; // polled again shortly
        result = std::move(*end);
    }
    complete(std::move(result));
}

// How long between two looks at a job, and how many looks in a row may fail to reach the
// server (a restart under systemd's socket) before the call gives up.
constexpr int JobPollMs = 400;
constexpr int JobPollRetries = 40;

std::optional<Result<QJsonObject>> ApiCall::followJob(Result<QJsonObject> answer) {
    const bool isPolling = !m_jobPath.isEmpty();
    if (!answer) {
        if (isPolling && m_httpStatus == 0 && m_state == State::Running &&
            ++m_pollFailures <= JobPollRetries) {
            m_pollTimer.start(JobPollMs * 2);
            return std::nullopt;
        }
        if (isPolling)
            return Error{answer.error().code,
                         QStringLiteral("The deploy was uploaded, but following it failed: %1 "
                                        "See 'fazt deploys list' for whether it went live.")
                             .arg(answer.error().message)};
        return answer;
    }
    if (!isPolling && m_httpStatus != 202)
        return answer; // a server that answers when done (201), or another answer
    const QJsonObject job = *answer;
    const QString state = job.value(QStringLiteral("state")).toString();
    const QJsonObject progress = job.value(QStringLiteral("progress")).toObject();
    m_jobPath = job.value(QStringLiteral("url")).toString();
    m_pollFailures = 0;
    Q_EMIT deployProgress({job.value(QStringLiteral("id")).toInteger(), state,
                           progress.value(QStringLiteral("files")).toInteger(),
                           progress.value(QStringLiteral("filesTotal")).toInteger(),
                           progress.value(QStringLiteral("bytes")).toInteger(),
                           progress.value(QStringLiteral("bytesTotal")).toInteger()});
    if (state == m_jobEndState)
        return state == QLatin1String("done") ? job.value(QStringLiteral("deploy")).toObject()
                                              : job;
    if (state == QLatin1String("failed") || state == QLatin1String("abandoned")) {
        const QJsonObject error = job.value(QStringLiteral("error")).toObject();
        m_httpStatus = error.value(QStringLiteral("status")).toInt();
        m_serverErrorCode = error.value(QStringLiteral("code")).toString();
        return Error{codeFor(m_serverErrorCode, m_httpStatus),
                     error.value(QStringLiteral("message")).toString()};
    }
    if (m_jobPath.isEmpty())
        return Error::internal(QStringLiteral("%1 accepted the deploy without saying where to "
                                              "follow it.")
                                   .arg(m_target));
    // Soon at first (a small deploy is stored in a moment), then every JobPollMs.
    m_pollTimer.start(std::min(JobPollMs, 50 << std::min(m_polls++, 4)));
    return std::nullopt;
}

void ApiCall::pollJob() {
    if (m_state != State::Running)
        return;
    auto *client = static_cast<ApiClient *>(parent());
    QNetworkRequest request = client->request(m_jobPath);
    client->authorize(request, ApiClient::Method::Get);
    start(client->m_manager->get(request), client->m_connectTimeout);
}

void ApiCall::complete(Result<QJsonObject> result) {
    if (m_state == State::Finished)
        return;
    m_state = State::Finished;
    const Callback<QJsonObject> handler = std::exchange(m_handler, {});
    if (handler)
        handler(std::move(result));
    Q_EMIT finished();
    deleteLater();
}

Result<QJsonObject> ApiCall::outcome() {
    if (m_state == State::Cancelled)
        return Error::io(QStringLiteral("The request to %1 was cancelled.").arg(m_target));
    m_httpStatus = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (m_httpStatus == 0)
        return networkError();

    const QByteArray body = m_reply->readAll();
    if (m_httpStatus >= 300 && m_httpStatus < 400) {
        const QString location =
            m_reply->header(QNetworkRequest::LocationHeader).toUrl().toString();
        return Error::invalid(QStringLiteral("%1 redirects to %2: use that address for the "
                                             "server instead.")
                                  .arg(m_target, location));
    }
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    const bool isJsonObject = parseError.error == QJsonParseError::NoError && document.isObject();
    if (m_httpStatus == m_statusWithBody && isJsonObject &&
        !document.object().contains(QStringLiteral("error")))
        return document.object();
    if (m_httpStatus >= 400) {
        const QJsonObject error = document.object().value(QStringLiteral("error")).toObject();
        const QString message = error.value(QStringLiteral("message")).toString();
        m_serverErrorCode = error.value(QStringLiteral("code")).toString();
        if (isJsonObject && !message.isEmpty())
            return Error{codeFor(m_serverErrorCode, m_httpStatus), message};
        return Error{
            codeFor(QString(), m_httpStatus),
            QStringLiteral("%1 answered HTTP %2 (%3) without a Fazt error: is it the "
                           "address of a Fazt server?")
                .arg(m_target)
                .arg(m_httpStatus)
                .arg(m_reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString())};
    }
    if (m_httpStatus == 204 || body.isEmpty())
        return QJsonObject();
    if (!isJsonObject)
        return Error::internal(QStringLiteral("%1 answered with something other than JSON: is "
                                              "it the address of a Fazt server?")
                                   .arg(m_target));
    return document.object();
}

Error ApiCall::networkError() const {
    const QString unreachable =
        QStringLiteral("Cannot reach %1: %2. Is the server running?") +
        (m_unreachableHint.isEmpty() ? QString() : QString(u' ' + m_unreachableHint));
    if (m_state == State::ConnectTimedOut)
        return Error::io(unreachable.arg(
            m_target,
            QStringLiteral("no connection within %1 s").arg(m_connectTimer.interval() / 1000)));
    switch (m_reply->error()) {
    case QNetworkReply::ConnectionRefusedError:
        return Error::io(unreachable.arg(m_target, QStringLiteral("connection refused")));
    case QNetworkReply::HostNotFoundError:
        return Error::io(unreachable.arg(
            m_target, QStringLiteral("host %1 not found").arg(m_reply->url().host())));
    case QNetworkReply::OperationCanceledError: // Qt's transfer timeout aborts the reply
    case QNetworkReply::TimeoutError:
        return Error::io(QStringLiteral("%1 stopped answering: nothing was sent or received "
                                        "for %2 s.")
                             .arg(m_target)
                             .arg(m_reply->request().transferTimeout() / 1000));
    case QNetworkReply::SslHandshakeFailedError:
        return Error::io(QStringLiteral("Cannot make a secure connection to %1: %2.")
                             .arg(m_target, m_reply->errorString()));
    default:
        return Error::io(QStringLiteral("The connection to %1 failed: %2.")
                             .arg(m_target, m_reply->errorString()));
    }
}

} // namespace fazt::client
