#include "db/connection.h"

#include <QStringEncoder>

#include <mutex>
#include <sqlite3.h>

namespace fazt::db {

Statement::Statement(Connection *connection, sqlite3_stmt *stmt, bool isCached)
    : m_connection(connection)
    , m_stmt(stmt)
    , m_isCached(isCached) {}

Statement::Statement(Statement &&other) noexcept
    : m_connection(other.m_connection)
    , m_stmt(std::exchange(other.m_stmt, nullptr))
    , m_isCached(other.m_isCached)
    , m_error(std::move(other.m_error)) {}

Statement::~Statement() {
    if (!m_stmt)
        return;
    if (m_isCached)
        m_connection->giveBack(m_stmt);
    else
        sqlite3_finalize(m_stmt);
}

Statement &Statement::bind(int index, qint64 value) {
    sqlite3_bind_int64(m_stmt, index, value);
    return *this;
}

Statement &Statement::bind(int index, const QString &text) {
    // Encoded into a buffer each thread reuses (SQLite copies the value): binding text costs
    // no allocation. Stateless, so a lone surrogate at the end of one value cannot leak into
    // the next.
    thread_local QStringEncoder encoder(QStringEncoder::Utf8, QStringConverter::Flag::Stateless);
    thread_local QByteArray buffer;
    const qsizetype needed = encoder.requiredSpace(text.size());
    if (buffer.size() < needed)
        buffer.resize(needed);
    const char *end = encoder.appendToBuffer(buffer.data(), text);
    return bindText(index, QByteArrayView(buffer.constData(), end - buffer.constData()));
}

Statement &Statement::bindText(int index, QByteArrayView utf8) {
    sqlite3_bind_text64(m_stmt, index, utf8.data() ? utf8.data() : "", sqlite3_uint64(utf8.size()),
                        SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Statement &Statement::bindTextInPlace(int index, QByteArrayView utf8) {
    sqlite3_bind_text64(m_stmt, index, utf8.data() ? utf8.data() : "", sqlite3_uint64(utf8.size()),
                        SQLITE_STATIC, SQLITE_UTF8);
    return *this;
}

Statement &Statement::bindBlob(int index, QByteArrayView bytes) {
    sqlite3_bind_blob64(m_stmt, index, bytes.data() ? bytes.data() : "",
                        sqlite3_uint64(bytes.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement &Statement::bindNull(int index) {
    sqlite3_bind_null(m_stmt, index);
    return *this;
}

bool Statement::next() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc != SQLITE_DONE) {
        const char *sql = sqlite3_sql(m_stmt);
        m_error = Connection::errorFromCode(sqlite3_extended_errcode(m_connection->handle()),
                                            QStringLiteral("Database statement failed (%1)")
                                                .arg(QString::fromUtf8(sql ? sql : "").left(80)),
                                            sqlite3_errmsg(m_connection->handle()));
    }
    return false;
}

Status Statement::exec() {
    while (next()) {
    }
    // Ready to bind and run again (the same statement is reused for many rows).
    sqlite3_reset(m_stmt);
    if (m_error)
        return *m_error;
    return {};
}

qint64 Statement::int64(int column) const {
    return sqlite3_column_int64(m_stmt, column);
}

QString Statement::text(int column) const {
    const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, column));
    return QString::fromUtf8(data, sqlite3_column_bytes(m_stmt, column));
}

QByteArray Statement::blob(int column) const {
    const auto *data = static_cast<const char *>(sqlite3_column_blob(m_stmt, column));
    return QByteArray(data, sqlite3_column_bytes(m_stmt, column));
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

Connection::Connection(sqlite3 *db, QString path)
    : m_db(db)
    , m_path(std::move(path)) {}

Connection::~Connection() {
    for (auto &[sql, cached] : m_cache)
        sqlite3_finalize(cached.stmt);
    sqlite3_close_v2(m_db);
}

Result<std::unique_ptr<Connection>> Connection::open(const QString &path, OpenMode mode) {
    // NOMUTEX: a connection is only ever used by one thread at a time (see Database).
    // SQLite's allocation statistics take one process-wide mutex on every malloc and free of
    // every connection; nothing reads them, so they are off (before the library initializes).
    static std::once_flag configured;
    std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    if (mode == OpenMode::ReadWrite)
        flags |= SQLITE_OPEN_CREATE;
    sqlite3 *db = nullptr;
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        Error error = errorFromCode(rc, QStringLiteral("Cannot open database %1").arg(path),
                                    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close_v2(db);
        return error;
    }
    std::unique_ptr<Connection> connection(new Connection(db, path));
    if (mode == OpenMode::ReadOnly) {
        if (Status s = connection->exec("PRAGMA query_only=ON"); !s)
            return s.error();
    }
    return connection;
}

Result<Statement> Connection::prepare(std::string_view sql) {
    auto [it, inserted] = m_cache.try_emplace(std::string(sql));
    Cached &cached = it->second;
    if (!inserted && !cached.isInUse) {
        cached.isInUse = true;
        return Statement(this, cached.stmt, true);
    }
    sqlite3_stmt *stmt = nullptr;
    const int rc = sqlite3_prepare_v3(m_db, sql.data(), int(sql.size()),
                                      inserted ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        if (inserted)
            m_cache.erase(it);
        return lastError(QStringLiteral("Cannot prepare statement (%1)")
                             .arg(QString::fromUtf8(sql.data(), qsizetype(sql.size())).left(80)));
    }
    if (!inserted) // the cached one is in use (nested use): hand out a private one
        return Statement(this, stmt, false);
    cached.stmt = stmt;
    cached.isInUse = true;
    m_byStmt.emplace(stmt, &cached);
    return Statement(this, stmt, true);
}

void Connection::giveBack(sqlite3_stmt *stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (auto it = m_byStmt.find(stmt); it != m_byStmt.end())
        it->second->isInUse = false;
}

Status Connection::exec(std::string_view sql) {
    const std::string text(sql);
    char *message = nullptr;
    const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK)
        return {};
    Error error = errorFromCode(
        sqlite3_extended_errcode(m_db),
        QStringLiteral("Database statement failed (%1)").arg(QString::fromUtf8(text).left(80)),
        message ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    return error;
}

Result<qint64> Connection::queryInt(std::string_view sql) {
    auto stmt = prepare(sql);
    if (!stmt)
        return stmt.error();
    if (!stmt->next()) {
        if (stmt->error())
            return *stmt->error();
        return Error::notFound(QStringLiteral("Query returned no row"));
    }
    return stmt->int64(0);
}

void Connection::rollback() {
    if (isInTransaction())
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
}

qint64 Connection::lastInsertRowId() const {
    return sqlite3_last_insert_rowid(m_db);
}
int Connection::changes() const {
    return sqlite3_changes(m_db);
}
bool Connection::isInTransaction() const {
    return !sqlite3_get_autocommit(m_db);
}

Error Connection::lastError(const QString &context) const {
    return errorFromCode(sqlite3_extended_errcode(m_db), context, sqlite3_errmsg(m_db));
}

Error Connection::errorFromCode(int code, const QString &context, const char *detail) {
    Error::Code kind = Error::Code::Database;
    QString hint;
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        kind = Error::Code::Busy;
        hint = QStringLiteral(" Another process holds the database; retry shortly.");
        break;
    case SQLITE_FULL:
        kind = Error::Code::DiskFull;
        hint = QStringLiteral(" Free disk space and retry.");
        break;
    case SQLITE_READONLY:
        kind = Error::Code::ReadOnly;
        hint = QStringLiteral(" Check the file's permissions and the filesystem.");
        break;
    case SQLITE_CONSTRAINT:
        kind = Error::Code::Conflict;
        break;
    case SQLITE_CANTOPEN:
        kind = Error::Code::Io;
        hint = QStringLiteral(" Check that the directory exists and is writable.");
        break;
    case SQLITE_NOTADB:
        kind = Error::Code::Invalid;
        hint = QStringLiteral(" The file is not a Fazt database.");
        break;
    case SQLITE_IOERR:
        kind = Error::Code::Io;
        break;
    default:
        break;
    }
    return {kind, context + QStringLiteral(": ") + QString::fromUtf8(detail ? detail : "") + hint};
}

} // namespace fazt::db
