// A file over 1 GiB served by the real server: Range reads from the middle, a full download
// whose bytes hash right, the server's peak RSS far below the file, and a SIGTERM during a
// download that lets the download finish.

#include "crypto/sha256.h"
#include "support/faztprocess.h"
#include "support/patterndevice.h"
#include "vfs/vfs.h"

#include <QTemporaryDir>
#include <QTest>

using namespace fazt;
using fazt::test::FaztProcess;
using fazt::test::RawClient;

namespace {

constexpr qint64 Size = (qint64(1) << 30) + 4097;

// Reads a response head from the socket; returns the Content-Length, leaves body bytes in `rest`.
qint64 readHead(QTcpSocket &socket, QByteArray &rest, int *status) {
    QByteArray head;
    while (!head.contains("\r\n\r\n")) {
        if (!socket.bytesAvailable() && !socket.waitForReadyRead(10000))
            return -1;
        head += socket.readAll();
    }
    const qsizetype end = head.indexOf("\r\n\r\n");
    rest = head.mid(end + 4);
    head.truncate(end);
    *status = head.split(' ').value(1).toInt();
    for (const QByteArray &line : head.split('\n'))
        if (line.toLower().startsWith("content-length:"))
            return line.mid(15).trimmed().toLongLong();
    return -1;
}

} // namespace

class TestHttpLarge : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir{QDir::currentPath() + QStringLiteral("/http-large-XXXXXX")};
    QString m_db;
    QByteArray m_hash;

    bool startServer(FaztProcess &fazt) {
        return fazt.start({QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), m_db});
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("large.db"));
        auto db = db::Database::open(m_db);
        QVERIFY(db);
        vfs::Vfs vfs(**db);
        QVERIFY(vfs.createSite(QStringLiteral("big")));
        auto writer = vfs.beginDeploy(QStringLiteral("big"));
        QVERIFY(writer);
        test::PatternDevice source(Size, 77);
        QVERIFY((*writer)->addFile(QStringLiteral("disk.img"), source));
        QVERIFY((*writer)->commit());
        m_hash = vfs.resolve(QStringLiteral("big"), QStringLiteral("disk.img"))->hash;
    }

    void rangeFromTheMiddle() {
        FaztProcess fazt;
        QVERIFY(startServer(fazt));
        const qint64 first = 512 * 1024 * 1024 + 12345;
        const qint64 length = 3 * 1024 * 1024 + 17;
        const auto r = test::fetch(fazt.port(), "big.localhost", "/disk.img",
                                   {"Range: bytes=" + QByteArray::number(first) + '-' + QByteArray::number(first + length - 1)});
        QCOMPARE(r.status, 206);
        QCOMPARE(r.body.size(), length);
        test::PatternDevice expected(Size, 77);
        expected.seek(first);
        QCOMPARE(r.body, expected.read(length));
        const auto tail = test::fetch(fazt.port(), "big.localhost", "/disk.img", {"Range: bytes=-10"});
        expected.seek(Size - 10);
        QCOMPARE(tail.body, expected.read(10));
        QCOMPARE(fazt.stop(), 0);
    }

    void fullDownloadInBoundedMemory() {
        FaztProcess fazt;
        QVERIFY(startServer(fazt));
        RawClient client(fazt.port());
        client.send(RawClient::request("big.localhost", "/disk.img"));
        QTcpSocket &socket = client.socket();
        socket.setReadBufferSize(1 << 20);
        QByteArray rest;
        int status = 0;
        const qint64 length = readHead(socket, rest, &status);
        QCOMPARE(status, 200);
        QCOMPARE(length, Size);
        crypto::Sha256 sha;
        sha.addData(rest);
        qint64 received = rest.size();
        while (received < Size) {
            if (!socket.bytesAvailable() && !socket.waitForReadyRead(10000))
                QFAIL("the download stalled");
            const QByteArray piece = socket.read(4 << 20);
            sha.addData(piece);
            received += piece.size();
        }
        QCOMPARE(received, Size);
        QCOMPARE(sha.result(), m_hash);
        const qint64 peak = fazt.memory("VmHWM:");
        qInfo("server peak RSS while serving %lld MB: %lld MB", Size >> 20, peak >> 20);
        QVERIFY2(peak > 0 && peak < 100 * 1024 * 1024, qPrintable(QString::number(peak >> 20)));
        QCOMPARE(fazt.stop(), 0);
    }

    // SIGTERM while a download runs: the server stops accepting, the download completes,
    // then the process exits 0.
    void sigtermLetsTheDownloadFinish() {
        FaztProcess fazt;
        QVERIFY(startServer(fazt));
        RawClient client(fazt.port());
        const QByteArray range = "Range: bytes=0-" + QByteArray::number(200 * 1024 * 1024 - 1);
        client.send(RawClient::request("big.localhost", "/disk.img", {range}));
        QTcpSocket &socket = client.socket();
        socket.setReadBufferSize(256 * 1024); // a slow reader: the server must wait for us
        QByteArray rest;
        int status = 0;
        const qint64 length = readHead(socket, rest, &status);
        QCOMPARE(status, 206);
        ::kill(pid_t(fazt.pid()), SIGTERM);
        QTest::qWait(300);
        QTcpSocket late;
        late.connectToHost(QStringLiteral("127.0.0.1"), fazt.port());
        QVERIFY(!late.waitForConnected(1000) || !late.waitForReadyRead(500)); // no longer accepted
        qint64 received = rest.size();
        while (received < length) {
            if (!socket.bytesAvailable() && !socket.waitForReadyRead(10000))
                QFAIL("the download stopped before its end");
            received += socket.read(1 << 20).size();
        }
        QCOMPARE(received, length);
        QVERIFY(fazt.process().waitForFinished(15000));
        QCOMPARE(fazt.process().exitCode(), 0);
        QCOMPARE(fazt.process().exitStatus(), QProcess::NormalExit);
    }
};

QTEST_GUILESS_MAIN(TestHttpLarge)
#include "tst_http_large.moc"
