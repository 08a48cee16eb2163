#include "archive/zipdirectory.h"

#include <QIODevice>
#include <QtEndian>

namespace fazt::archive {

namespace {

constexpr qint64 EndRecordBytes = 22;
constexpr qint64 MaxCommentBytes = 0xffff;
constexpr qint64 Zip64LocatorBytes = 20;
constexpr qint64 Zip64EndRecordBytes = 56;
constexpr qint64 CentralHeaderBytes = 46;
// The directory is read into memory to be walked: far more than any site needs.
constexpr qint64 MaxDirectoryBytes = qint64(256) << 20;

Error broken(const QString &what) {
    return Error::invalid(
        QStringLiteral("The archive is truncated or corrupt (a zip whose %1). Upload it again, "
                       "or re-create it.")
            .arg(what));
}

quint16 u16(const QByteArray &data, qint64 at) {
    return qFromLittleEndian<quint16>(data.constData() + at);
}
quint32 u32(const QByteArray &data, qint64 at) {
    return qFromLittleEndian<quint32>(data.constData() + at);
}
quint64 u64(const QByteArray &data, qint64 at) {
    return qFromLittleEndian<quint64>(data.constData() + at);
}

QByteArray readAt(QIODevice &device, qint64 offset, qint64 length) {
    if (offset < 0 || length < 0 || !device.seek(offset))
        return {};
    QByteArray data = device.read(length);
    return data.size() == length ? data : QByteArray();
}

} // namespace

Status ZipDirectory::check(QIODevice &archive) {
    const qint64 size = archive.size();
    const QByteArray magic = readAt(archive, 0, 4);
    if (magic != QByteArrayView("PK\x03\x04", 4) && magic != QByteArrayView("PK\x05\x06", 4))
        return {};

    // The end record: the last "PK\5\6" whose comment reaches exactly to the end of the file.
    const qint64 tailStart = std::max<qint64>(0, size - EndRecordBytes - MaxCommentBytes);
    const QByteArray tail = readAt(archive, tailStart, size - tailStart);
    qint64 endRecord = -1;
    for (qint64 at = tail.size() - EndRecordBytes; at >= 0 && endRecord < 0; --at) {
        if (tail.at(at) == 'P' && tail.mid(at, 4) == QByteArrayView("PK\x05\x06", 4) &&
            at + EndRecordBytes + u16(tail, at + 20) == tail.size())
            endRecord = at;
    }
    if (endRecord < 0)
        return broken(QStringLiteral("end record is missing: the file is cut short"));
    const qint64 endRecordOffset = tailStart + endRecord;
    quint64 entries = u16(tail, endRecord + 10);
    quint64 directoryBytes = u32(tail, endRecord + 12);
    quint64 directoryOffset = u32(tail, endRecord + 16);
    qint64 directoryEnd = endRecordOffset;
    if (u16(tail, endRecord + 4) != 0 || u16(tail, endRecord + 6) != 0)
        return Error::invalid(QStringLiteral("Zip archives split over several files are not "
                                             "supported: create one file."));
    if (entries == 0xffff || directoryBytes == 0xffffffff || directoryOffset == 0xffffffff) {
        const QByteArray locator =
            readAt(archive, endRecordOffset - Zip64LocatorBytes, Zip64LocatorBytes);
        if (locator.size() != Zip64LocatorBytes ||
            locator.first(4) != QByteArrayView("PK\x06\x07", 4))
            return broken(QStringLiteral("zip64 locator is missing"));
        const quint64 zip64End = u64(locator, 8);
        const QByteArray record = readAt(
            archive, qint64(std::min<quint64>(zip64End, quint64(size))), Zip64EndRecordBytes);
        if (zip64End >= quint64(size) || record.size() != Zip64EndRecordBytes ||
            record.first(4) != QByteArrayView("PK\x06\x06", 4))
            return broken(QStringLiteral("zip64 end record is missing"));
        entries = u64(record, 32);
        directoryBytes = u64(record, 40);
        directoryOffset = u64(record, 48);
        directoryEnd = qint64(zip64End);
    }
    if (directoryOffset > quint64(directoryEnd) ||
        directoryBytes != quint64(directoryEnd) - directoryOffset)
        return broken(QStringLiteral("central directory is cut short or misplaced"));
    if (directoryBytes > quint64(MaxDirectoryBytes))
        return Error::invalid(QStringLiteral("The zip archive's directory is over 256 MiB: too "
                                             "many files for a site."));
    const QByteArray directory = readAt(archive, qint64(directoryOffset), qint64(directoryBytes));
    if (directory.size() != qint64(directoryBytes))
        return broken(QStringLiteral("central directory cannot be read"));
    qint64 at = 0;
    for (quint64 entry = 0; entry < entries; ++entry) {
        if (at + CentralHeaderBytes > directory.size() ||
            directory.mid(at, 4) != QByteArrayView("PK\x01\x02", 4))
            return broken(QStringLiteral("central directory holds %1 of the %2 entries it "
                                         "should")
                              .arg(entry)
                              .arg(entries));
        at += CentralHeaderBytes + u16(directory, at + 28) + u16(directory, at + 30) +
              u16(directory, at + 32);
    }
    if (at != directory.size())
        return broken(QStringLiteral("central directory does not match its end record"));
    return {};
}

} // namespace fazt::archive
