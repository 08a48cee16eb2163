// The Debian packages `make package` builds (the `packages` test makes them into
// FAZT_PACKAGES): fazt carries the server, the CLI and the systemd units, its Depends come from
// dpkg-shlibdeps and pull in no GUI or Qt Quick library; fazt-console carries the app, its
// .desktop file and icon, and depends on the package of every QML module it can load at run
// time, found by following imports from qml/ through the installed modules (that is how
// Qt.labs.folderlistmodel, imported by QtQuick.Dialogs' FileDialog, was missed).

#include <QDir>
#include <QLibraryInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString packageFile(const QString &name) {
    const QDir dir(qEnvironmentVariable("FAZT_PACKAGES"));
    const QStringList found = dir.entryList({name + QStringLiteral("_*.deb")}, QDir::Files);
    return found.size() == 1 ? dir.filePath(found.first()) : QString();
}

QByteArray run(const QString &program, const QStringList &arguments, int *exitCode = nullptr) {
    QProcess process;
    process.start(program, arguments);
    process.waitForFinished(120000);
    if (exitCode)
        *exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    return process.readAllStandardOutput();
}

QByteArray field(const QString &deb, const QString &name) {
    return run(QStringLiteral("dpkg-deb"), {QStringLiteral("--field"), deb, name}).trimmed();
}

// "libc6 (>= 2.34), libqt6core6 (>= 6.4.0) | foo" -> {libc6, libqt6core6, foo}
QSet<QString> packageNames(const QByteArray &depends) {
    QSet<QString> names;
    static const QRegularExpression separator(QStringLiteral("[,|]"));
    for (const QString &part : QString::fromUtf8(depends).split(separator, Qt::SkipEmptyParts))
        names.insert(part.trimmed().section(u' ', 0, 0).section(u':', 0, 0));
    return names;
}

QStringList contents(const QString &deb) {
    QStringList paths;
    for (const QByteArray &line :
         run(QStringLiteral("dpkg-deb"), {QStringLiteral("--contents"), deb}).split('\n'))
        if (!line.isEmpty())
            paths << QString::fromUtf8(line.mid(line.indexOf("./") + 1)).section(u' ', 0, 0);
    return paths;
}

// The modules `import`ed by the .qml files of the module in `dir` and named by `depends` or
// `import` in its qmldir; `optional import`s (the other platforms' styles) go to `optional`.
// Subfolders belong to it (quickimpl/qml/+Fusion/...) unless they hold a qmldir of their own:
// then they are another module, reached through its own import. designer/ folders are for Qt
// Design Studio, never loaded by an application.
QSet<QString> importsIn(const QString &dir, QSet<QString> &optional) {
    static const QRegularExpression import(
        QStringLiteral("^\\s*import\\s+([A-Za-z][A-Za-z0-9_.]*)"),
        QRegularExpression::MultilineOption);
    static const QRegularExpression qmldirLine(
        QStringLiteral("^(optional )?(?:depends|import|default import)\\s+"
                       "([A-Za-z][A-Za-z0-9_.]*)"),
        QRegularExpression::MultilineOption);
    QSet<QString> modules;
    const QDir folder(dir);
    for (const QFileInfo &entry :
         folder.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (entry.isDir()) {
            if (entry.fileName() != QLatin1String("designer") &&
                !QFileInfo::exists(entry.filePath() + QStringLiteral("/qmldir")))
                modules += importsIn(entry.filePath(), optional);
            continue;
        }
        const bool isQmldir = entry.fileName() == QLatin1String("qmldir");
        if (!isQmldir && entry.suffix() != QLatin1String("qml"))
            continue;
        QFile file(entry.filePath());
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const QString text = QString::fromUtf8(file.readAll());
        for (auto it = (isQmldir ? qmldirLine : import).globalMatch(text); it.hasNext();) {
            const QRegularExpressionMatch match = it.next();
            if (!isQmldir)
                modules.insert(match.captured(1));
            else if (match.captured(1).isEmpty())
                modules.insert(match.captured(2));
            else
                optional.insert(match.captured(2));
        }
    }
    return modules;
}

} // namespace

class TestPackage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void serverPackage();
    void serverPackageNeedsNoGui();
    void consolePackage();
    void consoleDependsOnEveryQmlModuleItLoads();
};

void TestPackage::initTestCase() {
    if (packageFile(QStringLiteral("fazt")).isEmpty())
        QFAIL("No fazt_*.deb in FAZT_PACKAGES: the 'packages' test (cpack) makes them.");
}

void TestPackage::serverPackage() {
    const QString deb = packageFile(QStringLiteral("fazt"));
    QCOMPARE(field(deb, QStringLiteral("Package")), QByteArray("fazt"));
    // One version everywhere: the package's is the binary's (CMake's project version).
    const QByteArray version = field(deb, QStringLiteral("Version"));
    const QByteArray binaryVersion =
        run(qEnvironmentVariable("FAZT_BIN"), {QStringLiteral("--version")}).trimmed();
    QCOMPARE(QByteArray("fazt " + version.left(version.lastIndexOf('-'))), binaryVersion);
    const QStringList files = contents(deb);
    for (const char *path :
         {"/usr/bin/fazt", "/usr/lib/systemd/system/fazt.service",
          "/usr/lib/systemd/system/fazt.socket", "/usr/share/doc/fazt/README.md",
          "/usr/share/doc/fazt/examples/litestream.yml",
          "/usr/share/doc/fazt/examples/litestream-fazt.service"})
        QVERIFY2(files.contains(QLatin1String(path)), path);
    QVERIFY(!files.contains(QStringLiteral("/usr/bin/fazt-console")));
    // The binary inside is the one built, stripped.
    QTemporaryDir dir;
    int code = -1;
    run(QStringLiteral("dpkg-deb"), {QStringLiteral("--extract"), deb, dir.path()}, &code);
    QCOMPARE(code, 0);
    QCOMPARE(
        run(dir.filePath(QStringLiteral("usr/bin/fazt")), {QStringLiteral("--version")}).trimmed(),
        binaryVersion);
    // The maintainer scripts: the user and its folder, and the restart on upgrade.
    const QByteArray postinst = run(QStringLiteral("dpkg-deb"),
                                    {QStringLiteral("--info"), deb, QStringLiteral("postinst")});
    QVERIFY(postinst.contains("adduser --system"));
    QVERIFY(postinst.contains("try-restart fazt.service"));
}

void TestPackage::serverPackageNeedsNoGui() {
    const QSet<QString> depends =
        packageNames(field(packageFile(QStringLiteral("fazt")), QStringLiteral("Depends")));
    // dpkg-shlibdeps found the libraries the binary links.
    for (const char *library : {"libc6", "libqt6core6", "libqt6network6", "libsqlite3-0", "libssl3",
                                "libarchive13", "libargon2-1", "libsystemd0"})
        QVERIFY2(depends.contains(QLatin1String(library)), library);
    for (const QString &name : depends)
        QVERIFY2(!name.contains(QLatin1String("gui")) && !name.contains(QLatin1String("quick")) &&
                     !name.contains(QLatin1String("widgets")) &&
                     !name.contains(QLatin1String("charts")) &&
                     !name.startsWith(QLatin1String("qml6")) &&
                     !name.contains(QLatin1String("libx")) &&
                     !name.contains(QLatin1String("libgl")),
                 qPrintable(name));
}

void TestPackage::consolePackage() {
    const QString deb = packageFile(QStringLiteral("fazt-console"));
    if (deb.isEmpty())
        QSKIP("Built without the console (FAZT_CONSOLE=OFF)");
    QCOMPARE(field(deb, QStringLiteral("Package")), QByteArray("fazt-console"));
    const QStringList files = contents(deb);
    for (const char *path :
         {"/usr/bin/fazt-console", "/usr/share/applications/fazt-console.desktop",
          "/usr/share/icons/hicolor/scalable/apps/fazt-console.svg"})
        QVERIFY2(files.contains(QLatin1String(path)), path);
    QVERIFY(!files.contains(QStringLiteral("/usr/bin/fazt")));
    const QSet<QString> depends = packageNames(field(deb, QStringLiteral("Depends")));
    for (const char *library : {"libqt6quick6", "libqt6charts6", "libqt6widgets6"})
        QVERIFY2(depends.contains(QLatin1String(library)), library);
}

void TestPackage::consoleDependsOnEveryQmlModuleItLoads() {
    const QString deb = packageFile(QStringLiteral("fazt-console"));
    if (deb.isEmpty())
        QSKIP("Built without the console (FAZT_CONSOLE=OFF)");
    const QSet<QString> depends = packageNames(field(deb, QStringLiteral("Depends")));
    const QString qmlRoot = QLibraryInfo::path(QLibraryInfo::QmlImportsPath);
    QSet<QString> optional;
    QStringList pending = importsIn(QStringLiteral(FAZT_SOURCE_DIR "/qml"), optional).values();
    QSet<QString> seen;
    QStringList missing;
    while (!pending.isEmpty()) {
        const QString module = pending.takeLast();
        if (seen.contains(module) || module.startsWith(QLatin1String("Fazt.")))
            continue;
        seen.insert(module);
        const QString dir = qmlRoot + u'/' + QString(module).replace(u'.', u'/');
        const QString qmldir = dir + QStringLiteral("/qmldir");
        if (!QFileInfo::exists(qmldir)) {
            // installers/deps.sh installs every module the console loads: one missing here is
            // missing from it too.
            missing << module + QStringLiteral(" (not installed here)");
            continue;
        }
        int code = -1;
        const QByteArray owner = run(QStringLiteral("dpkg"), {QStringLiteral("-S"), qmldir}, &code);
        const QString package = QString::fromUtf8(owner.left(owner.indexOf(':')));
        if (code == 0 && !depends.contains(package))
            missing << module + QStringLiteral(" from ") + package;
        pending += importsIn(dir, optional).values();
        // An optional import counts where it is installed (the styles of this platform); the
        // other platforms' (iOS, macOS, Windows) are not.
        for (const QString &name : std::as_const(optional))
            if (QFileInfo::exists(qmlRoot + u'/' + QString(name).replace(u'.', u'/') +
                                  QStringLiteral("/qmldir")))
                pending << name;
        // Loaded by a plugin's C++, named in no qmldir: QtQuick.Dialogs' FileDialog and
        // FolderDialog are QML files of its quickimpl module (which import
        // Qt.labs.folderlistmodel).
        if (module == QLatin1String("QtQuick.Dialogs"))
            pending << QStringLiteral("QtQuick.Dialogs.quickimpl");
    }
    QStringList modules = seen.values();
    modules.sort();
    qInfo("%d QML modules reachable from qml/: %s", int(modules.size()),
          qPrintable(modules.join(QStringLiteral(", "))));
    QVERIFY(seen.contains(QStringLiteral("Qt.labs.folderlistmodel")));
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QStringLiteral(", "))));
}

QTEST_GUILESS_MAIN(TestPackage)
#include "tst_package.moc"
