#include "system/logtext.h"

#include <QByteArray>

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

namespace fazt::system {

namespace {

bool isControl(QChar ch) {
    const char16_t c = ch.unicode();
    return (c < 0x20 && c != u'\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

QtMessageHandler g_nextHandler = nullptr;

// The journal reads a "<N>" prefix as the line's priority (sd-daemon(3)): `journalctl -p err`
// then finds the errors, and they show in red.
QLatin1StringView priorityPrefix(QtMsgType type) {
    switch (type) {
    case QtDebugMsg:
        return QLatin1StringView("<7>");
    case QtInfoMsg:
        return QLatin1StringView("<6>");
    case QtWarningMsg:
        return QLatin1StringView("<4>");
    case QtCriticalMsg:
        return QLatin1StringView("<3>");
    case QtFatalMsg:
        return QLatin1StringView("<2>");
    }
    return {};
}

void filterMessage(QtMsgType type, const QMessageLogContext &context, const QString &message) {
    static const bool isJournal = LogText::isStderrTheJournal();
    if (!g_nextHandler)
        return;
    if (isJournal)
        g_nextHandler(type, context, priorityPrefix(type) + LogText::escaped(message));
    else
        g_nextHandler(type, context, LogText::escaped(message));
}

} // namespace

// Under systemd, stderr is a stream into the journal, named by JOURNAL_STREAM ("DEV:INODE").
bool LogText::isStderrTheJournal() {
    const QByteArray stream = qgetenv("JOURNAL_STREAM");
    const qsizetype colon = stream.indexOf(':');
    struct stat info {};
    if (colon < 0 || ::fstat(STDERR_FILENO, &info) != 0)
        return false;
    return stream.left(colon).toULongLong() == quint64(info.st_dev) &&
           stream.mid(colon + 1).toULongLong() == quint64(info.st_ino);
}

QString LogText::escaped(QStringView text) {
    if (std::none_of(text.begin(), text.end(), isControl))
        return text.toString();
    QString out;
    out.reserve(text.size() + 16);
    for (const QChar ch : text) {
        if (!isControl(ch)) {
            out += ch;
        } else if (ch == u'\n') {
            out += QLatin1String("\\n");
        } else if (ch == u'\r') {
            out += QLatin1String("\\r");
        } else {
            out += QLatin1String("\\x");
            out += QString::number(ch.unicode(), 16).rightJustified(2, u'0');
        }
    }
    return out;
}

void LogText::installMessageFilter() {
    g_nextHandler = qInstallMessageHandler(filterMessage);
}

} // namespace fazt::system
