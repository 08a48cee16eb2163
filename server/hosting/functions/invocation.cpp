// One job on a slot's worker: the conversation from the Run frame to the answer, with the
// deadline enforced whatever the worker does, and what a dead worker means for the request.

#include "db/database.h"
#include "functions/functionstore.h"
#include "hosting/functions/answerresponse.h"
#include "hosting/functions/egress.h"
#include "hosting/functions/slot.h"
#include "hosting/functions/workerpool.h"

#include <QDateTime>

#include <csignal>
#include <cstring>

namespace fazt::hosting::functions {

namespace {

// A worker's cold start (exec, Qt, the engine's first evaluation, the sandbox): generous,
// since a machine under load may take a while, and paid outside requests where it can be.
constexpr int StartTimeoutMs = 10'000;
// After the deadline the worker is interrupted; this long later it is killed.
constexpr int InterruptGraceMs = 250;
// How long the slot thread looks for the worker's next frame, yielding, before it sleeps: a
// small function answers within it, and the answer then costs no wake-up.
constexpr auto AnswerSpin = std::chrono::microseconds(50);
// The worker's own exit code for an allocation that failed at its memory limit.
constexpr int MemoryExitCode = 4;

struct Outcome {
    enum class Kind { Answered, ScriptError, Interrupted, DeadlineKilled, Died, Broken };
    Kind kind = Kind::Broken;
    Answer answer;
    QString problem;
    WorkerProcess::Exit exit;
};

QByteArray reply(bool isOk, const QList<QByteArray> &fields) {
    FrameWriter frame(Message::Reply);
    frame.u8(isOk ? 1 : 0).u32(quint32(fields.size()));
    for (const QByteArray &field : fields)
        frame.bytes(field);
    return frame.finish();
}

QByteArray bundleFrame(const Bundle &bundle) {
    FrameWriter frame(Message::Bundle);
    frame.i64(qint64(bundle.key)).bytes(bundle.site.toUtf8()).u32(quint32(bundle.sources.size()));
    for (const auto &[path, source] : bundle.sources)
        frame.bytes(path.toUtf8()).bytes(source);
    frame.u32(quint32(bundle.env.size()));
    for (const fazt::functions::EnvVar &variable : bundle.env)
        frame.bytes(variable.name.toUtf8()).bytes(variable.value.toUtf8());
    return frame.finish();
}

QByteArray runFrame(const Job &job, quint64 committed) {
    const http::Request &request = job.request;
    const QByteArrayView raw = request.rawHead();
    const auto &fields = request.head().fields;
    // The field lines as they came in ("Name: value\r\n..."): the worker makes them the
    // script's headers object.
    const QByteArrayView fieldLines =
        fields.isEmpty() ? QByteArrayView()
                         : raw.sliced(fields.front().name.offset,
                                      fields.back().value.offset + fields.back().value.length -
                                          fields.front().name.offset);
    return FrameWriter(Message::Run)
        .i64(qint64(job.bundle->key))
        .i64(qint64(committed))
        .bytes(request.methodText())
        .bytes(job.path)
        .bytes(request.query())
        .bytes(fieldLines)
        .bytes(job.body)
        .bytes(job.client)
        .finish();
}

QString describe(const WorkerProcess::Exit &exit) {
    if (exit.kind == WorkerProcess::Exit::Kind::Signalled)
        return QStringLiteral("signal %1, %2")
            .arg(exit.code)
            .arg(QString::fromLocal8Bit(::sigabbrev_np(exit.code) ? ::sigabbrev_np(exit.code)
                                                                   : "unknown"));
    return QStringLiteral("exit code %1").arg(exit.code);
}

// The server's end of one invocation.
class Conversation {
public:
    Conversation(WorkerPool::Slot &slot, const Job &job, fazt::functions::FunctionStore &store,
                 db::Database &database, const WorkerPool::Options &options,
                 QList<fazt::functions::LogEntry> &log)
        : m_slot(slot)
        , m_job(job)
        , m_bundle(*job.bundle)
        , m_store(store)
        , m_database(database)
        , m_options(options)
        , m_log(log) {}

    Outcome run(bool isRunSent, std::span<const std::shared_ptr<Job>> behind) {
        Channel &channel = m_slot.worker.channel();
        const qint64 deadline = steadyMs() + m_bundle.timeoutMs;
        qint64 phaseDeadline = deadline;
        bool isInterrupted = false;
        if (!isRunSent) {
            const quint64 committed = m_database.writer().committed();
            QByteArray frames = runFrame(m_job, committed);
            for (const std::shared_ptr<Job> &next : behind)
                frames += runFrame(*next, committed);
            if (channel.send(frames, deadline) != Channel::Outcome::Ok)
                return died();
        }
        for (;;) {
            FrameReader frame;
            // A worker that keeps sending (logs, calls) must not keep the deadline from
            // being seen: past it, the next turn is a time-out whatever is waiting.
            const Channel::Outcome outcome = steadyMs() >= phaseDeadline
                                                 ? Channel::Outcome::TimedOut
                                                 : channel.receive(frame, phaseDeadline,
                                                                   AnswerSpin);
            switch (outcome) {
            case Channel::Outcome::Ok:
                break;
            case Channel::Outcome::TimedOut:
                if (!isInterrupted) {
                    // Between two JS steps the engine stops and the worker answers at once;
                    // inside a long builtin it does not, and the grace runs out.
                    m_slot.worker.interrupt();
                    isInterrupted = true;
                    phaseDeadline = steadyMs() + InterruptGraceMs;
                    continue;
                }
                (void)m_slot.worker.kill();
                return {Outcome::Kind::DeadlineKilled, {}, {}, {}};
            case Channel::Outcome::Closed:
                return died();
            case Channel::Outcome::Malformed:
                return broken();
            }
            switch (frame.message()) {
            case Message::NeedBundle:
                if (quint64(frame.i64()) != m_bundle.key || !frame.isValid() ||
                    channel.send(bundleFrame(m_bundle), phaseDeadline) != Channel::Outcome::Ok)
                    return broken();
                continue;
            case Message::Call: {
                const QByteArray answer = serve(frame, deadline);
                if (answer.isEmpty() ||
                    channel.send(answer, phaseDeadline) != Channel::Outcome::Ok)
                    return broken();
                continue;
            }
            case Message::Log:
                if (!takeLog(frame))
                    return broken();
                continue;
            case Message::Answer:
                return answered(frame);
            case Message::Failed: {
                const auto reason = FailReason(frame.u8());
                const QString message = QString::fromUtf8(frame.bytes());
                if (!frame.isValid())
                    return broken();
                if (reason == FailReason::Interrupted)
                    return {Outcome::Kind::Interrupted, {}, {}, {}};
                return {Outcome::Kind::ScriptError, {}, message.left(4096), {}};
            }
            default:
                return broken();
            }
        }
    }

private:
    Outcome died() { return {Outcome::Kind::Died, {}, {}, m_slot.worker.reap()}; }
    Outcome broken() {
        (void)m_slot.worker.kill();
        return {Outcome::Kind::Broken, {}, {}, {}};
    }

    Outcome answered(FrameReader &frame) {
        std::optional<Answer> answer = Answer::read(frame);
        if (!answer)
            return broken();
        answer->check(m_options.maxResponseBytes);
        if (!answer->problem.isEmpty())
            return {Outcome::Kind::ScriptError, {}, answer->problem, {}};
        return {Outcome::Kind::Answered, std::move(*answer), {}, {}};
    }

    bool takeLog(FrameReader &frame) {
        const bool isError = frame.u8() != 0;
        const QByteArrayView message = frame.bytes();
        if (!frame.isValid())
            return false;
        if (m_log.size() > m_options.maxLogLinesPerCall)
            return true;
        if (m_log.size() == m_options.maxLogLinesPerCall) {
            m_log.append({0, QDateTime::currentMSecsSinceEpoch(), QStringLiteral("info"),
                          QStringLiteral("(more lines dropped: at most %1 per request)")
                              .arg(m_options.maxLogLinesPerCall)});
            return true;
        }
        m_log.append({0, QDateTime::currentMSecsSinceEpoch(),
                      isError ? QStringLiteral("error") : QStringLiteral("info"),
                      QString::fromUtf8(message.first(std::min<qsizetype>(message.size(),
                                                                          fazt::functions::FunctionStore::MaxLogMessageBytes)))});
        return true;
    }

    // A call the worker makes on the script's behalf: the Reply frame, or empty if the call
    // itself is malformed.
    QByteArray serve(FrameReader &frame, qint64 deadline) {
        const auto kind = CallKind(frame.u8());
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const qint64 site = m_bundle.siteId;
        const auto text = [&frame] { return QString::fromUtf8(frame.bytes()); };
        switch (kind) {
        case CallKind::KvGet: {
            const QString key = text();
            if (!frame.isValid())
                return {};
            // The commit count before the read: the worker keeps the value for as long as the
            // database commits nothing after it (see the worker's KvCache).
            const quint64 committed = m_database.writer().committed();
            auto entry = m_store.kvEntry(site, key, now);
            if (!entry)
                return reply(false, {entry.error().message.toUtf8()});
            QList<QByteArray> fields{QByteArray::number(committed),
                                     QByteArray::number(entry->expiresAt)};
            if (entry->value)
                fields.append(entry->value->toUtf8());
            return reply(true, fields);
        }
        case CallKind::KvSet: {
            const QString key = text();
            const QString json = text();
            const qint64 ttl = frame.i64();
            if (!frame.isValid())
                return {};
            const Status s = m_store.kvSet(site, key, json, ttl, now);
            return s ? reply(true, {}) : reply(false, {s.error().message.toUtf8()});
        }
        case CallKind::KvDelete: {
            const QString key = text();
            if (!frame.isValid())
                return {};
            const Status s = m_store.kvDelete(site, key);
            return s ? reply(true, {}) : reply(false, {s.error().message.toUtf8()});
        }
        case CallKind::KvList: {
            const QString prefix = text();
            if (!frame.isValid())
                return {};
            auto keys = m_store.kvList(site, prefix, now);
            if (!keys)
                return reply(false, {keys.error().message.toUtf8()});
            QList<QByteArray> fields;
            for (const QString &key : std::as_const(*keys))
                fields.append(key.toUtf8());
            return reply(true, fields);
        }
        case CallKind::Fetch: {
            Egress::Request request;
            request.url = text();
            request.method = frame.bytes().toByteArray();
            request.headersJson = frame.bytes().toByteArray();
            request.body = frame.bytes().toByteArray();
            if (!frame.isValid())
                return {};
            // The slot waits on the network: another may run meanwhile.
            m_slot.isWaitingOnHost = true;
            const qint64 fetchDeadline =
                std::min<qint64>(deadline, steadyMs() + m_options.fetchTimeoutMs);
            const auto fetched = Egress(m_bundle.site, m_bundle.egress, m_options.fetchMaxBytes)
                                     .fetch(request, fetchDeadline);
            m_slot.isWaitingOnHost = false;
            if (!fetched)
                return reply(false, {fetched.error().message.toUtf8()});
            return reply(true, {QByteArray::number(fetched->status), fetched->headerLines,
                                fetched->body});
        }
        }
        return {};
    }

    WorkerPool::Slot &m_slot;
    const Job &m_job;
    const Bundle &m_bundle;
    fazt::functions::FunctionStore &m_store;
    db::Database &m_database;
    const WorkerPool::Options &m_options;
    QList<fazt::functions::LogEntry> &m_log;
};

} // namespace

void WorkerPool::startWorker(Slot &slot) {
    if (slot.hasStarted)
        ++m_restarts;
    slot.hasStarted = true;
    ++slot.generation;
    slot.lastRunNs = 0;
    slot.isReady = false;
    slot.site.clear();
    if (Status s = slot.worker.start(m_options.memoryBytes); !s)
        qWarning("fazt: %s", qPrintable(s.error().message));
    slot.pid = slot.worker.isRunning() ? slot.worker.pid() : -1;
    QMutexLocker lock(&slot.infoMutex);
    slot.shownSite.clear();
}

Status WorkerPool::ensureWorker(Slot &slot, const QString &site) {
    // A worker serves one site for its life: another site's job gets a fresh one.
    if (slot.worker.isRunning() && !slot.site.isEmpty() && slot.site != site) {
        (void)slot.worker.kill();
        slot.pid = -1;
    }
    if (!slot.worker.isRunning())
        startWorker(slot);
    if (!slot.worker.isRunning())
        return Error::internal(QStringLiteral("No function worker could be started."));
    if (!slot.isReady) {
        FrameReader ready;
        const auto outcome = slot.worker.channel().receive(ready, steadyMs() + StartTimeoutMs);
        if (outcome != Channel::Outcome::Ok || ready.message() != Message::Ready) {
            const WorkerProcess::Exit exit = slot.worker.kill();
            slot.pid = -1;
            return Error::internal(
                QStringLiteral("A function worker did not start (%1).").arg(describe(exit)));
        }
        slot.isReady = true;
    }
    if (slot.site != site) {
        slot.site = site;
        QMutexLocker lock(&slot.infoMutex);
        slot.shownSite = site;
    }
    return {};
}

http::Response WorkerPool::run(Slot &slot, Job &job, bool isRunSent,
                               std::span<const std::shared_ptr<Job>> behind) {
    const Bundle &bundle = *job.bundle;
    if (Status s = isRunSent ? Status() : ensureWorker(slot, bundle.site); !s) {
        ++m_errors;
        qWarning("fazt: %s", qPrintable(s.error().message));
        http::Response busy =
            jsonError(503, s.error().message + QStringLiteral(" Retry in a moment."));
        busy.retryAfterSeconds = 1;
        return busy;
    }
    QList<fazt::functions::LogEntry> log;
    const Outcome outcome =
        Conversation(slot, job, m_store, m_database, m_options, log).run(isRunSent, behind);
    QString problem;
    int status = 500;
    bool isWorkerGone = false;
    switch (outcome.kind) {
    case Outcome::Kind::Answered:
        break;
    case Outcome::Kind::ScriptError:
        ++m_errors;
        problem = outcome.problem;
        break;
    case Outcome::Kind::Interrupted:
        ++m_timeouts;
        status = 504;
        problem = QStringLiteral("The function ran past its %1 ms deadline and was stopped.")
                      .arg(bundle.timeoutMs);
        break;
    case Outcome::Kind::DeadlineKilled:
        ++m_timeouts;
        ++m_deadlineKills;
        status = 504;
        isWorkerGone = true;
        problem = QStringLiteral("The function ran past its %1 ms deadline and did not stop; "
                                 "its worker was killed.")
                      .arg(bundle.timeoutMs);
        break;
    case Outcome::Kind::Died:
        isWorkerGone = true;
        if (outcome.exit.kind == WorkerProcess::Exit::Kind::Exited &&
            outcome.exit.code == MemoryExitCode) {
            ++m_memoryStops;
            ++m_memoryKills;
            problem = QStringLiteral("The function used more than %1 MiB of memory; its worker "
                                     "was stopped.")
                          .arg(m_options.memoryBytes >> 20);
        } else if (outcome.exit.kind == WorkerProcess::Exit::Kind::Signalled &&
                   outcome.exit.code == SIGKILL) {
            // Not ours (ours are DeadlineKilled): the kernel's OOM killer, which picks workers
            // first (their oom_score_adj is the highest), or someone with a kill command.
            ++m_crashes;
            ++m_errors;
            problem = QStringLiteral("The function's worker crashed: it was killed (%1), by the "
                                     "kernel when the machine ran out of memory, or from "
                                     "outside.")
                          .arg(describe(outcome.exit));
        } else {
            ++m_crashes;
            ++m_errors;
            problem = QStringLiteral("The function's worker crashed (%1).")
                          .arg(describe(outcome.exit));
        }
        break;
    case Outcome::Kind::Broken:
        ++m_crashes;
        ++m_errors;
        isWorkerGone = true;
        problem = QStringLiteral("The function's worker broke the protocol and was stopped.");
        break;
    }
    if (isWorkerGone) {
        noteDeath(bundle.site);
        startWorker(slot); // the replacement starts now, ready by the next job
    }
    if (!problem.isEmpty())
        log.append({0, QDateTime::currentMSecsSinceEpoch(), QStringLiteral("error"),
                    QString::fromLatin1(job.request.methodText()) + u' ' +
                        QString::fromUtf8(job.path) + QStringLiteral(": ") + problem});
    if (!log.isEmpty())
        (void)m_store.appendLog(bundle.siteId, std::move(log));
    if (outcome.kind == Outcome::Kind::Answered)
        return responseOf(outcome.answer);
    // What the script itself said (an exception's message) may hold what it should not show
    // a visitor: only in development. What the runtime says (deadline, memory, a crash) is
    // about the platform, and helps whoever sees it.
    const bool isScriptsOwnWords = outcome.kind == Outcome::Kind::ScriptError;
    return jsonError(status,
                     isScriptsOwnWords && !bundle.isDevelopment
                         ? QStringLiteral("The function failed; the site's log says why.")
                         : problem);
}

} // namespace fazt::hosting::functions
