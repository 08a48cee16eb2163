// How `fazt` talks to people and scripts: the streams, --quiet, --json, tables, colour.

#include "cli/cli.h"
#include "cli/command.h"

#include <QFile>
#include <QJsonDocument>

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace fazt::cli {

namespace {

bool quiet = false;

// Where note() writes under --quiet: nowhere.
QIODevice *nowhere() {
    static QFile null(QStringLiteral("/dev/null"));
    if (!null.isOpen())
        (void)null.open(QIODevice::WriteOnly);
    return &null;
}

bool isColourful() {
    static const bool colourful = ::isatty(STDOUT_FILENO) == 1 &&
                                  qEnvironmentVariableIsEmpty("NO_COLOR") &&
                                  qEnvironmentVariable("TERM") != QLatin1String("dumb");
    return colourful;
}

} // namespace

QTextStream &out() {
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err() {
    static QTextStream stream(stderr);
    return stream;
}

QTextStream &note() {
    static QTextStream silent(nowhere());
    return quiet ? silent : out();
}

void setQuiet(bool isQuiet) {
    quiet = isQuiet;
}

bool isQuiet() {
    return quiet;
}

const QCommandLineOption &jsonOption() {
    static const QCommandLineOption option(
        QStringList{QStringLiteral("json")},
        QStringLiteral("Print JSON instead of text (for scripts)."));
    return option;
}

void printJson(const QJsonObject &object) {
    out() << QJsonDocument(object).toJson(QJsonDocument::Indented) << Qt::flush;
}

void printTable(const QList<QStringList> &rows) {
    QList<qsizetype> widths;
    for (const QStringList &row : rows) {
        widths.resize(std::max(widths.size(), row.size()));
        for (qsizetype i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    }
    for (qsizetype r = 0; r < rows.size(); ++r) {
        const QStringList &row = rows[r];
        QString line;
        for (qsizetype i = 0; i < row.size(); ++i)
            line += i + 1 < row.size() ? row[i].leftJustified(widths[i] + 2) : row[i];
        while (line.endsWith(u' '))
            line.chop(1);
        out() << (r == 0 ? coloured(line, Colour::Bold) : line) << Qt::endl;
    }
}

QString coloured(const QString &text, Colour colour) {
    if (!isColourful() || text.isEmpty())
        return text;
    const char *code = colour == Colour::Bold    ? "1"
                       : colour == Colour::Green ? "32"
                       : colour == Colour::Red   ? "31"
                                                 : "33";
    return QStringLiteral("\x1b[%1m%2\x1b[0m").arg(QLatin1String(code), text);
}

QByteArray askHidden(const char *prompt) {
    err() << prompt << Qt::flush;
    termios saved{};
    const bool isTerminal = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (isTerminal) {
        termios silent = saved;
        silent.c_lflag &= ~tcflag_t(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &silent);
    }
    QTextStream in(stdin);
    const QByteArray line = in.readLine().toUtf8();
    if (isTerminal)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    err() << Qt::endl;
    return line;
}

int fail(const QString &message) {
    err() << "fazt: " << message << Qt::endl;
    return Failure;
}

int usageError(const QString &message) {
    err() << "fazt: " << message << Qt::endl;
    return Usage;
}

} // namespace fazt::cli
