#include "stats/statsbuffer.h"

#include "auth/securerandom.h"
#include "crypto/sha256.h"
#include "db/database.h"

#include <QDateTime>
#include <QThread>
#include <QtEndian>

#include <array>
#include <ctime>

namespace fazt::stats {

namespace {

constexpr qint64 HourSeconds = 3600;
constexpr qint64 DaySeconds = 86400;
// Visitor hashes of a period are needed only while it is open; keep two days for clocks
// that disagree a little and flushes that were retried.
constexpr qint64 VisitorKeepSeconds = 2 * DaySeconds;

// Rough heap cost of one entry, for the byte budget: strings are UTF-16, plus the hash node.
qint64 costOf(const QString &a, const QString &b = {}) {
    return 2 * (a.size() + b.size()) + 96;
}
qint64 costOf(const Event &e) {
    return 2 * e.site.size() + e.textBytes() + 128;
}

// The QString of a short UTF-8 text (an event name, a referrer) seen a moment ago on this
// thread: names repeat, so keying them costs no conversion and no allocation.
const QString &recentText(QByteArrayView utf8) {
    struct Entry {
        QByteArray utf8;
        QString text;
    };
    thread_local std::array<Entry, 32> recent;
    Entry &entry = recent[qHash(utf8) % recent.size()];
    if (entry.utf8 != utf8) {
        entry.utf8 = utf8.toByteArray();
        entry.text = QString::fromUtf8(utf8);
    }
    return entry.text;
}

// "200", "404": built once, so counting a status allocates nothing.
const QString &statusText(int status) {
    static const auto table = [] {
        std::array<QString, 600> t;
        for (int i = 0; i < 600; ++i)
            t[size_t(i)] = QString::number(i);
        return t;
    }();
    static const QString unknown = QStringLiteral("other");
    return status >= 0 && status < 600 ? table[size_t(status)] : unknown;
}

const QString &otherValue() {
    static const QString other = QStringLiteral("(other)");
    return other;
}

} // namespace

StatsBuffer::StatsBuffer(db::Database &database, Options options, QObject *parent)
    : QObject(parent)
    , m_database(database)
    , m_options(options)
    , m_flushThreshold(options.flushThreshold)
    , m_budgetBytes(options.budgetBytes) {
    m_timer.setInterval(m_options.flushIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &StatsBuffer::flush);
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &StatsBuffer::flush);
}

StatsBuffer::~StatsBuffer() {
    if (m_inFlight)
        m_inFlight->result.waitForFinished();
}

void StatsBuffer::start() {
    m_timer.start();
}

void StatsBuffer::setFlushInterval(int milliseconds) {
    m_options.flushIntervalMs = milliseconds;
    m_timer.setInterval(milliseconds);
}

void StatsBuffer::setFlushThreshold(int records) {
    m_flushThreshold = records;
}

void StatsBuffer::setBudget(qint64 bytes) {
    m_budgetBytes = bytes;
    dropOldestEvents();
}

StatsBuffer::Shard &StatsBuffer::shardOfThisThread() {
    // Per thread and buffer (tests run several buffers): the first use picks the next shard.
    thread_local const StatsBuffer *owner = nullptr;
    thread_local int index = 0;
    if (owner != this) {
        owner = this;
        index = m_nextShard.fetch_add(1, std::memory_order_relaxed) % ShardCount;
    }
    return m_shards[size_t(index)];
}

int StatsBuffer::addDimension(StatsBatch &batch, const QString &site, qint64 hour, quint8 kind,
                              const QString &value) {
    StatsBatch::DimensionKey key{site, hour, kind, value};
    auto it = batch.dimensions.find(key);
    int added = 0;
    if (it == batch.dimensions.end()) {
        if (isOverBudget() && kind != StatsBatch::StatusKind) {
            key.value = otherValue();
            it = batch.dimensions.find(key);
        }
        if (it == batch.dimensions.end()) {
            batch.bytes += costOf(site, key.value);
            it = batch.dimensions.insert(key, 0);
            added = 1;
        }
    }
    ++*it;
    return added;
}

int StatsBuffer::addVisitor(StatsBatch &batch, const QString &site, qint64 hour,
                            VisitorId visitor) {
    // Past the budget, new visitors go uncounted rather than growing memory.
    if (visitor == 0 || isOverBudget())
        return 0;
    int added = 0;
    for (const QString &s : {site, QString()}) {
        const qsizetype before = batch.visitors.size();
        batch.visitors.insert({s, hour, visitor});
        if (batch.visitors.size() != before) {
            batch.bytes += costOf(s);
            ++added;
        }
    }
    return added;
}

void StatsBuffer::record(const RequestRecord &r) {
    const qint64 hour = r.at - r.at % HourSeconds;
    Shard &shard = shardOfThisThread();
    qint64 rows = 0;
    {
        std::lock_guard lock(shard.mutex);
        StatsBatch &b = shard.batch;
        const qint64 bytesBefore = b.bytes;
        StatsBatch::PathKey key{r.site, hour, r.path};
        auto it = b.paths.find(key);
        if (it == b.paths.end()) {
            if (isOverBudget()) {
                key.path = otherValue().toUtf8();
                it = b.paths.find(key);
            }
            if (it == b.paths.end()) {
                key.path = QByteArray(key.path.constData(), key.path.size()); // owned, not raw
                b.bytes += costOf(key.site) + key.path.size();
                it = b.paths.insert(key, {});
                ++rows;
            }
        }
        ++it->hits;
        it->bytes += r.bytes;
        rows += addDimension(b, r.site, hour, StatsBatch::StatusKind, statusText(r.status));
        if (r.isPageView) {
            ++it->views;
            rows += addDimension(b, r.site, hour, StatsBatch::AgentKind, agentName(r.agent));
            if (!r.referrerHost.isEmpty())
                rows += addDimension(b, r.site, hour, StatsBatch::ReferrerKind, r.referrerHost);
            rows += addVisitor(b, r.site, hour, r.visitor);
        }
        ++b.records;
        ++shard.accepted;
        if (b.bytes != bytesBefore)
            m_pendingBytes.fetch_add(b.bytes - bytesBefore, std::memory_order_relaxed);
    }
    noteRecorded(rows);
}

void StatsBuffer::record(const Event &e) {
    const qint64 at = e.atMs / 1000;
    const qint64 hour = at - at % HourSeconds;
    Shard &shard = shardOfThisThread();
    qint64 rows = 1; // the raw event
    {
        std::lock_guard lock(shard.mutex);
        StatsBatch &b = shard.batch;
        const qint64 bytesBefore = b.bytes;
        rows += addDimension(b, e.site, hour, StatsBatch::EventKind, recentText(e.name()));
        if (!e.referrerHost().isEmpty())
            rows += addDimension(b, e.site, hour, StatsBatch::ReferrerKind,
                                 recentText(e.referrerHost()));
        rows += addVisitor(b, e.site, hour, e.visitor);
        b.bytes += costOf(e);
        b.events.push_back(e);
        ++b.records;
        ++shard.accepted;
        m_pendingBytes.fetch_add(b.bytes - bytesBefore, std::memory_order_relaxed);
    }
    noteRecorded(rows);
    if (isOverBudget())
        dropOldestEvents();
}

void StatsBuffer::noteRecorded(qint64 rowsAdded) {
    m_pendingRecords.fetch_add(1, std::memory_order_relaxed);
    if (rowsAdded == 0)
        return; // nothing more to write than before: no nearer to a flush
    m_pendingRows.fetch_add(rowsAdded, std::memory_order_relaxed);
    requestFlushIfDue();
}

void StatsBuffer::requestFlushIfDue() {
    if (m_pendingRows.load(std::memory_order_relaxed) <
            m_flushThreshold.load(std::memory_order_relaxed) ||
        m_isFlushRequested.exchange(true))
        return;
    QMetaObject::invokeMethod(this, &StatsBuffer::flush, Qt::QueuedConnection);
}

// Drops raw events, the oldest of each shard first, until the buffer is within its budget.
// Counts of requests stay (past the budget they fold into "(other)" instead). Takes the
// shards' locks one at a time: call it holding none.
void StatsBuffer::dropOldestEvents() {
    qint64 dropped = 0;
    for (Shard &shard : m_shards) {
        if (!isOverBudget())
            break;
        std::lock_guard lock(shard.mutex);
        StatsBatch &b = shard.batch;
        while (isOverBudget() && !b.events.empty()) {
            const qint64 cost = costOf(b.events.front());
            b.bytes -= cost;
            b.events.pop_front();
            --b.records;
            m_pendingBytes.fetch_sub(cost, std::memory_order_relaxed);
            m_pendingRecords.fetch_sub(1, std::memory_order_relaxed);
            m_pendingRows.fetch_sub(1, std::memory_order_relaxed);
            ++dropped;
        }
    }
    if (dropped == 0)
        return;
    std::lock_guard lock(m_mutex);
    m_dropped += quint64(dropped);
    m_droppedUnreported += dropped;
}

// With m_mutex held: one warning per flush interval, not one per dropped event.
void StatsBuffer::reportDrops() {
    if (m_droppedUnreported == 0)
        return;
    qWarning("Analytics: dropped the %lld oldest events to stay within the %lld-byte buffer "
             "(the database is not accepting writes fast enough)",
             m_droppedUnreported, m_budgetBytes.load());
    m_droppedUnreported = 0;
}

StatsBuffer::Visit StatsBuffer::visit(QByteArrayView clientAddress, QByteArrayView userAgent) {
    const qint64 day = std::time(nullptr) / DaySeconds;
    // A visitor's page views come in runs: a small per-thread cache of recent (address, user
    // agent) pairs spares a digest and the agent scan for most of them. Entries are for one
    // buffer and one day.
    struct Recent {
        const StatsBuffer *owner = nullptr;
        qint64 day = -1;
        QByteArray key;
        Visit visit;
    };
    thread_local std::array<Recent, 64> recent;
    const size_t slot = qHashMulti(0, clientAddress, userAgent) % recent.size();
    Recent &cached = recent[slot];
    if (cached.owner == this && cached.day == day &&
        cached.key.size() == clientAddress.size() + userAgent.size() &&
        QByteArrayView(cached.key).startsWith(clientAddress) &&
        QByteArrayView(cached.key).endsWith(userAgent))
        return cached.visit;
    QByteArray salt;
    {
        std::lock_guard lock(m_saltMutex);
        if (day != m_saltDay) {
            m_salt = saltForDay(day);
            m_saltDay = day;
        }
        salt = m_salt;
    }
    thread_local crypto::Sha256 hash; // one digest context per thread, reused
    hash.addData(salt);
    hash.addData(clientAddress);
    hash.addData(QByteArrayView("\0", 1));
    hash.addData(userAgent);
    const QByteArray digest = hash.result();
    Visit visit{qFromBigEndian<quint64>(digest.constData()), classifyAgent(userAgent)};
    if (visit.visitor == 0)
        visit.visitor = 1;
    cached = {this, day, clientAddress.toByteArray() + userAgent.toByteArray(), visit};
    return visit;
}

// With m_saltMutex held. Today's salt from the database, or a new one (stored, replacing the
// previous day's, so restarts within a day count the same visitor once).
QByteArray StatsBuffer::saltForDay(qint64 day) {
    if (auto s = m_database.reader().prepare("SELECT salt FROM stats_salt WHERE day = ?"); s) {
        s->bind(1, day);
        if (s->next() && s->blob(0).size() >= 16)
            return s->blob(0);
    }
    QByteArray salt = auth::secureRandomBytes(16);
    (void)m_database.writer().submit([day, salt](db::Connection &c) -> Status {
        if (Status s = c.exec("DELETE FROM stats_salt"); !s)
            return s;
        auto insert = c.prepare("INSERT INTO stats_salt (day, salt) VALUES (?, ?)");
        if (!insert)
            return insert.error();
        insert->bind(1, day);
        insert->bindBlob(2, salt);
        return insert->exec();
    });
    return salt;
}

StatsBuffer::Counters StatsBuffer::counters() const {
    Counters c;
    for (const Shard &shard : m_shards) {
        std::lock_guard lock(shard.mutex);
        c.accepted += shard.accepted;
    }
    std::lock_guard lock(m_mutex);
    c.flushed = m_flushed;
    c.dropped = m_dropped;
    c.flushes = m_flushes;
    c.flushFailures = m_flushFailures;
    c.pending = m_pendingRecords.load();
    c.pendingRows = m_pendingRows.load();
    c.pendingBytes = m_pendingBytes.load();
    c.budgetBytes = m_budgetBytes.load();
    return c;
}

QJsonObject StatsBuffer::Counters::toJson() const {
    return QJsonObject{{QStringLiteral("accepted"), qint64(accepted)},
                       {QStringLiteral("flushed"), qint64(flushed)},
                       {QStringLiteral("dropped"), qint64(dropped)},
                       {QStringLiteral("flushes"), qint64(flushes)},
                       {QStringLiteral("flushFailures"), qint64(flushFailures)},
                       {QStringLiteral("pending"), pending},
                       {QStringLiteral("pendingRows"), pendingRows},
                       {QStringLiteral("pendingBytes"), pendingBytes},
                       {QStringLiteral("budgetBytes"), budgetBytes}};
}

void StatsBuffer::flush() {
    m_isFlushRequested = false;
    if (m_inFlight)
        return; // its completion flushes again if the threshold was reached meanwhile
    {
        std::lock_guard lock(m_mutex);
        reportDrops();
    }
    auto batch = std::make_shared<StatsBatch>();
    for (Shard &shard : m_shards) {
        StatsBatch taken;
        {
            std::lock_guard lock(shard.mutex);
            std::swap(taken, shard.batch);
        }
        m_pendingRecords.fetch_sub(taken.records);
        m_pendingRows.fetch_sub(taken.rows());
        m_pendingBytes.fetch_sub(taken.bytes);
        batch->absorb(std::move(taken), StatsBatch::Place::After); // write() puts events in order
    }
    if (batch->isEmpty())
        return;
    auto flight = std::make_shared<InFlight>();
    flight->batch = batch;
    flight->result = m_database.writer().submit(
        [batch](db::Connection &c) -> Status { return batch->write(c); });
    m_inFlight = flight;
    flight->result.then(this, [this, flight](const Status &status) {
        if (m_inFlight == flight) // not already handled by flushAll()
            finishFlush(flight, status);
    });
}

void StatsBuffer::finishFlush(const std::shared_ptr<InFlight> &flight, const Status &status) {
    m_inFlight.reset();
    StatsBatch &batch = *flight->batch;
    if (status) {
        m_failedAttempts = 0;
        {
            std::lock_guard lock(m_mutex);
            m_flushed += quint64(batch.records);
            ++m_flushes;
        }
        requestFlushIfDue(); // the threshold may have been reached meanwhile
        return;
    }
    ++m_failedAttempts;
    const bool willRetry = m_failedAttempts == 1;
    qWarning("Analytics: writing %lld records failed (%s); %s", batch.records,
             qPrintable(status.error().message),
             willRetry ? "retrying shortly" : "keeping them in memory and trying again later");
    {
        std::lock_guard lock(m_mutex);
        ++m_flushFailures;
    }
    // Back in time order, so that dropping from the front drops the oldest.
    std::stable_sort(batch.events.begin(), batch.events.end(),
                     [](const Event &a, const Event &b) { return a.atMs < b.atMs; });
    const qint64 records = batch.records, bytes = batch.bytes;
    qint64 rows = 0; // keys the shard also has merge into one: count what the merge added
    {
        std::lock_guard lock(m_shards[0].mutex);
        rows = -m_shards[0].batch.rows();
        m_shards[0].batch.absorb(std::move(batch), StatsBatch::Place::Before);
        rows += m_shards[0].batch.rows();
    }
    m_pendingRecords += records;
    m_pendingRows += rows;
    m_pendingBytes += bytes;
    if (!willRetry) {
        dropOldestEvents();
        std::lock_guard lock(m_mutex);
        reportDrops();
    }
    if (willRetry)
        m_retryTimer.start(m_options.retryDelayMs);
    else
        m_failedAttempts = 0; // the next interval starts a new attempt-and-retry
}

Status StatsBuffer::flushAll() {
    if (m_inFlight) {
        auto flight = m_inFlight;
        flight->result.waitForFinished();
        finishFlush(flight, flight->result.result());
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (attempt > 0)
            QThread::msleep(ulong(m_options.retryDelayMs));
        m_retryTimer.stop();
        m_failedAttempts = 0;
        flush();
        if (!m_inFlight)
            return {}; // nothing pending
        auto flight = m_inFlight;
        flight->result.waitForFinished();
        const Status status = flight->result.result();
        finishFlush(flight, status);
        if (status)
            return {};
    }
    const Counters c = counters();
    return Error{Error::Code::Database,
                 QStringLiteral("Could not write %1 pending analytics records.").arg(c.pending)};
}

Result<qint64> StatsBuffer::prune(db::Connection &c, qint64 nowSeconds, qint64 keepSeconds) {
    auto events = c.prepare("DELETE FROM stats_events WHERE at < ?");
    if (!events)
        return events.error();
    events->bind(1, (nowSeconds - keepSeconds) * 1000);
    if (Status s = events->exec(); !s)
        return s.error();
    const qint64 removed = c.changes();
    auto visitors = c.prepare("DELETE FROM stats_visitors WHERE start < ?");
    if (!visitors)
        return visitors.error();
    visitors->bind(1, nowSeconds - VisitorKeepSeconds);
    if (Status s = visitors->exec(); !s)
        return s.error();
    return removed;
}

} // namespace fazt::stats
