#pragma once

#include "result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace fazt::db {

class Connection;

// A prepared statement borrowed from its connection's cache. Bind, step, read columns; on
// destruction it is reset and returned to the cache (or finalized if it was not cached).
// Column indexes are 0-based, bind indexes 1-based, as in SQLite.
class Statement {
public:
    Statement(Statement &&other) noexcept;
    Statement &operator=(Statement &&) = delete;
    Statement(const Statement &) = delete;
    ~Statement();

    Statement &bind(int index, qint64 value);
    Statement &bind(int index, int value) { return bind(index, qint64(value)); }
    Statement &bind(int index, const QString &text);
    Statement &bind(int index, const QByteArray &) = delete; // say bindText or bindBlob
    Statement &bind(int index, const char *) = delete;
    Statement &bindText(int index, QByteArrayView utf8);
    // Binds text SQLite reads where it lies, without a copy: it must stay valid until this
    // Statement is gone or the parameter is bound again.
    Statement &bindTextInPlace(int index, QByteArrayView utf8);
    Statement &bindBlob(int index, QByteArrayView bytes);
    Statement &bindNull(int index);

    // Binds every argument in order, starting at index 1.
    template <typename... Args> Statement &bindAll(const Args &...args) {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

    // Advances to the next row: true while there is one. After false, check error().
    bool next();
    // Runs to completion, ignoring rows; then the statement can be bound and run again.
    Status exec();
    // The error of the last next()/exec(), if it failed.
    const std::optional<Error> &error() const { return m_error; }

    qint64 int64(int column) const;
    QString text(int column) const;
    QByteArray blob(int column) const;
    bool isNull(int column) const;

private:
    friend class Connection;
    Statement(Connection *connection, sqlite3_stmt *stmt, bool isCached);

    Connection *m_connection;
    sqlite3_stmt *m_stmt;
    bool m_isCached;
    std::optional<Error> m_error;
};

enum class OpenMode { ReadWrite, ReadOnly };

// One SQLite connection, used by one thread at a time. Keeps prepared statements cached by
// their SQL text, so the hot path never re-parses SQL.
class Connection {
public:
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // Opens (ReadWrite creates the file if missing). ReadOnly connections run with
    // `query_only`, so a bug can never make a reader write.
    static Result<std::unique_ptr<Connection>> open(const QString &path, OpenMode mode);

    // A statement for `sql` (which must outlive no one: it is copied into the cache key).
    Result<Statement> prepare(std::string_view sql);
    // Runs one or more statements without results.
    Status exec(std::string_view sql);
    // Runs a query that returns one integer (e.g. a pragma); NotFound if no row.
    Result<qint64> queryInt(std::string_view sql);

    // Rolls back the open transaction, if any (best effort: used on paths already failing).
    void rollback();

    qint64 lastInsertRowId() const;
    int changes() const;
    bool isInTransaction() const;
    sqlite3 *handle() const { return m_db; }
    const QString &path() const { return m_path; }

    // Turns SQLite's current error into an Error whose message starts with `context`.
    Error lastError(const QString &context) const;
    static Error errorFromCode(int code, const QString &context, const char *detail);

private:
    friend class Statement;
    Connection(sqlite3 *db, QString path);
    void giveBack(sqlite3_stmt *stmt);

    sqlite3 *m_db;
    QString m_path;
    struct Cached {
        sqlite3_stmt *stmt = nullptr;
        bool isInUse = false;
    };
    std::unordered_map<std::string, Cached> m_cache;
    std::unordered_map<sqlite3_stmt *, Cached *> m_byStmt;
};

} // namespace fazt::db
