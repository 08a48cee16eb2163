// IgnoreRules: the gitignore syntax a folder deploy honours (.gitignore, .faztignore).

#include "archive/ignorerules.h"

#include <QTest>

using fazt::archive::IgnoreRules;

class TestIgnoreRules : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matches_data() {
        QTest::addColumn<QString>("rules");
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("isFolder");
        QTest::addColumn<bool>("isIgnored");
        const QString logs = QStringLiteral("# logs\n*.log\n\n!keep.log\n");
        QTest::newRow("any level") << logs << "a/b/x.log" << false << true;
        QTest::newRow("top level") << logs << "x.log" << false << true;
        QTest::newRow("taken back") << logs << "a/keep.log" << false << false;
        QTest::newRow("other file") << logs << "x.html" << false << false;
        QTest::newRow("star stays in a segment") << "/a*.html"
                                                 << "ab/c.html" << false << false;
        QTest::newRow("anchored") << "/build"
                                  << "build" << true << true;
        QTest::newRow("anchored, deeper") << "/build"
                                          << "src/build" << true << false;
        QTest::newRow("folder only, folder") << "cache/"
                                             << "x/cache" << true << true;
        QTest::newRow("folder only, file") << "cache/"
                                           << "x/cache" << false << false;
        QTest::newRow("inner slash anchors") << "docs/*.md"
                                             << "docs/a.md" << false << true;
        QTest::newRow("inner slash, deeper") << "docs/*.md"
                                             << "x/docs/a.md" << false << false;
        QTest::newRow("double star prefix") << "**/tmp"
                                            << "a/b/tmp" << true << true;
        QTest::newRow("double star inside") << "a/**/z.txt"
                                            << "a/z.txt" << false << true;
        QTest::newRow("double star inside, deep") << "a/**/z.txt"
                                                  << "a/b/c/z.txt" << false << true;
        QTest::newRow("double star suffix") << "out/**"
                                            << "out/x/y" << false << true;
        QTest::newRow("question mark") << "?.txt"
                                       << "a.txt" << false << true;
        QTest::newRow("question mark, two") << "?.txt"
                                            << "ab.txt" << false << false;
        QTest::newRow("class") << "[ab].txt"
                               << "b.txt" << false << true;
        QTest::newRow("negated class") << "[!ab].txt"
                                       << "b.txt" << false << false;
        QTest::newRow("escaped") << "\\#x"
                                 << "#x" << false << true;
        QTest::newRow("windows line ends") << "*.tmp\r\n"
                                           << "a.tmp" << false << true;
        QTest::newRow("last rule wins") << "!x.txt\nx.txt"
                                        << "x.txt" << false << true;
        QTest::newRow("regex characters are literal") << "a+b(c).txt"
                                                      << "a+b(c).txt" << false << true;
    }

    void matches() {
        QFETCH(QString, rules);
        QFETCH(QString, path);
        QFETCH(bool, isFolder);
        QFETCH(bool, isIgnored);
        IgnoreRules ignore;
        ignore.add(rules, QStringLiteral(".gitignore"));
        QCOMPARE(ignore.isIgnored(path, isFolder), isIgnored);
        QCOMPARE(ignore.why(path, isFolder).isEmpty(), !isIgnored);
    }

    void whyNamesTheFileAndPattern() {
        IgnoreRules ignore;
        ignore.add(QStringLiteral("*.log\n"), QStringLiteral(".gitignore"));
        ignore.add(QStringLiteral("secret.txt\n"), QStringLiteral(".faztignore"));
        QCOMPARE(ignore.why(QStringLiteral("x/secret.txt"), false),
                 QStringLiteral(".faztignore: secret.txt"));
        QCOMPARE(ignore.why(QStringLiteral("a.log"), false), QStringLiteral(".gitignore: *.log"));
    }
};

QTEST_GUILESS_MAIN(TestIgnoreRules)
#include "tst_ignorerules.moc"
