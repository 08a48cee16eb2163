#pragma once

#include <QString>
#include <QStringView>

namespace fazt::system {

// Text from outside (a request path, a script's fazt.log, an error a client caused) on its way
// into a log line. A log is read in a terminal: raw control characters there are commands
// (ESC [2J clears the screen, ESC ]... retitles it, a CR overwrites the line). Every log line we
// print or store goes through escaped().
class LogText {
public:
    // `text` with each C0 control character (except tab), DEL and each C1 control written
    // out visibly: "\n", "\r", or "\xNN" (e.g. ESC is "\x1b").
    static QString escaped(QStringView text);
    // Makes every qDebug/qInfo/qWarning/qCritical of this process pass through escaped()
    // before it is written, with the journal's priority prefix ("<3>" for qCritical...) when
    // stderr goes to the journal (a systemd service). Call once, early in main().
    static void installMessageFilter();
    // True when stderr is a stream into the journal (systemd's JOURNAL_STREAM names it).
    static bool isStderrTheJournal();
};

} // namespace fazt::system
