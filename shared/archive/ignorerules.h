#pragma once

#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

namespace fazt::archive {

// The paths a folder deploy leaves out, in gitignore syntax: read from the folder's own
// .gitignore and .faztignore (in that order, so .faztignore has the last word). Supported:
// blank lines and # comments, `*`, `?`, `[a-z]`, `**`, a leading `/` (or any inner `/`) to
// anchor a pattern to the folder, a trailing `/` for folders only, `!` to take a path back,
// `\` to escape. The last pattern that matches decides; a path inside a left-out folder is
// left out whatever a later `!` says (as git does). Only the top folder's files are read.
class IgnoreRules {
public:
    IgnoreRules() = default;
    // The rules of `folder`'s .gitignore and .faztignore (missing files add nothing).
    static IgnoreRules forFolder(const QString &folder);
    // Adds the patterns of one file's text; `source` names it in why().
    void add(const QString &text, const QString &source);

    bool isEmpty() const { return m_rules.isEmpty(); }
    // Whether `path` ('/'-separated, relative to the folder) is left out; for a folder, its
    // whole content is.
    bool isIgnored(const QString &path, bool isFolder) const;
    // The file and pattern that leave `path` out ("'.gitignore: *.log'"); empty if none.
    QString why(const QString &path, bool isFolder) const;

private:
    struct Rule {
        QRegularExpression pattern;
        bool isNegated = false;
        bool isFolderOnly = false;
        QString text; // "source: pattern", for why()
    };
    const Rule *decidingRule(const QString &path, bool isFolder) const;

    QList<Rule> m_rules;
};

} // namespace fazt::archive
