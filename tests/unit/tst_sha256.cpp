// Sha256: the digest that names every blob.

#include "crypto/sha256.h"

#include <QCryptographicHash>
#include <QTest>

using fazt::crypto::Sha256;

class TestSha256 : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void knownVectors() {
        QCOMPARE(Sha256::hash("").toHex(),
                 QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(Sha256::hash("abc").toHex(),
                 QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    }

    void incrementalEqualsOneShotAndRestarts() {
        QByteArray data(1 << 20, Qt::Uninitialized);
        for (qsizetype i = 0; i < data.size(); ++i)
            data[i] = char(i * 31 + (i >> 9));
        Sha256 sha;
        for (qsizetype at = 0; at < data.size(); at += 4099)
            sha.addData(QByteArrayView(data).sliced(at, std::min<qsizetype>(4099, data.size() - at)));
        QCOMPARE(sha.result(), QCryptographicHash::hash(data, QCryptographicHash::Sha256));
        sha.addData("abc"); // result() started it over
        QCOMPARE(sha.result(), Sha256::hash("abc"));
    }
};

QTEST_APPLESS_MAIN(TestSha256)
#include "tst_sha256.moc"
