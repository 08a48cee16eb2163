#include "system/logtext.h"

#include <algorithm>

namespace fazt::system {

namespace {

bool isControl(QChar ch) {
    const char16_t c = ch.unicode();
    return (c < 0x20 && c != u'\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

QtMessageHandler g_nextHandler = nullptr;

void filterMessage(QtMsgType type, const QMessageLogContext &context, const QString &message) {
    if (g_nextHandler)
        g_nextHandler(type, context, LogText::escaped(message));
}

} // namespace

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
