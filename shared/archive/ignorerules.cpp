#include "archive/ignorerules.h"

#include <QDir>
#include <QFile>

namespace fazt::archive {

namespace {

// A gitignore pattern (without its `!`, leading and trailing `/`) as a regular expression
// for a whole '/'-separated path.
QString translate(const QString &pattern, bool isAnchored) {
    QString re = isAnchored ? QString() : QStringLiteral("(?:.*/)?");
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        const QChar c = pattern[i];
        if (c == u'*' && pattern.mid(i, 2) == QLatin1String("**")) {
            const bool startsSegment = i == 0 || pattern[i - 1] == u'/';
            const bool endsSegment = i + 2 == pattern.size() || pattern[i + 2] == u'/';
            if (startsSegment && endsSegment) {
                if (i + 2 == pattern.size()) { // "x/**": everything inside
                    re += QStringLiteral(".*");
                } else { // "**/x", "x/**/y": any number of folders
                    re += QStringLiteral("(?:.*/)?");
                    ++i; // the '/' after "**"
                }
                ++i;
                continue;
            }
        }
        if (c == u'*') {
            re += QStringLiteral("[^/]*");
        } else if (c == u'?') {
            re += QStringLiteral("[^/]");
        } else if (c == u'[') {
            const qsizetype close = pattern.indexOf(u']', i + 2);
            if (close < 0) {
                re += QStringLiteral("\\[");
                continue;
            }
            QString set = pattern.mid(i + 1, close - i - 1);
            if (set.startsWith(u'!'))
                set[0] = u'^';
            set.replace(QStringLiteral("\\"), QStringLiteral("\\\\"));
            re += u'[' + set + u']';
            i = close;
        } else if (c == u'\\' && i + 1 < pattern.size()) {
            re += QRegularExpression::escape(QString(pattern[++i]));
        } else {
            re += QRegularExpression::escape(QString(c));
        }
    }
    return u'^' + re + u'$';
}

} // namespace

IgnoreRules IgnoreRules::forFolder(const QString &folder) {
    IgnoreRules rules;
    for (const QString &name : {QStringLiteral(".gitignore"), QStringLiteral(".faztignore")}) {
        QFile file(QDir(folder).filePath(name));
        if (file.open(QIODevice::ReadOnly))
            rules.add(QString::fromUtf8(file.readAll()), name);
    }
    return rules;
}

void IgnoreRules::add(const QString &text, const QString &source) {
    for (QString line : text.split(u'\n')) {
        if (line.endsWith(u'\r'))
            line.chop(1);
        while (line.endsWith(u' ') && !line.endsWith(QLatin1String("\\ ")))
            line.chop(1);
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        Rule rule;
        rule.text = source + QStringLiteral(": ") + line;
        if (line.startsWith(u'!')) {
            rule.isNegated = true;
            line.remove(0, 1);
        } else if (line.startsWith(QLatin1String("\\!")) || line.startsWith(QLatin1String("\\#"))) {
            line.remove(0, 1);
        }
        if (line.endsWith(u'/')) {
            rule.isFolderOnly = true;
            line.chop(1);
        }
        const bool isAnchored = line.contains(u'/');
        if (line.startsWith(u'/'))
            line.remove(0, 1);
        if (line.isEmpty())
            continue;
        rule.pattern = QRegularExpression(translate(line, isAnchored));
        if (rule.pattern.isValid())
            m_rules.append(rule);
    }
}

const IgnoreRules::Rule *IgnoreRules::decidingRule(const QString &path, bool isFolder) const {
    for (qsizetype i = m_rules.size() - 1; i >= 0; --i) {
        const Rule &rule = m_rules[i];
        if (rule.isFolderOnly && !isFolder)
            continue;
        if (rule.pattern.match(path).hasMatch())
            return &rule;
    }
    return nullptr;
}

bool IgnoreRules::isIgnored(const QString &path, bool isFolder) const {
    const Rule *rule = decidingRule(path, isFolder);
    return rule && !rule->isNegated;
}

QString IgnoreRules::why(const QString &path, bool isFolder) const {
    const Rule *rule = decidingRule(path, isFolder);
    return rule && !rule->isNegated ? rule->text : QString();
}

} // namespace fazt::archive
