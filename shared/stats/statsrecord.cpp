#include "stats/statsrecord.h"

namespace fazt::stats {

void Event::setTexts(QByteArrayView path, QByteArrayView name, QByteArrayView properties,
                     QByteArrayView referrerHost) {
    m_texts.clear();
    m_texts.reserve(path.size() + name.size() + properties.size() + referrerHost.size());
    const QByteArrayView parts[] = {path, name, properties, referrerHost};
    for (size_t i = 0; i < m_ends.size(); ++i) {
        m_texts.append(parts[i]);
        m_ends[i] = quint32(m_texts.size());
    }
}

QString agentName(Agent agent) {
    switch (agent) {
    case Agent::Desktop:
        return QStringLiteral("desktop");
    case Agent::Mobile:
        return QStringLiteral("mobile");
    case Agent::Tablet:
        return QStringLiteral("tablet");
    case Agent::Bot:
        return QStringLiteral("bot");
    case Agent::Other:
        break;
    }
    return QStringLiteral("other");
}

Agent classifyAgent(QByteArrayView userAgent) {
    const auto has = [userAgent](QByteArrayView needle) {
        return userAgent.contains(needle); // case matters less than speed: the usual spellings
    };
    if (userAgent.isEmpty())
        return Agent::Other;
    if (has("bot") || has("Bot") || has("spider") || has("Spider") || has("crawl") ||
        has("Crawl") || has("curl/") || has("Wget/") || has("python-") || has("Go-http") ||
        has("HeadlessChrome") || has("monitor"))
        return Agent::Bot;
    if (has("iPad") || has("Tablet") || (has("Android") && !has("Mobile")))
        return Agent::Tablet;
    if (has("Mobile") || has("iPhone") || has("Android"))
        return Agent::Mobile;
    if (has("Mozilla/"))
        return Agent::Desktop;
    return Agent::Other;
}

QString referrerHost(QByteArrayView referer, QByteArrayView ownHost) {
    const qsizetype scheme = referer.indexOf("://");
    if (scheme <= 0 || scheme > 10)
        return {};
    QByteArrayView rest = referer.sliced(scheme + 3);
    qsizetype end = 0;
    while (end < rest.size() && rest[end] != '/' && rest[end] != '?' && rest[end] != '#')
        ++end;
    QByteArrayView host = rest.first(end);
    if (const qsizetype at = host.lastIndexOf('@'); at >= 0)
        host = host.sliced(at + 1);
    if (const qsizetype colon = host.lastIndexOf(':'); colon >= 0 && !host.endsWith(']'))
        host = host.first(colon);
    if (host.isEmpty() || host.size() > 253)
        return {};
    for (char c : host) {
        const bool isHostChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '[' ||
                                c == ']' || c == ':';
        if (!isHostChar)
            return {};
    }
    QByteArrayView own = ownHost;
    if (const qsizetype colon = own.lastIndexOf(':'); colon >= 0 && !own.endsWith(']'))
        own = own.first(colon);
    if (host.compare(own, Qt::CaseInsensitive) == 0)
        return {};
    return QString::fromLatin1(host).toLower();
}

} // namespace fazt::stats
