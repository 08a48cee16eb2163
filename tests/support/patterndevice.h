#pragma once

#include <QIODevice>

#include <cstring>

namespace fazt::test {

// A read-only device of `size` deterministic, non-repeating-per-chunk bytes, generated on the
// fly: a test can stream gigabytes without holding them. Byte i depends only on (seed, i).
class PatternDevice : public QIODevice {
public:
    PatternDevice(qint64 size, quint64 seed) : m_size(size), m_seed(seed) {
        open(QIODevice::ReadOnly | QIODevice::Unbuffered);
    }
    bool isSequential() const override { return false; }
    qint64 size() const override { return m_size; }

    // The 8-byte word at word index `w` (bytes 8w .. 8w+7).
    static quint64 word(quint64 seed, quint64 w) {
        quint64 x = (w + 1) * 0x9E3779B97F4A7C15ull ^ seed;
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9ull;
        return x ^ (x >> 29);
    }

protected:
    qint64 readData(char *data, qint64 maxSize) override {
        const qint64 start = pos();
        const qint64 n = std::min(maxSize, m_size - start);
        for (qint64 i = 0; i < n;) {
            const qint64 offset = start + i;
            const quint64 w = word(m_seed, quint64(offset / 8));
            const qint64 within = offset % 8;
            const qint64 take = std::min<qint64>(8 - within, n - i);
            std::memcpy(data + i, reinterpret_cast<const char *>(&w) + within, size_t(take));
            i += take;
        }
        return std::max<qint64>(n, 0);
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    qint64 m_size;
    quint64 m_seed;
};

} // namespace fazt::test
