#include "archive/archivereader.h"

#include "archive/utf8locale.h"
#include "archive/zipdirectory.h"

#include <QBuffer>
#include <QFile>
#include <QLocale>
#include <QSet>
#include <QStringDecoder>

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <memory>

namespace fazt::archive {

namespace {

// The compression ratio is judged only once this much has come out: below it, a small but
// very compressible archive (a few CSS files) could look like a bomb.
constexpr qint64 RatioFloor = 1 << 20;

// Decompressed stream bytes each entry may spend outside its content (a tar header, pax
// records, a long name, padding) before they count as output for the ratio. A tar.gz can
// otherwise expand into megabytes of pax records per entry, none of them entry data.
constexpr qint64 HeaderAllowance = 8 << 10;

// The most one archive_read_data() call produces, so limits are checked at least this often.
constexpr qint64 ReadBlock = 64 << 10;

struct ArchiveFree {
    void operator()(::archive *a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<::archive, ArchiveFree>;

enum class EntryKind { File, Folder, Metadata };

QString formatBytes(qint64 bytes) {
    return QLocale::c().formattedDataSize(bytes);
}

// An entry's name as a message shows it: quoted, control characters escaped, a very long
// name cut in the middle.
QString shown(const QString &name) {
    QString text;
    for (const QChar c : name) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7F)
            text += u"\\x" + QString::number(c.unicode(), 16).rightJustified(2, u'0');
        else
            text += c;
    }
    if (text.size() > 160)
        text = text.first(120) + u"\u2026" + text.last(30);
    return u'\'' + text + u'\'';
}

QString libarchiveMessage(::archive *a) {
    const char *message = archive_error_string(a);
    QString text = message ? QString::fromUtf8(message) : QStringLiteral("unknown error");
    if (!text.endsWith(u'.'))
        text += u'.';
    return text;
}

// An entry's name as text, or a null QString when it has none. libarchive gives UTF-8 when
// it can convert the name, else the raw bytes: these must be UTF-8 too, or the name is
// refused. (Call it under a Utf8LocaleScope.)
Result<QString> entryName(archive_entry *entry) {
    const char *utf8 = archive_entry_pathname_utf8(entry);
    const char *bytes = utf8 ? utf8 : archive_entry_pathname(entry);
    if (!bytes)
        return QString();
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::ConvertInitialBom);
    QString name = decoder(QByteArrayView(bytes));
    if (decoder.hasError()) {
        return Error::invalid(u"Entry " + shown(name) +
                              u" has a name that is not UTF-8 text: rename it, or create the "
                              u"archive with a tool that writes UTF-8 names.");
    }
    return name;
}

bool isDriveLetter(QStringView path) {
    return path.size() >= 2 && path[1] == u':' &&
           ((path[0] >= u'a' && path[0] <= u'z') || (path[0] >= u'A' && path[0] <= u'Z'));
}

// Checks a path against the rules that keep it inside the site. `path` is what will be stored
// ("./" prefixes and a folder's trailing '/' removed); messages show `name`, the entry's name
// as the archive has it.
Status checkPath(QStringView path, const QString &name, const Limits &limits) {
    const qsizetype bytes = path.toUtf8().size();
    if (bytes > limits.maxPathBytes) {
        return Error{Error::Code::TooLarge, u"Entry " + shown(name) + u" has a path of " +
                                                QString::number(bytes) + u" bytes; the limit is " +
                                                QString::number(limits.maxPathBytes) +
                                                u": shorten it."};
    }
    const bool hasControl = std::any_of(path.begin(), path.end(), [](QChar c) {
        return c.unicode() < 0x20 || c.unicode() == 0x7F;
    });
    if (hasControl) {
        return Error::invalid(u"Entry " + shown(name) +
                              u" has a control character in its name: rename it.");
    }
    if (path.contains(u'\\')) {
        return Error::invalid(u"Entry " + shown(name) +
                              u" has a backslash in its path: separate folders with '/' (re-create "
                              u"the archive with a tool that does).");
    }
    if (path.startsWith(u'/') || isDriveLetter(path)) {
        return Error::invalid(u"Entry " + shown(name) +
                              u" has an absolute path: paths must be relative to the site's root.");
    }
    const QList<QStringView> segments = path.split(u'/');
    if (segments.contains(u"..")) {
        return Error::invalid(u"Entry " + shown(name) +
                              u" escapes the site: remove '..' from paths.");
    }
    if (segments.contains(u"") || segments.contains(u".")) {
        return Error::invalid(u"Entry " + shown(name) +
                              u" has an empty or '.' folder name in its path: write 'a/b', not "
                              u"'a//b' or 'a/./b'.");
    }
    return {};
}

// Refuses everything but regular files and folders: a link could point out of the site (or
// make a later entry write through it), a device or a pipe means nothing in a website.
Status checkType(archive_entry *entry, const QString &name) {
    const QString refusal = u"Entry " + shown(name);
    const QString reason = QStringLiteral(": Fazt deploys regular files and folders only.");
    if (const char *target = archive_entry_hardlink(entry)) {
        return Error::invalid(refusal + u" is a hard link to " + shown(QString::fromUtf8(target)) +
                              reason + u" Replace the link with a copy of the file.");
    }
    switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
    case AE_IFDIR:
        return {};
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(entry);
        return Error::invalid(refusal + u" is a symbolic link (to " +
                              shown(QString::fromUtf8(target ? target : "")) + u")" + reason +
                              u" Replace the link with the file it points to.");
    }
    case AE_IFCHR:
    case AE_IFBLK:
        return Error::invalid(refusal + u" is a device file" + reason);
    case AE_IFIFO:
        return Error::invalid(refusal + u" is a named pipe (FIFO)" + reason);
    case AE_IFSOCK:
        return Error::invalid(refusal + u" is a socket" + reason);
    default:
        return Error::invalid(refusal + u" has an unknown file type" + reason);
    }
}

// macOS adds these to zips and tars it creates; they are never part of a site.
bool isMacMetadata(QStringView path) {
    const QStringView fileName = path.sliced(path.lastIndexOf(u'/') + 1);
    return path.startsWith(u"__MACOSX/") || path == u"__MACOSX" || fileName.startsWith(u"._") ||
           fileName == u".DS_Store";
}

// One read through an archive, from its first header to its end, checking every rule as soon
// as what it needs has been read. nextEntry() stops on regular files only; folders and
// metadata are read through (their bytes count against the limits too).
class Pass {
public:
    explicit Pass(const Limits &limits)
        : m_limits(limits) {}

    Status openFile(const QString &path);
    Status openMemory(const QByteArray &data);

    // Moves to the next regular file: true, or false at the end of the archive. Whatever the
    // caller left unread of the previous entry is read (and checked) first.
    Result<bool> nextEntry();
    const QString &path() const { return m_path; }

    // The current entry's next bytes: 0 at its end, -1 after an error (see error()).
    qint64 read(char *data, qint64 maxSize);
    bool isEntryDone() const { return m_isEntryDone; }
    Status drain();

    const std::optional<Error> &error() const { return m_error; }
    const Summary &summary() const { return m_summary; }

private:
    template <typename Open> Status start(Open open);
    Error fail(Error error);
    Error corrupt(bool isInData);
    Status checkHeader(archive_entry *entry);
    Status checkCounts();
    bool isPastRatio() const;

    const Limits m_limits;
    QFile m_file;
    QByteArray m_data;
    qint64 m_archiveBytes = 0;
    ArchivePtr m_archive;
    std::optional<Error> m_error;

    QString m_name; // the current entry's name as the archive has it, for messages
    QString m_path; // ... and as it is stored
    EntryKind m_kind = EntryKind::Folder;
    qint64 m_declaredBytes = -1; // what the header says, -1 when it does not say
    qint64 m_entryBytes = 0;
    bool m_isEntryDone = true;

    qint64 m_entries = 0;
    qint64 m_dataBytes = 0; // of every entry, metadata included
    Summary m_summary;
    QSet<QString> m_filePaths;
    QByteArray m_scratch;
};

Status Pass::openFile(const QString &path) {
    m_file.setFileName(path);
    if (!m_file.open(QIODevice::ReadOnly)) {
        return fail(Error::io(u"Cannot open the archive '" + path + u"': " + m_file.errorString()));
    }
    m_archiveBytes = m_file.size();
    return start([this](::archive *a) {
        return archive_read_open_fd(a, m_file.handle(), size_t(ReadBlock));
    });
}

Status Pass::openMemory(const QByteArray &data) {
    m_data = data;
    m_archiveBytes = data.size();
    return start([this](::archive *a) {
        return archive_read_open_memory(a, m_data.constData(), size_t(m_data.size()));
    });
}

template <typename Open> Status Pass::start(Open open) {
    m_archive.reset(archive_read_new());
    ::archive *a = m_archive.get();
    if (!a)
        return fail(Error::internal(QStringLiteral("libarchive could not allocate a reader.")));
    // Only the formats and filters a deploy needs: every parser left out is attack surface
    // left out. (Each may answer ARCHIVE_WARN if libarchive was built without the library and
    // falls back to running the external program; Debian's links them all.)
    const int supported[] = {
        archive_read_support_format_zip(a),   archive_read_support_format_tar(a),
        archive_read_support_format_empty(a), archive_read_support_filter_gzip(a),
        archive_read_support_filter_zstd(a),  archive_read_support_filter_xz(a),
        archive_read_support_filter_bzip2(a),
    };
    if (std::any_of(std::begin(supported), std::end(supported),
                    [](int status) { return status < ARCHIVE_WARN; })) {
        return fail(Error::internal(u"libarchive cannot read archives: " + libarchiveMessage(a)));
    }
    if (const int opened = open(a); opened != ARCHIVE_OK && opened != ARCHIVE_WARN)
        return fail(corrupt(false));
    return {};
}

Error Pass::fail(Error error) {
    if (!m_error)
        m_error = std::move(error);
    return *m_error;
}

Error Pass::corrupt(bool isInData) {
    ::archive *a = m_archive.get();
    if (m_entries == 0 && archive_format(a) == 0 && archive_filter_count(a) <= 1) {
        return Error::invalid(QStringLiteral(
            "This is not a zip or tar archive (tar may be compressed with gzip, zstd, xz or "
            "bzip2): check that you chose the right file."));
    }
    const QString where = m_entries == 0 ? QStringLiteral("before the first entry")
                          : isInData     ? QString(u"at entry " + shown(m_name))
                                         : QString(u"after entry " + shown(m_name));
    return Error::invalid(u"The archive is truncated or corrupt (" + where + u"): " +
                          libarchiveMessage(a) + u" Upload it again, or re-create it.");
}

Result<bool> Pass::nextEntry() {
    if (m_error)
        return *m_error;
    if (Status drained = drain(); !drained)
        return drained.error();
    const Utf8LocaleScope utf8; // entry names are converted while reading headers
    for (;;) {
        archive_entry *entry = nullptr;
        const int status = archive_read_next_header(m_archive.get(), &entry);
        if (status == ARCHIVE_EOF)
            return false;
        // ARCHIVE_WARN here is about a name libarchive could not convert; entryName()
        // judges the name itself. Anything worse means the archive cannot be trusted.
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN)
            return fail(corrupt(false));
        ++m_entries;
        if (Status checked = checkHeader(entry); !checked)
            return checked.error();
        if (m_kind == EntryKind::File)
            return true;
        if (Status drained = drain(); !drained)
            return drained.error();
    }
}

Status Pass::checkHeader(archive_entry *entry) {
    Result<QString> name = entryName(entry);
    if (!name)
        return fail(name.error());
    m_name = *name;
    m_entryBytes = 0;
    m_isEntryDone = false;
    m_declaredBytes = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : -1;
    if (m_name.isEmpty()) {
        return fail(Error::invalid(u"Entry " + QString::number(m_entries) +
                                   u" has no name: the archive is malformed."));
    }
    if (m_entries > m_limits.maxEntries) {
        return fail(Error{Error::Code::TooLarge,
                          u"Entry " + shown(m_name) + u" is past the limit of " +
                              QString::number(m_limits.maxEntries) +
                              u" files and folders in one archive: deploy fewer files."});
    }
    const bool isFolder = archive_entry_filetype(entry) == AE_IFDIR;
    QStringView path(m_name);
    while (path.startsWith(u"./"))
        path = path.sliced(2);
    if (isFolder && path.endsWith(u'/'))
        path.chop(1);
    if (isFolder && (path.isEmpty() || path == u".")) {
        m_path.clear(); // the archive's root folder, as `tar -C site -cf x .` writes it
        m_kind = EntryKind::Folder;
        return {};
    }
    if (Status checked = checkPath(path, m_name, m_limits); !checked)
        return fail(checked.error());
    if (Status checked = checkType(entry, m_name); !checked)
        return fail(checked.error());
    if (archive_entry_is_encrypted(entry)) {
        return fail(Error::invalid(
            u"Entry " + shown(m_name) +
            u" is encrypted: Fazt cannot read password-protected archives. Create it without a "
            u"password."));
    }
    m_path = path.toString();
    m_kind = isFolder              ? EntryKind::Folder
             : isMacMetadata(path) ? EntryKind::Metadata
                                   : EntryKind::File;
    if (m_kind == EntryKind::File) {
        if (m_filePaths.contains(m_path)) {
            return fail(Error::invalid(u"Entry " + shown(m_name) +
                                       u" appears twice in the archive: keep one of them."));
        }
        m_filePaths.insert(m_path);
        ++m_summary.files;
    }
    // Headers can lie, so read() counts the bytes too; this only refuses early.
    if (m_declaredBytes < -1) {
        return fail(Error::invalid(u"Entry " + shown(m_name) +
                                   u" has a negative size: the archive is corrupt."));
    }
    if (m_declaredBytes > m_limits.maxFileBytes) {
        return fail(Error{Error::Code::TooLarge, u"Entry " + shown(m_name) + u" is " +
                                                     formatBytes(m_declaredBytes) +
                                                     u"; the limit for one file is " +
                                                     formatBytes(m_limits.maxFileBytes) + u"."});
    }
    if (m_declaredBytes > m_limits.maxTotalBytes - m_dataBytes) {
        return fail(Error{Error::Code::TooLarge,
                          u"Entry " + shown(m_name) + u" takes the archive past its limit of " +
                              formatBytes(m_limits.maxTotalBytes) + u" uncompressed."});
    }
    return checkCounts();
}

// The limits on bytes actually produced, checked after every header and every block.
Status Pass::checkCounts() {
    if (m_entryBytes > m_limits.maxFileBytes) {
        return fail(Error{Error::Code::TooLarge, u"Entry " + shown(m_name) +
                                                     u" is larger than the limit for one file, " +
                                                     formatBytes(m_limits.maxFileBytes) + u"."});
    }
    if (m_dataBytes > m_limits.maxTotalBytes) {
        return fail(Error{Error::Code::TooLarge,
                          u"Entry " + shown(m_name) + u" takes the archive past its limit of " +
                              formatBytes(m_limits.maxTotalBytes) + u" uncompressed."});
    }
    if (isPastRatio()) {
        return fail(Error{Error::Code::TooLarge,
                          u"The archive expands to more than " +
                              QString::number(m_limits.maxRatio) + u" times its size (at entry " +
                              shown(m_name) +
                              u"), so Fazt refuses it as a likely zip bomb. If it is genuine, "
                              u"create it with less compression (zip -0, or a plain .tar)."});
    }
    return {};
}

// Output is measured against the whole archive's size rather than the compressed bytes
// consumed so far: a seekable zip reader re-reads data for entries that overlap (the
// "better zip bomb"), which would inflate "consumed", and a genuine archive that opens with a
// very compressible file is not refused for it. What a bomb can still produce before it
// crosses the ratio is bounded by maxTotalBytes either way.
bool Pass::isPastRatio() const {
    const qint64 stream = archive_filter_bytes(m_archive.get(), 0) - m_entries * HeaderAllowance;
    const qint64 produced = std::max(m_dataBytes, stream);
    if (produced <= RatioFloor)
        return false;
    return double(produced) > m_limits.maxRatio * double(std::max<qint64>(m_archiveBytes, 1));
}

qint64 Pass::read(char *data, qint64 maxSize) {
    if (m_error)
        return -1;
    if (m_isEntryDone || maxSize <= 0)
        return 0;
    const la_ssize_t count =
        archive_read_data(m_archive.get(), data, size_t(std::min(maxSize, ReadBlock)));
    if (count < 0) {
        fail(corrupt(true));
        return -1;
    }
    if (count == 0) {
        m_isEntryDone = true;
        if (m_declaredBytes >= 0 && m_entryBytes != m_declaredBytes) {
            fail(Error::invalid(u"Entry " + shown(m_name) + u" holds " +
                                QString::number(m_entryBytes) + u" bytes but its header says " +
                                QString::number(m_declaredBytes) + u": the archive is corrupt."));
            return -1;
        }
        return 0;
    }
    m_entryBytes += count;
    m_dataBytes += count;
    if (m_kind == EntryKind::File)
        m_summary.bytes += count;
    if (Status checked = checkCounts(); !checked)
        return -1;
    return count;
}

Status Pass::drain() {
    if (m_scratch.isEmpty())
        m_scratch.resize(ReadBlock);
    while (read(m_scratch.data(), m_scratch.size()) > 0) {
    }
    if (m_error)
        return *m_error;
    return {};
}

// The content of the current entry as forEachFile() hands it out: sequential, unbuffered,
// reading straight from libarchive into the caller's buffer.
class EntryContent : public QIODevice {
public:
    explicit EntryContent(Pass &pass)
        : m_pass(pass) {
        open(ReadOnly | Unbuffered);
    }

    bool isSequential() const override { return true; }
    bool atEnd() const override { return m_pass.isEntryDone() || m_pass.error().has_value(); }

protected:
    qint64 readData(char *data, qint64 maxSize) override {
        const qint64 count = m_pass.read(data, maxSize);
        if (count < 0)
            setErrorString(m_pass.error()->message);
        return count;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    Pass &m_pass;
};

} // namespace

ArchiveReader::ArchiveReader(QString path, QByteArray data, bool isInMemory, const Limits &limits)
    : m_path(std::move(path))
    , m_data(std::move(data))
    , m_isInMemory(isInMemory)
    , m_limits(limits) {}

ArchiveReader ArchiveReader::fromFile(const QString &path, Limits limits) {
    return ArchiveReader(path, {}, false, limits);
}

ArchiveReader ArchiveReader::fromMemory(QByteArray data, Limits limits) {
    return ArchiveReader({}, std::move(data), true, limits);
}

Result<Summary> ArchiveReader::validate() {
    m_validated.reset();
    {
        QBuffer memory(&m_data);
        QFile file(m_path);
        QIODevice &device = m_isInMemory ? static_cast<QIODevice &>(memory) : file;
        if (device.open(QIODevice::ReadOnly))
            if (Status s = ZipDirectory::check(device); !s)
                return s.error();
    }
    Pass pass(m_limits);
    Status opened = m_isInMemory ? pass.openMemory(m_data) : pass.openFile(m_path);
    if (!opened)
        return opened.error();
    for (;;) {
        const Result<bool> next = pass.nextEntry();
        if (!next)
            return next.error();
        if (!*next)
            break;
    }
    if (pass.summary().files == 0) {
        return Error::invalid(QStringLiteral(
            "The archive contains no files: check that you packed the right folder."));
    }
    m_validated = pass.summary();
    return pass.summary();
}

Status ArchiveReader::forEachFile(
    const std::function<Status(const QString &path, QIODevice &content)> &store) {
    if (!m_validated) {
        return Error::internal(
            QStringLiteral("ArchiveReader::forEachFile() called without a successful validate()."));
    }
    Pass pass(m_limits);
    Status opened = m_isInMemory ? pass.openMemory(m_data) : pass.openFile(m_path);
    if (!opened)
        return opened;
    for (;;) {
        const Result<bool> next = pass.nextEntry();
        if (!next)
            return next.error();
        if (!*next)
            break;
        EntryContent content(pass);
        Status stored = store(pass.path(), content);
        // A broken archive explains a store() that failed reading it better than store() can.
        if (pass.error())
            return *pass.error();
        if (!stored)
            return stored;
    }
    if (pass.summary().files != m_validated->files || pass.summary().bytes != m_validated->bytes) {
        return Error::invalid(
            QStringLiteral("The archive changed while it was being read: upload it again."));
    }
    return {};
}

} // namespace fazt::archive
