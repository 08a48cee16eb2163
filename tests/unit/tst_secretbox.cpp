// SecretBox: secrets sealed with AES-256-GCM behind a versioned prefix; plaintext rows stay
// readable; the wrong key, a changed byte or a cut value never yield a plaintext.

#include "crypto/secretbox.h"

#include <QTest>

using fazt::crypto::SecretBox;

class TestSecretBox : public QObject {
    Q_OBJECT

    const SecretBox m_box{"correct horse battery staple, 32 chars+"};

private Q_SLOTS:
    void sealsAndOpens() {
        const QByteArray secret = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n";
        const QByteArray sealed = m_box.seal(secret);
        QVERIFY(sealed.startsWith("fazt-enc:v1:"));
        QVERIFY(SecretBox::isSealed(sealed));
        QVERIFY(!sealed.contains("PRIVATE KEY"));
        QCOMPARE(*m_box.open(sealed), secret);
        QCOMPARE(*m_box.open(m_box.seal(QByteArray())), QByteArray());
    }

    void eachSealHasItsOwnNonce() { QVERIFY(m_box.seal("same") != m_box.seal("same")); }

    void plaintextRowsStayReadable() {
        QCOMPARE(*m_box.open("s3cr3t written before a key was set"),
                 QByteArray("s3cr3t written before a key was set"));
    }

    void wrongKeyTamperingAndCutsAreRefused() {
        const QByteArray sealed = m_box.seal("the secret");
        const SecretBox other("another key that is also long enough!!");
        const auto wrong = other.open(sealed);
        QVERIFY(!wrong);
        QVERIFY2(wrong.error().message.contains(QLatin1String("FAZT_ENCRYPTION_KEY")),
                 qPrintable(wrong.error().message));
        QByteArray raw = QByteArray::fromBase64(sealed.mid(SecretBox::Prefix.size()));
        for (qsizetype i : {qsizetype(0), qsizetype(12), raw.size() - 1}) { // nonce, text, tag
            QByteArray changed = raw;
            changed[i] = char(changed[i] ^ 1);
            QVERIFY(!m_box.open(QByteArray(SecretBox::Prefix.toByteArray() + changed.toBase64())));
        }
        QVERIFY(!m_box.open(QByteArray(SecretBox::Prefix.toByteArray() + raw.left(20).toBase64())));
        QVERIFY(!m_box.open(QByteArray(SecretBox::Prefix.toByteArray() + "not base64 at all")));
        QVERIFY(!m_box.open(SecretBox::Prefix));
    }

    // No key in this test's environment: values pass through, sealed ones are an error that
    // says which key is missing.
    void withoutAConfiguredKey() {
        if (!qgetenv("FAZT_ENCRYPTION_KEY").isEmpty() ||
            !qgetenv("CREDENTIALS_DIRECTORY").isEmpty())
            QSKIP("This environment configures an encryption key.");
        QCOMPARE(*SecretBox::configured(), nullptr);
        QCOMPARE(*SecretBox::sealIfConfigured("plain"), QByteArray("plain"));
        QCOMPARE(*SecretBox::openStored("plain"), QByteArray("plain"));
        const auto sealed = SecretBox::openStored(m_box.seal("x"));
        QVERIFY(!sealed);
        QVERIFY(sealed.error().message.contains(QLatin1String("no FAZT_ENCRYPTION_KEY is set")));
    }
};

QTEST_GUILESS_MAIN(TestSecretBox)
#include "tst_secretbox.moc"
