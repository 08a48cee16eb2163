// TarStream: a tar made as it is read, of the size it announced, that ArchiveReader (the
// server's reader) takes back byte for byte.

#include "archive/archivereader.h"
#include "archive/tarstream.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt::archive;

class TestTarStream : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    FileToPack file(const QString &name, const QByteArray &content) {
        const QString path = m_dir.filePath(name);
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly) || out.write(content) != content.size())
            qFatal("cannot write %s", qPrintable(path));
        return {name, path, content.size()};
    }

private Q_SLOTS:
    void readsBackWhole() {
        const QHash<QString, QByteArray> contents{
            {QStringLiteral("empty"), QByteArray()},
            {QStringLiteral("one-block"), QByteArray(512, 'a')},
            {QStringLiteral("odd"), QByteArray(70001, 'b')},
            {QStringLiteral("small.txt"), "hello"}};
        std::vector<FileToPack> files;
        for (auto it = contents.begin(); it != contents.end(); ++it)
            files.push_back(file(it.key(), it.value()));
        QVERIFY(TarStream::fits(files));
        TarStream stream(files);
        QByteArray tar;
        while (!stream.atEnd()) {
            const QByteArray piece = stream.read(4000); // reads that cut through every part
            QVERIFY2(!piece.isEmpty(), qPrintable(stream.errorString()));
            tar += piece;
        }
        QCOMPARE(qint64(tar.size()), stream.size());

        ArchiveReader reader = ArchiveReader::fromMemory(tar);
        auto summary = reader.validate();
        QVERIFY2(summary, summary ? "" : qPrintable(summary.error().message));
        QCOMPARE(summary->files, qint64(contents.size()));
        QHash<QString, QByteArray> read;
        QVERIFY(reader.forEachFile([&](const QString &path, QIODevice &content) {
            read.insert(path, content.readAll());
            return fazt::Status();
        }));
        QCOMPARE(read, contents);
    }

    void aFileThatShrankFailsTheRead() {
        std::vector<FileToPack> files{file(QStringLiteral("shrinks"), QByteArray(10000, 'x'))};
        TarStream stream(files);
        QFile::resize(files.front().absolutePath, 10);
        QByteArray buffer(int(stream.size()), '\0');
        QCOMPARE(stream.read(buffer.data(), buffer.size()), qint64(-1));
        QVERIFY2(stream.errorString().contains(QStringLiteral("changed while it was being sent")),
                 qPrintable(stream.errorString()));
    }

    void namesMustFitAHeader() {
        QVERIFY(!TarStream::fits({{QString(100, u'a'), QString(), 0}}));
        QVERIFY(!TarStream::fits({{QStringLiteral("caf\u00e9"), QString(), 0}}));
        QVERIFY(TarStream::fits({{QString(64, u'f'), QString(), 0}}));
    }
};

QTEST_GUILESS_MAIN(TestTarStream)
#include "tst_tarstream.moc"
