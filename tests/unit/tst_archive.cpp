// ArchiveReader and packDirectory(): what a deploy archive may hold, what it may not, and that
// what is read back is byte for byte what was packed.
//
// Every archive here is built in the test with libarchive's writer, hostile ones included.

#include "archive/archivereader.h"
#include "archive/archivewriter.h"
#include "archive/utf8locale.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QTemporaryDir>
#include <QTest>

#include <archive.h>
#include <archive_entry.h>
#include <memory>
#include <utility>
#include <zlib.h>

using fazt::Error;
using fazt::Status;
using namespace fazt::archive;

namespace {

enum class Format { Zip, Tar, TarGz, TarZst, TarXz, TarBz2 };

// Builds an archive in memory, entry by entry. A failure here is a broken test, not a finding,
// so it stops the run.
class ArchiveBuilder {
public:
    // `options` are libarchive writer options; any encryption uses the passphrase "secret".
    explicit ArchiveBuilder(Format format, const char *options = nullptr)
        : m_archive(archive_write_new()) {
        ::archive *a = m_archive.get();
        require(format == Format::Zip ? archive_write_set_format_zip(a)
                                      : archive_write_set_format_pax_restricted(a));
        switch (format) {
        case Format::Zip:
        case Format::Tar:
            break;
        case Format::TarGz:
            require(archive_write_add_filter_gzip(a));
            break;
        case Format::TarZst:
            require(archive_write_add_filter_zstd(a));
            break;
        case Format::TarXz:
            require(archive_write_add_filter_xz(a));
            break;
        case Format::TarBz2:
            require(archive_write_add_filter_bzip2(a));
            break;
        }
        if (options) {
            require(archive_write_set_passphrase(a, "secret"));
            require(archive_write_set_options(a, options));
        }
        require(archive_write_set_bytes_in_last_block(a, 1));
        require(archive_write_open2(a, this, nullptr, &ArchiveBuilder::append, nullptr, nullptr));
    }

    ArchiveBuilder &file(const QByteArray &path, const QByteArray &content) {
        header(path, AE_IFREG, content.size());
        write(content);
        return *this;
    }
    // A file whose header does not say its size (a zip then writes a data descriptor).
    ArchiveBuilder &fileOfUndeclaredSize(const QByteArray &path, const QByteArray &content) {
        header(path, AE_IFREG, 0, [](archive_entry *e) { archive_entry_unset_size(e); });
        write(content);
        return *this;
    }
    // A file of `size` zero bytes, written in pieces.
    ArchiveBuilder &zeros(const QByteArray &path, qint64 size) {
        header(path, AE_IFREG, size);
        const QByteArray block(1 << 20, '\0');
        for (qint64 left = size; left > 0; left -= block.size())
            write(QByteArrayView(block).first(qsizetype(std::min<qint64>(left, block.size()))));
        return *this;
    }
    ArchiveBuilder &folder(const QByteArray &path) {
        header(path, AE_IFDIR, 0);
        return *this;
    }
    ArchiveBuilder &symlink(const QByteArray &path, const QByteArray &target) {
        header(path, AE_IFLNK, 0,
               [&](archive_entry *e) { archive_entry_copy_symlink(e, target.constData()); });
        return *this;
    }
    ArchiveBuilder &hardlink(const QByteArray &path, const QByteArray &target) {
        header(path, AE_IFREG, 0,
               [&](archive_entry *e) { archive_entry_copy_hardlink(e, target.constData()); });
        return *this;
    }
    ArchiveBuilder &special(const QByteArray &path, unsigned int type) {
        header(path, type, 0, [](archive_entry *e) { archive_entry_set_rdev(e, 0x0103); });
        return *this;
    }
    // A tiny file whose pax header carries `xattrBytes` of extended attribute.
    ArchiveBuilder &fileWithXattr(const QByteArray &path, qint64 xattrBytes) {
        const QByteArray value(qsizetype(xattrBytes), '\0');
        header(path, AE_IFREG, 1, [&](archive_entry *e) {
            archive_entry_xattr_add_entry(e, "user.padding", value.constData(),
                                          size_t(value.size()));
        });
        write("x");
        return *this;
    }

    QByteArray finish() {
        require(archive_write_close(m_archive.get()));
        return m_bytes;
    }

private:
    struct WriterFree {
        void operator()(::archive *a) const { archive_write_free(a); }
    };

    void require(int status) {
        if (status != ARCHIVE_OK)
            qFatal("libarchive writer: %s", archive_error_string(m_archive.get()));
    }

    template <typename Decorate = void (*)(archive_entry *)>
    void header(
        const QByteArray &path, unsigned int type, qint64 size,
        Decorate decorate = [](archive_entry *) {}) {
        const std::unique_ptr<archive_entry, void (*)(archive_entry *)> e(archive_entry_new(),
                                                                          archive_entry_free);
        archive_entry_copy_pathname(e.get(), path.constData());
        archive_entry_set_filetype(e.get(), type);
        archive_entry_set_perm(e.get(), type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(e.get(), size);
        decorate(e.get());
        const Utf8LocaleScope utf8;
        // ARCHIVE_WARN: a name that is not UTF-8 is written as raw bytes, as the test wants.
        const int status = archive_write_header(m_archive.get(), e.get());
        require(status == ARCHIVE_WARN ? ARCHIVE_OK : status);
    }

    void write(QByteArrayView data) {
        if (!data.isEmpty() &&
            archive_write_data(m_archive.get(), data.data(), size_t(data.size())) != data.size())
            qFatal("libarchive writer: %s", archive_error_string(m_archive.get()));
    }

    static la_ssize_t append(::archive *, void *self, const void *data, size_t size) {
        static_cast<ArchiveBuilder *>(self)->m_bytes.append(static_cast<const char *>(data),
                                                            qsizetype(size));
        return la_ssize_t(size);
    }

    std::unique_ptr<::archive, WriterFree> m_archive;
    QByteArray m_bytes;
};

// Text-like content (it compresses, as a site's files do) that differs with `seed`.
QByteArray sampleContent(qint64 size, quint32 seed) {
    static const char *const words[] = {"<div class=\"card\">", "fazt ",      "static ", "site\n",
                                        "{color:#fff}",         "0123456789", "<p>",     "</p>\n"};
    QByteArray content;
    content.reserve(qsizetype(size + 32));
    while (content.size() < size) {
        seed = seed * 1664525u + 1013904223u;
        content += words[seed >> 29];
        content += char('a' + (seed >> 8) % 26);
    }
    content.truncate(qsizetype(size));
    return content;
}

using Files = QList<std::pair<QString, QByteArray>>;

// Validates, then reads every file back through forEachFile() in pieces of `piece` bytes.
fazt::Result<Files> readBack(ArchiveReader reader, qint64 piece = 4093) {
    const fazt::Result<Summary> summary = reader.validate();
    if (!summary)
        return summary.error();
    Files files;
    const Status walked = reader.forEachFile([&](const QString &path, QIODevice &content) {
        QByteArray bytes;
        QByteArray buffer(qsizetype(piece), Qt::Uninitialized);
        while (!content.atEnd()) {
            const qint64 count = content.read(buffer.data(), buffer.size());
            if (count < 0)
                return Status(Error::io(content.errorString()));
            bytes.append(buffer.constData(), qsizetype(count));
        }
        files.append({path, bytes});
        return Status();
    });
    if (!walked)
        return walked.error();
    qint64 bytes = 0;
    for (const auto &file : std::as_const(files))
        bytes += file.second.size();
    if (summary->files != files.size() || summary->bytes != bytes)
        return Error::internal(QStringLiteral("validate() and forEachFile() disagree"));
    return files;
}

// The files in `archive`, or none (and a warning) if it is refused.
Files filesIn(const QByteArray &archive) {
    fazt::Result<Files> files = readBack(ArchiveReader::fromMemory(archive));
    if (!files)
        qWarning("%s", qPrintable(files.error().message));
    return files ? *files : Files{};
}

QString codeName(Error::Code code) {
    switch (code) {
    case Error::Code::Invalid:
        return QStringLiteral("Invalid");
    case Error::Code::TooLarge:
        return QStringLiteral("TooLarge");
    default:
        return QString::number(int(code));
    }
}

// Checks that validate() refuses `archive` with `code` and a message containing `fragment`.
void expectRefused(const QByteArray &archive, Error::Code code, const QString &fragment,
                   const Limits &limits = {}) {
    ArchiveReader reader = ArchiveReader::fromMemory(archive, limits);
    const fazt::Result<Summary> result = reader.validate();
    QVERIFY2(!result, "the archive was accepted");
    QVERIFY2(result.error().message.contains(fragment),
             qPrintable(u"message: " + result.error().message));
    QCOMPARE(codeName(result.error().code), codeName(code));
    bool isStoreCalled = false;
    const Status walked = reader.forEachFile([&](const QString &, QIODevice &) {
        isStoreCalled = true;
        return Status();
    });
    QVERIFY(!walked);
    QVERIFY(!isStoreCalled);
}

QByteArray littleEndian(quint32 value, int bytes) {
    QByteArray out;
    for (int i = 0; i < bytes; ++i)
        out += char((value >> (8 * i)) & 0xFF);
    return out;
}

// A zip in the style of David Fifield's "better zip bomb": `count` files whose data overlap.
// Each local file header is followed by a stored deflate block that quotes the next local
// header, so file i's data runs through every later header into one shared kernel (256 KiB
// of zeros, deflated). Each file alone is an ordinary 256 KiB; together they expand to
// `count` times that from a few KB, and a seekable reader reads the shared bytes again for
// every one.
QByteArray overlappingZip(int count) {
    const QByteArray zeros(256 << 10, '\0');
    QByteArray kernel(qsizetype(compressBound(uLong(zeros.size()))), Qt::Uninitialized);
    z_stream stream{};
    deflateInit2(&stream, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(zeros.constData()));
    stream.avail_in = uInt(zeros.size());
    stream.next_out = reinterpret_cast<Bytef *>(kernel.data());
    stream.avail_out = uInt(kernel.size());
    deflate(&stream, Z_FINISH);
    kernel.truncate(qsizetype(stream.total_out));
    deflateEnd(&stream);

    struct File {
        QByteArray name;
        quint32 crc = 0;
        quint32 compressed = 0;
        quint32 size = 0;
        QByteArray localHeader;
    };
    std::vector<File> files(static_cast<size_t>(count));
    // From the last file back: each one's output is the next one's header, then its output.
    for (int i = count - 1; i >= 0; --i) {
        File &file = files[size_t(i)];
        file.name = QByteArray("bomb" + QByteArray::number(i).rightJustified(4, '0') + ".txt");
        if (i == count - 1) {
            file.crc = quint32(
                crc32(0, reinterpret_cast<const Bytef *>(zeros.constData()), uInt(zeros.size())));
            file.compressed = quint32(kernel.size());
            file.size = quint32(zeros.size());
        } else {
            const File &next = files[size_t(i) + 1];
            const uLong quoted =
                crc32(0, reinterpret_cast<const Bytef *>(next.localHeader.constData()),
                      uInt(next.localHeader.size()));
            file.crc = quint32(crc32_combine(quoted, next.crc, z_off_t(next.size)));
            file.compressed = quint32(5 + next.localHeader.size() + next.compressed);
            file.size = quint32(next.localHeader.size() + next.size);
        }
        file.localHeader =
            QByteArray(littleEndian(0x04034b50, 4) + littleEndian(20, 2) + littleEndian(0, 2) +
                       littleEndian(8, 2) + littleEndian(0, 2) + littleEndian(0x21, 2) +
                       littleEndian(file.crc, 4) + littleEndian(file.compressed, 4) +
                       littleEndian(file.size, 4) + littleEndian(quint32(file.name.size()), 2) +
                       littleEndian(0, 2) + file.name);
    }
    QByteArray zip;
    QByteArray central;
    for (int i = 0; i < count; ++i) {
        const File &file = files[size_t(i)];
        central +=
            littleEndian(0x02014b50, 4) + littleEndian(0x0314, 2) + littleEndian(20, 2) +
            littleEndian(0, 2) + littleEndian(8, 2) + littleEndian(0, 2) + littleEndian(0x21, 2) +
            littleEndian(file.crc, 4) + littleEndian(file.compressed, 4) +
            littleEndian(file.size, 4) + littleEndian(quint32(file.name.size()), 2) +
            littleEndian(0, 2) + littleEndian(0, 2) + littleEndian(0, 2) + littleEndian(0, 2) +
            littleEndian(0100644u << 16, 4) + littleEndian(quint32(zip.size()), 4) + file.name;
        zip += file.localHeader;
        if (i + 1 < count) {
            // A stored, non-final deflate block whose content is the next local header.
            const quint32 length = quint32(files[size_t(i) + 1].localHeader.size());
            zip +=
                QByteArray(1, '\0') + littleEndian(length, 2) + littleEndian(~length & 0xFFFF, 2);
        }
    }
    zip += kernel;
    const quint32 centralOffset = quint32(zip.size());
    zip += central;
    zip += littleEndian(0x06054b50, 4) + littleEndian(0, 4) + littleEndian(quint32(count), 2) +
           littleEndian(quint32(count), 2) + littleEndian(quint32(central.size()), 4) +
           littleEndian(centralOffset, 4) + littleEndian(0, 2);
    return zip;
}

void writeFile(const QString &path, const QByteArray &content) {
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(path));
}

// `data` compressed with gzip, as one stream (no archive format around it).
QByteArray gzipped(const QByteArray &data) {
    const std::unique_ptr<::archive, int (*)(::archive *)> gz(archive_write_new(),
                                                              archive_write_free);
    QByteArray out;
    const auto append = [](::archive *, void *target, const void *bytes,
                           size_t size) -> la_ssize_t {
        static_cast<QByteArray *>(target)->append(static_cast<const char *>(bytes),
                                                  qsizetype(size));
        return la_ssize_t(size);
    };
    const std::unique_ptr<archive_entry, void (*)(archive_entry *)> e(archive_entry_new(),
                                                                      archive_entry_free);
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_copy_pathname(e.get(), "data");
    if (archive_write_add_filter_gzip(gz.get()) != ARCHIVE_OK ||
        archive_write_set_format_raw(gz.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(gz.get(), 1) != ARCHIVE_OK ||
        archive_write_open2(gz.get(), &out, nullptr, append, nullptr, nullptr) != ARCHIVE_OK ||
        archive_write_header(gz.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(gz.get(), data.constData(), size_t(data.size())) != data.size() ||
        archive_write_close(gz.get()) != ARCHIVE_OK) {
        qFatal("gzipped: %s", archive_error_string(gz.get()));
    }
    return out;
}

// Rewrites the size field of the ustar header at `header`, and its checksum to match.
void setTarSize(QByteArray &tar, qsizetype header, qint64 size) {
    tar.replace(header + 124, 12,
                QByteArray(QByteArray::number(size, 8).rightJustified(11, '0') + '\0'));
    tar.replace(header + 148, 8, QByteArray(8, ' '));
    int sum = 0;
    for (qsizetype i = 0; i < 512; ++i)
        sum += quint8(tar[header + i]);
    tar.replace(header + 148, 8,
                QByteArray(QByteArray::number(sum, 8).rightJustified(6, '0') + '\0' + ' '));
}

} // namespace

Q_DECLARE_METATYPE(Format)

class TestArchive : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // --- Reading what a deploy sends ---

    void readsEveryFormatBackByteForByte_data() {
        QTest::addColumn<Format>("format");
        QTest::addColumn<bool>("isOnDisk");
        const std::pair<const char *, Format> formats[] = {
            {"zip", Format::Zip},        {"tar", Format::Tar},      {"tar.gz", Format::TarGz},
            {"tar.zst", Format::TarZst}, {"tar.xz", Format::TarXz}, {"tar.bz2", Format::TarBz2},
        };
        for (const auto &[name, format] : formats) {
            QTest::addRow("%s in memory", name) << format << false;
            QTest::addRow("%s on disk", name) << format << true;
        }
    }
    void readsEveryFormatBackByteForByte() {
        QFETCH(Format, format);
        QFETCH(bool, isOnDisk);
        const Files expected = {
            {QStringLiteral("index.html"), sampleContent(3000, 1)},
            {QStringLiteral("css/site.css"), sampleContent(700, 2)},
            {QStringLiteral("empty.txt"), QByteArray()},
            {QStringLiteral("img/large.bin"), sampleContent(5 << 20, 3)},
            {QStringLiteral("d\u00e9j\u00e0/\u20ac.html"), sampleContent(10, 4)},
        };
        static QHash<Format, QByteArray> built; // one archive per format, for both rows
        if (!built.contains(format)) {
            ArchiveBuilder builder(format, fastestLevel(format));
            builder.folder("css/");
            for (const auto &[path, content] : expected)
                builder.file(path.toUtf8(), content);
            built.insert(format, builder.finish());
        }
        const QByteArray archive = built.value(format);

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("upload"));
        writeFile(path, archive);
        const fazt::Result<Files> files =
            readBack(isOnDisk ? ArchiveReader::fromFile(path) : ArchiveReader::fromMemory(archive));
        QVERIFY2(files, files ? "" : qPrintable(files.error().message));
        QCOMPARE(files->size(), expected.size());
        for (qsizetype i = 0; i < expected.size(); ++i) {
            QCOMPARE(files->at(i).first, expected[i].first);
            QVERIFY2(files->at(i).second == expected[i].second, qPrintable(expected[i].first));
        }
    }

    void summaryCountsFilesAndTheirBytes() {
        ArchiveReader reader = ArchiveReader::fromMemory(ArchiveBuilder(Format::TarGz)
                                                             .folder("a/")
                                                             .file("a/one.txt", "12345")
                                                             .file("two.txt", "678")
                                                             .finish());
        const fazt::Result<Summary> summary = reader.validate();
        QVERIFY(summary);
        QCOMPARE(summary->files, 2);
        QCOMPARE(summary->bytes, 8);
    }

    void stripsLeadingDotSlashAndTheRootFolder() {
        // What `tar -C site -czf site.tar.gz .` writes.
        const Files files = filesIn(ArchiveBuilder(Format::TarGz)
                                        .folder("./")
                                        .file("./index.html", "home")
                                        .folder("./a/")
                                        .file("./a/b.txt", "b")
                                        .finish());
        QCOMPARE(files,
                 (Files{{QStringLiteral("index.html"), "home"}, {QStringLiteral("a/b.txt"), "b"}}));
    }

    void keepsATopFolderAsItIs() {
        const Files files =
            filesIn(ArchiveBuilder(Format::Zip).file("site/index.html", "home").finish());
        QCOMPARE(files, (Files{{QStringLiteral("site/index.html"), "home"}}));
    }

    void skipsMacOsMetadata() {
        const Files files = filesIn(ArchiveBuilder(Format::Zip)
                                        .folder("__MACOSX/")
                                        .file("__MACOSX/._index.html", "resource fork")
                                        .file("._index.html", "apple double")
                                        .file("img/.DS_Store", "finder")
                                        .file("index.html", "home")
                                        .finish());
        QCOMPARE(files, (Files{{QStringLiteral("index.html"), "home"}}));
    }

    void contentIsASequentialStreamAndWhatIsLeftUnreadIsSkipped() {
        const QByteArray big = sampleContent(3 << 20, 9);
        ArchiveReader reader = ArchiveReader::fromMemory(
            ArchiveBuilder(Format::TarGz).file("big.bin", big).file("next.txt", "next").finish());
        QVERIFY(reader.validate());
        QStringList paths;
        QByteArray next;
        const Status walked = reader.forEachFile([&](const QString &path, QIODevice &content) {
            paths.append(path);
            if (!content.isSequential() || !content.isReadable() || content.atEnd())
                return Status(Error::internal(QStringLiteral("not an open sequential stream")));
            if (path == u"big.bin") {
                if (content.read(10) != big.first(10))
                    return Status(Error::internal(QStringLiteral("wrong first bytes")));
                return Status(); // the rest of the 3 MiB is never read by the caller
            }
            next = content.readAll();
            return Status();
        });
        QVERIFY2(walked, walked ? "" : qPrintable(walked.error().message));
        QCOMPARE(paths, (QStringList{QStringLiteral("big.bin"), QStringLiteral("next.txt")}));
        QCOMPARE(next, QByteArray("next"));
    }

    void anErrorFromStoreEndsTheWalk() {
        ArchiveReader reader = ArchiveReader::fromMemory(
            ArchiveBuilder(Format::Tar).file("a", "1").file("b", "2").file("c", "3").finish());
        QVERIFY(reader.validate());
        int calls = 0;
        const Status walked = reader.forEachFile([&](const QString &path, QIODevice &) {
            ++calls;
            return path == u"b" ? Status(Error{Error::Code::DiskFull, QStringLiteral("full")})
                                : Status();
        });
        QVERIFY(!walked);
        QCOMPARE(walked.error().code, Error::Code::DiskFull);
        QCOMPARE(calls, 2);
    }

    void forEachFileNeedsASuccessfulValidate() {
        ArchiveReader reader =
            ArchiveReader::fromMemory(ArchiveBuilder(Format::Tar).file("a", "1").finish());
        const Status walked =
            reader.forEachFile([](const QString &, QIODevice &) { return Status(); });
        QVERIFY(!walked);
        QCOMPARE(walked.error().code, Error::Code::Internal);
    }

    void anArchiveSwappedAfterValidateIsCheckedAgain() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("upload.tar"));
        writeFile(path, ArchiveBuilder(Format::Tar).file("index.html", "fine").finish());
        ArchiveReader reader = ArchiveReader::fromFile(path);
        QVERIFY(reader.validate());
        writeFile(path, ArchiveBuilder(Format::Tar).file("../evil", "bad").finish());
        QStringList stored;
        const Status walked = reader.forEachFile([&](const QString &p, QIODevice &) {
            stored.append(p);
            return Status();
        });
        QVERIFY(!walked);
        QVERIFY2(walked.error().message.contains(u"'../evil'"), qPrintable(walked.error().message));
        QVERIFY(stored.isEmpty());
    }

    void aMissingFileIsAnIoError() {
        ArchiveReader reader = ArchiveReader::fromFile(QStringLiteral("/nonexistent/site.zip"));
        const fazt::Result<Summary> summary = reader.validate();
        QVERIFY(!summary);
        QCOMPARE(summary.error().code, Error::Code::Io);
        QVERIFY(summary.error().message.contains(u"/nonexistent/site.zip"));
    }

    // --- Hostile and broken archives ---

    void refusesPathsThatLeaveTheSite_data() {
        QTest::addColumn<Format>("format");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QString>("complaint");
        const QString escapes = QStringLiteral("escapes the site: remove '..' from paths");
        const QString absolute = QStringLiteral("has an absolute path");
        QTest::newRow("zip slip") << Format::Zip << QByteArray("../evil.sh") << escapes;
        QTest::newRow("tar slip") << Format::Tar << QByteArray("../../etc/passwd") << escapes;
        QTest::newRow("'..' inside") << Format::Tar << QByteArray("a/../../evil") << escapes;
        QTest::newRow("'..' after ./") << Format::Tar << QByteArray("./../evil") << escapes;
        QTest::newRow("absolute") << Format::Tar << QByteArray("/etc/passwd") << absolute;
        QTest::newRow("absolute zip") << Format::Zip << QByteArray("/etc/cron.d/x") << absolute;
        QTest::newRow("drive letter")
            << Format::Tar << QByteArray("C:/Windows/evil.dll") << absolute;
        QTest::newRow("backslash")
            << Format::Tar << QByteArray("..\\..\\evil") << QStringLiteral("has a backslash");
        QTest::newRow("control character") << Format::Tar
                                           << QByteArray("a\x01"
                                                         "b.html")
                                           << QStringLiteral("has a control character");
        QTest::newRow("newline") << Format::Zip << QByteArray("index\n.html")
                                 << QStringLiteral("has a control character");
        QTest::newRow("empty segment")
            << Format::Tar << QByteArray("a//b.html") << QStringLiteral("empty or '.' folder name");
        QTest::newRow("dot segment") << Format::Tar << QByteArray("a/./b.html")
                                     << QStringLiteral("empty or '.' folder name");
        QTest::newRow("not UTF-8")
            << Format::Tar << QByteArray("caf\xe9.html") << QStringLiteral("is not UTF-8");
    }
    void refusesPathsThatLeaveTheSite() {
        QFETCH(Format, format);
        QFETCH(QByteArray, path);
        QFETCH(QString, complaint);
        const QByteArray archive =
            ArchiveBuilder(format).file("index.html", "ok").file(path, "payload").finish();
        ArchiveReader reader = ArchiveReader::fromMemory(archive);
        const fazt::Result<Summary> result = reader.validate();
        QVERIFY(!result);
        QCOMPARE(codeName(result.error().code), codeName(Error::Code::Invalid));
        QVERIFY2(result.error().message.contains(complaint), qPrintable(result.error().message));
        // The message names the entry, control characters shown escaped.
        QString shown = QString::fromUtf8(path);
        shown.replace(u'\x01', QStringLiteral("\\x01")).replace(u'\n', QStringLiteral("\\x0a"));
        if (complaint != u"is not UTF-8") {
            QVERIFY2(result.error().message.contains(u'\'' + shown + u'\''),
                     qPrintable(result.error().message));
        }
    }

    void refusesAPathPastTheLengthLimit() {
        const QByteArray path = QByteArray(1100, 'a') + ".html";
        expectRefused(ArchiveBuilder(Format::TarGz).file(path, "x").finish(), Error::Code::TooLarge,
                      QStringLiteral("has a path of 1105 bytes"));
        Limits limits;
        limits.maxPathBytes = 2000;
        QVERIFY(ArchiveReader::fromMemory(ArchiveBuilder(Format::TarGz).file(path, "x").finish(),
                                          limits)
                    .validate());
    }

    void refusesLinksAndSpecialFiles_data() {
        QTest::addColumn<QByteArray>("archive");
        QTest::addColumn<QString>("complaint");
        QTest::newRow("symlink")
            << ArchiveBuilder(Format::Tar).symlink("passwd", "/etc/passwd").finish()
            << QStringLiteral("Entry 'passwd' is a symbolic link (to '/etc/passwd')");
        // The classic escape: a link to a folder outside, then a file "inside" the link.
        QTest::newRow("symlink escape") << ArchiveBuilder(Format::Tar)
                                               .symlink("a", "/etc")
                                               .file("a/passwd", "root::0:0::/:/bin/sh")
                                               .finish()
                                        << QStringLiteral("Entry 'a' is a symbolic link");
        QTest::newRow("zip symlink")
            << ArchiveBuilder(Format::Zip).symlink("up", "../..").finish()
            << QStringLiteral("Entry 'up' is a symbolic link (to '../..')");
        QTest::newRow("hardlink") << ArchiveBuilder(Format::Tar)
                                         .file("index.html", "x")
                                         .hardlink("shadow", "/etc/shadow")
                                         .finish()
                                  << QStringLiteral(
                                         "Entry 'shadow' is a hard link to '/etc/shadow'");
        QTest::newRow("character device")
            << ArchiveBuilder(Format::Tar).special("null", AE_IFCHR).finish()
            << QStringLiteral("Entry 'null' is a device file");
        QTest::newRow("block device")
            << ArchiveBuilder(Format::Tar).special("sda", AE_IFBLK).finish()
            << QStringLiteral("Entry 'sda' is a device file");
        QTest::newRow("fifo") << ArchiveBuilder(Format::Tar).special("pipe", AE_IFIFO).finish()
                              << QStringLiteral("Entry 'pipe' is a named pipe");
    }
    void refusesLinksAndSpecialFiles() {
        QFETCH(QByteArray, archive);
        QFETCH(QString, complaint);
        expectRefused(archive, Error::Code::Invalid, complaint);
    }

    void refusesMoreEntriesThanTheLimit() {
        // 100,000 empty files: refused at the 20,001st header, without reading the rest.
        ArchiveBuilder builder(Format::TarGz);
        for (int i = 0; i < 100000; ++i)
            builder.file(QByteArray("f") + QByteArray::number(i).rightJustified(6, '0'), {});
        const QByteArray archive = builder.finish();
        QElapsedTimer timer;
        timer.start();
        expectRefused(archive, Error::Code::TooLarge,
                      QStringLiteral("Entry 'f020000' is past the limit of 20000 files"));
        qInfo("refused in %lld ms", timer.elapsed());
    }

    void refusesAZipBomb() {
        // 200 MB of zeros deflate to about 200 KB. The ratio passes 100 after about 20 MB of
        // output; the message proves that check stopped it, not the 1 GiB total.
        const QByteArray bomb =
            ArchiveBuilder(Format::Zip).zeros("zeros.bin", 200'000'000).finish();
        QVERIFY(bomb.size() < 1'000'000);
        QElapsedTimer timer;
        timer.start();
        expectRefused(bomb, Error::Code::TooLarge,
                      QStringLiteral("expands to more than 100 times its size (at entry "
                                     "'zeros.bin'), so Fazt refuses it as a likely zip bomb"));
        qInfo("refused in %lld ms", timer.elapsed());
    }

    void refusesATarGzBomb() {
        const QByteArray bomb = ArchiveBuilder(Format::TarGz)
                                    .file("index.html", "ok")
                                    .zeros("zeros.bin", 50'000'000)
                                    .finish();
        expectRefused(bomb, Error::Code::TooLarge, QStringLiteral("(at entry 'zeros.bin')"));
    }

    void refusesAZipWithOverlappingEntries() {
        // 200 files sharing one kernel: 50 MiB out of 21 KB in. No file alone is past the
        // ratio (256 KiB from 21 KB); the total is, by the ninth file or so.
        const QByteArray zip = overlappingZip(200);
        QVERIFY(zip.size() < 24000);
        expectRefused(zip, Error::Code::TooLarge,
                      QStringLiteral("expands to more than 100 times its size (at entry 'bomb00"));
        // libarchive does hand out every overlapping entry: it is the ratio that stops them.
        Limits unlimited;
        unlimited.maxRatio = 1e9;
        const fazt::Result<Summary> exposed = ArchiveReader::fromMemory(zip, unlimited).validate();
        QVERIFY2(exposed, exposed ? "" : qPrintable(exposed.error().message));
        QCOMPARE(exposed->files, 200);
        QVERIFY(exposed->bytes > 200 * (256 << 10));
    }

    void refusesATarGzThatExpandsInItsHeaders() {
        // Pax records are not entry data, but they are decompressed all the same: 20 headers
        // carrying 400 KB of extended attribute each (twice: raw and base64) are 18 MB out of
        // a few KB in, with 20 bytes of entry data.
        ArchiveBuilder builder(Format::TarGz);
        for (int i = 0; i < 20; ++i)
            builder.fileWithXattr(QByteArray("f") + QByteArray::number(i), 400'000);
        expectRefused(builder.finish(), Error::Code::TooLarge,
                      QStringLiteral("so Fazt refuses it as a likely zip bomb"));
    }

    void refusesAFileLargerThanTheLimit() {
        Limits limits;
        limits.maxFileBytes = 1000;
        expectRefused(ArchiveBuilder(Format::TarGz)
                          .file("small", "x")
                          .file("big.bin", QByteArray(2048, 'b'))
                          .finish(),
                      Error::Code::TooLarge, QStringLiteral("Entry 'big.bin' is 2.00 KiB"), limits);
    }

    void countsTheBytesAHeaderDoesNotDeclare() {
        // A zip streamed through gzip is read without its central directory and, with data
        // descriptors, no header says how large an entry is: only the bytes read can tell.
        const QByteArray zip = ArchiveBuilder(Format::Zip)
                                   .fileOfUndeclaredSize("big.bin", QByteArray(5000, 'b'))
                                   .finish();
        Limits limits;
        limits.maxFileBytes = 1000;
        expectRefused(gzipped(zip), Error::Code::TooLarge,
                      QStringLiteral("Entry 'big.bin' is larger than the limit for one file"),
                      limits);
    }

    void refusesAnArchivePastTheTotalLimit() {
        Limits limits;
        limits.maxTotalBytes = 10000;
        ArchiveBuilder builder(Format::Zip);
        for (const char *name : {"one", "two", "three"})
            builder.file(name, QByteArray(4000, 'x'));
        expectRefused(builder.finish(), Error::Code::TooLarge,
                      QStringLiteral("Entry 'three' takes the archive past its limit of 9.77 KiB"),
                      limits);
    }

    void refusesATarWhoseHeaderSizeLies_data() {
        QTest::addColumn<QByteArray>("archive");
        QTest::addColumn<QString>("complaint");
        const QByteArray tar = ArchiveBuilder(Format::Tar)
                                   .file("index.html", QByteArray(1000, 'i'))
                                   .file("liar.bin", QByteArray(5000, 'l'))
                                   .finish();
        const qsizetype liar = tar.indexOf("liar.bin");
        // Says 100,000 bytes: the data runs out after 5000.
        QByteArray longer = tar;
        setTarSize(longer, liar, 100000);
        QTest::newRow("says more than it holds")
            << longer
            << QStringLiteral("The archive is truncated or corrupt (at entry 'liar.bin')");
        // Says 1000 bytes: the rest of the data is read as the next header, which is garbage.
        QByteArray shorter = tar;
        setTarSize(shorter, liar, 1000);
        QTest::newRow("says less than it holds")
            << shorter
            << QStringLiteral("The archive is truncated or corrupt (after entry 'liar.bin')");
    }
    void refusesATarWhoseHeaderSizeLies() {
        QFETCH(QByteArray, archive);
        QFETCH(QString, complaint);
        expectRefused(archive, Error::Code::Invalid, complaint);
    }

    void refusesATruncatedArchive_data() {
        QTest::addColumn<Format>("format");
        QTest::newRow("tar.gz") << Format::TarGz;
        QTest::newRow("tar.zst") << Format::TarZst;
        QTest::newRow("zip") << Format::Zip;
    }
    void refusesATruncatedArchive() {
        QFETCH(Format, format);
        const QByteArray whole = ArchiveBuilder(format)
                                     .file("index.html", sampleContent(1000, 1))
                                     .file("big.bin", sampleContent(5 << 20, 2))
                                     .finish();
        const QByteArray half = whole.first(whole.size() / 2);
        ArchiveReader reader = ArchiveReader::fromMemory(half);
        const fazt::Result<Summary> result = reader.validate();
        QVERIFY2(!result, "half an archive was accepted");
        QCOMPARE(codeName(result.error().code), codeName(Error::Code::Invalid));
        QVERIFY2(result.error().message.startsWith(u"The archive is truncated or corrupt") ||
                     result.error().message.startsWith(u"This is not a zip or tar archive"),
                 qPrintable(result.error().message));
        qInfo("%s", qPrintable(result.error().message));
    }

    void refusesGarbage() {
        QByteArray garbage = sampleContent(100000, 5);
        for (qsizetype i = 0; i < garbage.size(); i += 7)
            garbage[i] = char(i * 131);
        expectRefused(garbage, Error::Code::Invalid,
                      QStringLiteral("This is not a zip or tar archive"));
    }

    void refusesAnArchiveWithoutFiles_data() {
        QTest::addColumn<QByteArray>("archive");
        QTest::newRow("zero bytes") << QByteArray();
        QTest::newRow("empty tar") << ArchiveBuilder(Format::Tar).finish();
        QTest::newRow("empty tar.gz") << ArchiveBuilder(Format::TarGz).finish();
        QTest::newRow("empty zip") << ArchiveBuilder(Format::Zip).finish();
        QTest::newRow("folders only")
            << ArchiveBuilder(Format::Zip).folder("a/").folder("a/b/").finish();
        QTest::newRow("metadata only")
            << ArchiveBuilder(Format::Zip).file(".DS_Store", "x").finish();
    }
    void refusesAnArchiveWithoutFiles() {
        QFETCH(QByteArray, archive);
        expectRefused(archive, Error::Code::Invalid,
                      QStringLiteral("The archive contains no files"));
    }

    void refusesDuplicatePaths_data() {
        QTest::addColumn<QByteArray>("archive");
        QTest::newRow("same name")
            << ArchiveBuilder(Format::Tar).file("a.txt", "1").file("a.txt", "2").finish();
        QTest::newRow("with ./")
            << ArchiveBuilder(Format::Tar).file("a.txt", "1").file("./a.txt", "2").finish();
        QTest::newRow("zip")
            << ArchiveBuilder(Format::Zip).file("x/a.txt", "1").file("x/a.txt", "2").finish();
    }
    void refusesDuplicatePaths() {
        QFETCH(QByteArray, archive);
        expectRefused(archive, Error::Code::Invalid, QStringLiteral("a.txt' appears twice"));
    }

    void refusesAnEncryptedZip() {
        expectRefused(ArchiveBuilder(Format::Zip, "zip:encryption=zipcrypt")
                          .file("secret.html", "hidden")
                          .finish(),
                      Error::Code::Invalid, QStringLiteral("Entry 'secret.html' is encrypted"));
    }

    // --- Packing a folder ---

    void packsRegularFilesOnlyAndLeavesOutWhatADeployMustNotCarry() {
        QTemporaryDir dir;
        const QString site = makeSite(dir);
        const QString output = dir.filePath(QStringLiteral("site.tar.gz"));
        const fazt::Result<Summary> packed = packDirectory(site, output, {});
        QVERIFY2(packed, packed ? "" : qPrintable(packed.error().message));
        const Files files = filesIn(readFile(output));
        QCOMPARE(paths(files),
                 (QStringList{QStringLiteral("css/site.css"), QStringLiteral("img/large.bin"),
                              QStringLiteral("index.html"), QStringLiteral("sub/deep/page.html")}));
        QCOMPARE(files[1].second, sampleContent(5 << 20, 3));
        QCOMPARE(files[2].second, QByteArray("<h1>home</h1>"));
        QCOMPARE(packed->files, 4);
        QCOMPARE(packed->bytes, qint64(9 + (5 << 20) + 13 + 4));
        QCOMPARE(packed->skipped, 2); // the two symbolic links
    }

    void includeHiddenAddsDotfilesButNeverGitOrNodeModules() {
        QTemporaryDir dir;
        const QString site = makeSite(dir);
        const QString output = dir.filePath(QStringLiteral("site.tar.gz"));
        PackOptions options;
        options.includeHidden = true;
        QVERIFY(packDirectory(site, output, options));
        QCOMPARE(paths(filesIn(readFile(output))),
                 (QStringList{QStringLiteral(".env"), QStringLiteral(".well-known/security.txt"),
                              QStringLiteral("css/site.css"), QStringLiteral("img/large.bin"),
                              QStringLiteral("index.html"), QStringLiteral("sub/deep/page.html")}));
    }

    void reportsProgressUpToTheTotals() {
        QTemporaryDir dir;
        const QString site = makeSite(dir);
        QList<PackProgress> reports;
        QVERIFY(packDirectory(site, dir.filePath(QStringLiteral("site.tar.gz")), {},
                              [&](const PackProgress &p) { reports.append(p); }));
        QVERIFY(reports.size() > 4 + 5); // the 5 MiB file streams in several chunks
        const PackProgress first = reports.first();
        QCOMPARE(first.files, 0);
        QCOMPARE(first.bytes, 0);
        const PackProgress last = reports.last();
        QCOMPARE(last.totalFiles, 4);
        QCOMPARE(last.files, last.totalFiles);
        QCOMPARE(last.bytes, last.totalBytes);
        QCOMPARE(last.totalBytes, qint64(9 + (5 << 20) + 13 + 4));
        for (qsizetype i = 1; i < reports.size(); ++i)
            QVERIFY(reports[i].bytes >= reports[i - 1].bytes);
    }

    void packingIsReproducible() {
        QTemporaryDir dir;
        const QString site = makeSite(dir);
        // The output inside the folder it packs is not packed into itself the second time.
        const QString output = site + u"/site.tar.gz";
        QVERIFY(packDirectory(site, output, {}));
        const QByteArray first = readFile(output);
        QFile touched(site + u"/index.html");
        QVERIFY(touched.open(QIODevice::ReadWrite));
        QVERIFY(touched.setFileTime(QDateTime::currentDateTime().addDays(-3),
                                    QFileDevice::FileModificationTime));
        touched.close();
        QVERIFY(packDirectory(site, output, {}));
        QCOMPARE(readFile(output), first);
        QCOMPARE(first.first(2), QByteArray("\x1f\x8b"));
        QCOMPARE(first.sliced(4, 4), QByteArray(4, '\0')); // no time in the gzip header
    }

    void packingNothingIsAnError() {
        QTemporaryDir dir;
        QDir(dir.path()).mkpath(QStringLiteral("empty/.git"));
        writeFile(dir.filePath(QStringLiteral("empty/.env")), "SECRET=1");
        const QString output = dir.filePath(QStringLiteral("out.tar.gz"));
        const fazt::Result<Summary> packed =
            packDirectory(dir.filePath(QStringLiteral("empty")), output, {});
        QVERIFY(!packed);
        QCOMPARE(packed.error().code, Error::Code::Invalid);
        QVERIFY(!QFile::exists(output));
        const fazt::Result<Summary> missing =
            packDirectory(dir.filePath(QStringLiteral("nope")), output, {});
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, Error::Code::NotFound);
    }

private:
    // The round trip is about reading, not compressing well: spare xz and bzip2 the effort.
    static const char *fastestLevel(Format format) {
        switch (format) {
        case Format::TarXz:
            return "xz:compression-level=0";
        case Format::TarBz2:
            return "bzip2:compression-level=1";
        default:
            return nullptr;
        }
    }

    static QString makeSite(QTemporaryDir &dir) {
        const QString site = dir.filePath(QStringLiteral("site"));
        writeFile(site + u"/index.html", "<h1>home</h1>");
        writeFile(site + u"/css/site.css", "body{}\n/*");
        writeFile(site + u"/img/large.bin", sampleContent(5 << 20, 3));
        writeFile(site + u"/sub/deep/page.html", "deep");
        writeFile(site + u"/.env", "SECRET=1");
        writeFile(site + u"/.well-known/security.txt", "x");
        writeFile(site + u"/.git/config", "[core]");
        writeFile(site + u"/node_modules/pkg/index.js", "module.exports = 1;");
        writeFile(site + u"/sub/node_modules/other.js", "1");
        QFile::link(site + u"/index.html", site + u"/link.html");
        QFile::link(site + u"/css", site + u"/styles");
        return site;
    }

    static QByteArray readFile(const QString &path) {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

    static QStringList paths(const Files &files) {
        QStringList list;
        for (const auto &file : files)
            list.append(file.first);
        return list;
    }
};

QTEST_APPLESS_MAIN(TestArchive)
#include "tst_archive.moc"
