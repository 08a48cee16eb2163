#pragma once

#include "result.h"

class QIODevice;

namespace fazt::archive {

// A zip says what it holds twice: a local header before each entry, and the central directory
// at its end, found through the end record. A zip whose directory is missing or cut short was
// not written (or uploaded) completely, and readers disagree about what it contains: a
// streaming reader takes the local headers it finds, another the directory. Such a zip is
// refused whole, like any other broken archive.
class ZipDirectory {
public:
    // Nothing to say about an archive that is not a zip (or is empty). For a zip: an Invalid
    // error unless its end record is where it should be and its central directory holds every
    // entry the end record counts, exactly filling the space between its offset and the end
    // record. Reads from the device's start; leaves it at an unspecified position.
    static Status check(QIODevice &archive);
};

} // namespace fazt::archive
