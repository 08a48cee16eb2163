// The fazt package on a clean Debian 12 (debootstrap --variant=minbase bookworm, unpacked from a
// tarball cached outside the clone by tests/support/bookworm-root.sh): `apt-get install
// ./fazt_*.deb` resolves every library from the archive (the proof that Depends is complete),
// `fazt server init` and `fazt server start` run inside the chroot as the fazt user, and the
// server answers curl from outside. Then installers/install.sh --deb, twice (idempotent), then
// --uninstall (the data stays) and --uninstall --purge (it goes).
//
// Needs root (chroot, mount) and the Debian archive (or its apt cache from an earlier run); skips
// with the reason otherwise.

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

const QString cacheDir =
    qEnvironmentVariable("FAZT_TEST_CACHE", QStringLiteral("/var/cache/fazt-tests"));

struct Ran {
    int code = -1;
    QByteArray output;
};

Ran run(const QString &program, const QStringList &arguments, int timeoutMs = 600000,
        const QByteArray &input = {}) {
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    process.start(program, arguments);
    process.waitForStarted();
    if (!input.isNull()) {
        process.write(input);
        process.closeWriteChannel();
    }
    if (!process.waitForFinished(timeoutMs))
        process.kill();
    process.waitForFinished();
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            process.readAll()};
}

quint16 freePort() {
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();
}

} // namespace

class TestInstall : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void aptInstallsThePackage();
    void serverInitAndStartInTheChroot();
    void installScriptTwiceThenUninstall();

private:
    Ran inChroot(const QStringList &command, int timeoutMs = 600000, const QByteArray &input = {});

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_root;
    QString m_deb; // its name in the chroot's /tmp
    QStringList m_mounts;
};

void TestInstall::initTestCase() {
    if (::geteuid() != 0)
        QSKIP("Not root: installing a package into a chroot needs root (run make test as root).");
    if (QStandardPaths::findExecutable(QStringLiteral("debootstrap")).isEmpty())
        QSKIP("debootstrap is missing: run installers/deps.sh test.");
    const Ran tarball =
        run(QStringLiteral(FAZT_SOURCE_DIR "/tests/support/bookworm-root.sh"), {cacheDir}, 1800000);
    if (tarball.code == 77)
        QSKIP(qPrintable(QStringLiteral("No clean Debian 12 to install into: ") +
                         QString::fromUtf8(tarball.output.trimmed())));
    QVERIFY2(tarball.code == 0, tarball.output.constData());
    const QString tarballPath = QString::fromUtf8(tarball.output.trimmed().split('\n').last());

    const QDir packages(qEnvironmentVariable("FAZT_PACKAGES"));
    const QStringList debs = packages.entryList({QStringLiteral("fazt_*.deb")}, QDir::Files);
    QVERIFY2(debs.size() == 1, "one fazt_*.deb in FAZT_PACKAGES (the 'packages' test makes it)");

    // /var/tmp: the root filesystem is a few hundred MB, more than a tmpfs /tmp may hold.
    m_dir = std::make_unique<QTemporaryDir>(QStringLiteral("/var/tmp/fazt-chroot-XXXXXX"));
    QVERIFY(m_dir->isValid());
    m_dir->setAutoRemove(false); // cleanupTestCase removes it once nothing is mounted inside
    m_root = m_dir->filePath(QStringLiteral("root"));
    QVERIFY(QDir().mkpath(m_root));
    const Ran untar = run(QStringLiteral("tar"),
                          {QStringLiteral("-C"), m_root, QStringLiteral("-xzf"), tarballPath});
    QVERIFY2(untar.code == 0, untar.output.constData());
    m_deb = QStringLiteral("/tmp/") + debs.first();
    QVERIFY(QFile::copy(packages.filePath(debs.first()), m_root + m_deb));
    QVERIFY(QFile::copy(QStringLiteral(FAZT_SOURCE_DIR "/installers/install.sh"),
                        m_root + QStringLiteral("/tmp/install.sh")));
    QFile::remove(m_root + QStringLiteral("/etc/resolv.conf"));
    QFile::copy(QStringLiteral("/etc/resolv.conf"), m_root + QStringLiteral("/etc/resolv.conf"));

    // /proc and /dev for the programs; the downloaded .debs kept between runs.
    const QString archives = cacheDir + QStringLiteral("/apt-archives");
    QDir().mkpath(archives + QStringLiteral("/partial"));
    const QList<QStringList> mounts{
        {QStringLiteral("-t"), QStringLiteral("proc"), QStringLiteral("proc"),
         m_root + QStringLiteral("/proc")},
        {QStringLiteral("--bind"), QStringLiteral("/dev"), m_root + QStringLiteral("/dev")},
        {QStringLiteral("--bind"), archives, m_root + QStringLiteral("/var/cache/apt/archives")}};
    for (const QStringList &mount : mounts) {
        const Ran mounted = run(QStringLiteral("mount"), mount);
        QVERIFY2(mounted.code == 0, mounted.output.constData());
        m_mounts.prepend(mount.last());
    }
}

void TestInstall::cleanupTestCase() {
    for (const QString &mount : std::as_const(m_mounts))
        run(QStringLiteral("umount"), {QStringLiteral("-l"), mount});
    m_mounts.clear();
    if (!m_dir)
        return;
    // Never delete through a mount that is still there (the host's /dev, the apt cache).
    QFile mounts(QStringLiteral("/proc/self/mounts"));
    if (!mounts.open(QIODevice::ReadOnly) || mounts.readAll().contains(QFile::encodeName(m_root))) {
        qWarning("%s is still mounted: left in place", qPrintable(m_root));
        return;
    }
    m_dir->remove();
}

Ran TestInstall::inChroot(const QStringList &command, int timeoutMs, const QByteArray &input) {
    return run(QStringLiteral("chroot"), QStringList{m_root} + command, timeoutMs, input);
}

void TestInstall::aptInstallsThePackage() {
    // Fresh lists when the archive answers; the cached ones (and .debs) when it does not.
    const Ran update =
        inChroot({QStringLiteral("apt-get"), QStringLiteral("update"), QStringLiteral("-qq")});
    if (update.code != 0)
        qWarning("apt-get update failed in the chroot, trying the cached lists: %s",
                 update.output.constData());
    const Ran installed =
        inChroot({QStringLiteral("env"), QStringLiteral("DEBIAN_FRONTEND=noninteractive"),
                  QStringLiteral("apt-get"), QStringLiteral("install"), QStringLiteral("-y"),
                  QStringLiteral("-q"), QStringLiteral("--no-install-recommends"), m_deb});
    if (installed.code != 0 && update.code != 0)
        QSKIP("The Debian archive is unreachable and the cache lacks a dependency.");
    QVERIFY2(installed.code == 0, installed.output.right(3000).constData());
    const Ran version = inChroot({QStringLiteral("fazt"), QStringLiteral("--version")});
    QVERIFY2(version.code == 0, version.output.constData());
    QVERIFY(version.output.startsWith("fazt "));
    // Every library the binary needs is there: ldd finds them all.
    const Ran ldd = inChroot({QStringLiteral("ldd"), QStringLiteral("/usr/bin/fazt")});
    QVERIFY2(!ldd.output.contains("not found"), ldd.output.constData());
    QVERIFY2(!ldd.output.contains("libQt6Gui"), "the server pulls in no GUI library");
    // The postinst made the user and its private folder.
    QCOMPARE(inChroot({QStringLiteral("id"), QStringLiteral("-u"), QStringLiteral("fazt")}).code,
             0);
    struct stat folder {};
    QCOMPARE(::stat(qPrintable(m_root + QStringLiteral("/var/lib/fazt")), &folder), 0);
    QCOMPARE(folder.st_mode & 07777, 0700u);
}

void TestInstall::serverInitAndStartInTheChroot() {
    const QString db = QStringLiteral("/var/lib/fazt/fazt.db");
    const Ran init =
        run(QStringLiteral("chroot"),
            {QStringLiteral("--userspec=fazt:fazt"), m_root, QStringLiteral("fazt"),
             QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
             QStringLiteral("localhost"), QStringLiteral("--db"), db,
             QStringLiteral("--password-file"), QStringLiteral("-")},
            60000, "correct horse battery staple\n");
    QVERIFY2(init.code == 0, init.output.constData());

    const quint16 port = freePort();
    QProcess server;
    server.setProcessChannelMode(QProcess::MergedChannels);
    server.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    // chroot execs fazt: the process is the server itself, so SIGTERM reaches it.
    server.start(QStringLiteral("chroot"),
                 {QStringLiteral("--userspec=fazt:fazt"), m_root, QStringLiteral("fazt"),
                  QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db,
                  QStringLiteral("--port"), QString::number(port), QStringLiteral("--listen"),
                  QStringLiteral("127.0.0.1")});
    QVERIFY(server.waitForStarted());
    const QStringList curl{QStringLiteral("--silent"),
                           QStringLiteral("--show-error"),
                           QStringLiteral("--max-time"),
                           QStringLiteral("5"),
                           QStringLiteral("--write-out"),
                           QStringLiteral("\n%{http_code}"),
                           QStringLiteral("--header"),
                           QStringLiteral("Host: localhost"),
                           QStringLiteral("http://127.0.0.1:%1/").arg(port)};
    Ran answer;
    for (int i = 0; i < 100 && !answer.output.endsWith("\n200"); ++i) {
        QTest::qWait(200);
        answer = run(QStringLiteral("curl"), curl, 10000);
    }
    QVERIFY2(answer.output.endsWith("\n200"),
             QByteArray(answer.output + "\nserver said:\n" + server.readAll()).constData());
    QVERIFY(answer.output.contains("<html") || answer.output.contains("<!doctype") ||
            answer.output.contains("<!DOCTYPE"));
    ::kill(pid_t(server.processId()), SIGTERM);
    QVERIFY(server.waitForFinished(30000));
    QCOMPARE(server.exitCode(), 0);
}

void TestInstall::installScriptTwiceThenUninstall() {
    QFile password(m_root + QStringLiteral("/tmp/password"));
    QVERIFY(password.open(QIODevice::WriteOnly));
    password.write("another long passphrase\n");
    password.close();
    const QStringList install{QStringLiteral("/tmp/install.sh"),
                              QStringLiteral("--deb"),
                              m_deb,
                              QStringLiteral("--domain"),
                              QStringLiteral("example.test"),
                              QStringLiteral("--password-file"),
                              QStringLiteral("/tmp/password")};
    for (int round = 0; round < 2; ++round) {
        const Ran ran = inChroot(install);
        QVERIFY2(ran.code == 0, ran.output.constData());
        QVERIFY2(ran.output.contains("http://admin.example.test/"), ran.output.constData());
        QVERIFY2(ran.output.contains("systemd does not run here"), ran.output.constData());
    }
    QFile defaults(m_root + QStringLiteral("/etc/default/fazt"));
    QVERIFY(defaults.open(QIODevice::ReadOnly));
    QVERIFY(defaults.readAll().contains("FAZT_DOMAIN=example.test"));
    // The database knows the new domain and keeps what the earlier test made.
    QVERIFY(QFileInfo::exists(m_root + QStringLiteral("/var/lib/fazt/fazt.db")));
    // Again without flags: what the first run chose stays.
    const Ran again = inChroot({QStringLiteral("/tmp/install.sh"), QStringLiteral("--deb"), m_deb});
    QVERIFY2(again.code == 0, again.output.constData());
    QVERIFY(again.output.contains("http://admin.example.test/"));

    const Ran uninstall =
        inChroot({QStringLiteral("/tmp/install.sh"), QStringLiteral("--uninstall")});
    QVERIFY2(uninstall.code == 0, uninstall.output.constData());
    QVERIFY(!QFileInfo::exists(m_root + QStringLiteral("/usr/bin/fazt")));
    QVERIFY2(QFileInfo::exists(m_root + QStringLiteral("/var/lib/fazt/fazt.db")),
             "--uninstall keeps the data");

    const Ran purge = inChroot({QStringLiteral("/tmp/install.sh"), QStringLiteral("--uninstall"),
                                QStringLiteral("--purge")});
    QVERIFY2(purge.code == 0, purge.output.constData());
    QVERIFY(!QFileInfo::exists(m_root + QStringLiteral("/var/lib/fazt")));
    QVERIFY(inChroot({QStringLiteral("id"), QStringLiteral("fazt")}).code != 0);
}

QTEST_GUILESS_MAIN(TestInstall)
#include "tst_install.moc"
