// libFuzzer target for ArchiveReader. Beyond "no crash, no leak, no UB" it checks what the
// reader promises: validate() and forEachFile() agree on the files and their bytes, every
// path handed out obeys the rules, and no limit is ever exceeded. Small limits let the
// fuzzer reach every one of them.

#include "archive/archivereader.h"

#include <cstddef>
#include <cstdint>

using namespace fazt::archive;

namespace {

void require(bool condition) {
    if (!condition)
        __builtin_trap();
}

bool isSafePath(const QString &path) {
    if (path.isEmpty() || path.startsWith(u'/') || path.contains(u'\\'))
        return false;
    for (const QStringView segment : QStringView(path).split(u'/')) {
        if (segment.isEmpty() || segment == u"." || segment == u"..")
            return false;
    }
    return true;
}

void check(const QByteArray &data, const Limits &limits) {
    ArchiveReader reader = ArchiveReader::fromMemory(data, limits);
    const fazt::Result<Summary> summary = reader.validate();
    if (!summary) {
        require(!summary.error().message.isEmpty());
        return;
    }
    require(summary->files > 0 && summary->files <= limits.maxEntries);
    require(summary->bytes >= 0 && summary->bytes <= limits.maxTotalBytes);

    Summary seen;
    QByteArray buffer(4096, Qt::Uninitialized);
    const fazt::Status walked = reader.forEachFile([&](const QString &path, QIODevice &content) {
        require(isSafePath(path));
        require(path.toUtf8().size() <= limits.maxPathBytes);
        qint64 fileBytes = 0;
        for (;;) {
            const qint64 count = content.read(buffer.data(), buffer.size());
            require(count >= -1 && count <= buffer.size());
            if (count <= 0)
                break;
            fileBytes += count;
        }
        require(content.atEnd());
        require(fileBytes <= limits.maxFileBytes);
        ++seen.files;
        seen.bytes += fileBytes;
        return fazt::Status();
    });
    // The same bytes, read again: the second pass must agree with the first.
    require(walked.ok());
    require(seen.files == summary->files && seen.bytes == summary->bytes);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size) {
    const QByteArray data(reinterpret_cast<const char *>(bytes), qsizetype(size));
    check(data, Limits{});
    Limits small;
    small.maxEntries = 8;
    small.maxTotalBytes = 64 << 10;
    small.maxFileBytes = 16 << 10;
    small.maxRatio = 20;
    small.maxPathBytes = 40;
    check(data, small);
    return 0;
}
