#include "hosting/functions/wire.h"

#include <QtEndian>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <poll.h>
#include <thread>
#include <sys/socket.h>
#include <unistd.h>

namespace fazt::hosting::functions {

std::int64_t steadyMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

FrameWriter::FrameWriter(Message message) {
    m_frame.reserve(256);
    m_frame.append(4, '\0');
    m_frame.append(char(message));
}

FrameWriter &FrameWriter::u8(std::uint8_t value) {
    m_frame.append(char(value));
    return *this;
}

FrameWriter &FrameWriter::u32(std::uint32_t value) {
    char bytes[4];
    qToLittleEndian(value, bytes);
    m_frame.append(bytes, 4);
    return *this;
}

FrameWriter &FrameWriter::i64(std::int64_t value) {
    char bytes[8];
    qToLittleEndian(value, bytes);
    m_frame.append(bytes, 8);
    return *this;
}

FrameWriter &FrameWriter::bytes(QByteArrayView value) {
    u32(std::uint32_t(value.size()));
    m_frame.append(value);
    return *this;
}

const QByteArray &FrameWriter::finish() {
    qToLittleEndian(std::uint32_t(m_frame.size() - 4), m_frame.data());
    return m_frame;
}

bool FrameReader::take(qsizetype size) {
    if (!m_isValid || size < 0 || m_payload.size() - m_offset < size) {
        m_isValid = false;
        return false;
    }
    return true;
}

std::uint8_t FrameReader::u8() {
    if (!take(1))
        return 0;
    return std::uint8_t(m_payload[m_offset++]);
}

std::uint32_t FrameReader::u32() {
    if (!take(4))
        return 0;
    const auto value = qFromLittleEndian<std::uint32_t>(m_payload.data() + m_offset);
    m_offset += 4;
    return value;
}

std::int64_t FrameReader::i64() {
    if (!take(8))
        return 0;
    const auto value = qFromLittleEndian<std::int64_t>(m_payload.data() + m_offset);
    m_offset += 8;
    return value;
}

QByteArrayView FrameReader::bytes() {
    const qsizetype size = qsizetype(u32());
    if (!take(size))
        return {};
    const QByteArrayView value = m_payload.sliced(m_offset, size);
    m_offset += size;
    return value;
}

void Channel::reset(int fd) {
    m_fd = fd;
    m_begin = m_end = 0;
}

bool Channel::waitFor(short events, std::int64_t deadlineMs) {
    for (;;) {
        int timeout = -1;
        if (deadlineMs >= 0) {
            const std::int64_t left = deadlineMs - steadyMs();
            if (left <= 0)
                return false;
            timeout = int(std::min<std::int64_t>(left, 1 << 30));
        }
        pollfd p{m_fd, events, 0};
        const int n = ::poll(&p, 1, timeout);
        if (n > 0)
            return true; // readable, writable, or hung up: the next call says which
        if (n == 0)
            return false;
        if (errno != EINTR)
            return true; // let the read or write report it
    }
}

Channel::Outcome Channel::send(QByteArrayView frame, std::int64_t deadlineMs) {
    qsizetype sent = 0;
    while (sent < frame.size()) {
        const ssize_t n =
            ::send(m_fd, frame.data() + sent, size_t(frame.size() - sent), MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!waitFor(POLLOUT, deadlineMs))
                return Outcome::TimedOut;
            continue;
        }
        return Outcome::Closed;
    }
    return Outcome::Ok;
}

Channel::Outcome Channel::receive(FrameReader &reader, std::int64_t deadlineMs,
                                  std::chrono::microseconds spin) {
    const auto spinUntil = std::chrono::steady_clock::now() + spin;
    for (;;) {
        if (m_end - m_begin >= 4) {
            const auto length = qFromLittleEndian<std::uint32_t>(m_buffer.constData() + m_begin);
            if (length < 1 || qsizetype(length) > MaxFrameBytes)
                return Outcome::Malformed;
            const qsizetype frameBytes = 4 + qsizetype(length);
            if (m_end - m_begin >= frameBytes) {
                reader = FrameReader(Message(std::uint8_t(m_buffer[m_begin + 4])),
                                     QByteArrayView(m_buffer).sliced(m_begin + 5, length - 1));
                m_begin += frameBytes;
                return Outcome::Ok;
            }
            // Room for the whole frame: one read may then bring the rest.
            if (m_buffer.size() - m_begin < frameBytes) {
                std::memmove(m_buffer.data(), m_buffer.constData() + m_begin, size_t(m_end - m_begin));
                m_end -= m_begin;
                m_begin = 0;
                if (m_buffer.size() < frameBytes)
                    m_buffer.resize(frameBytes);
            }
        } else if (m_begin == m_end) {
            m_begin = m_end = 0; // the views handed out before are no longer used
        }
        if (m_buffer.size() - m_end < 4096) {
            std::memmove(m_buffer.data(), m_buffer.constData() + m_begin, size_t(m_end - m_begin));
            m_end -= m_begin;
            m_begin = 0;
            if (m_buffer.size() - m_end < 4096)
                m_buffer.resize(std::max<qsizetype>(64 * 1024, m_buffer.size() * 2));
        }
        // Without a deadline and past the spin, a blocking socket sleeps in recv itself.
        const bool isSpinning = spin.count() > 0 && std::chrono::steady_clock::now() < spinUntil;
        const ssize_t n = ::recv(m_fd, m_buffer.data() + m_end, size_t(m_buffer.size() - m_end),
                                 isSpinning || deadlineMs >= 0 ? MSG_DONTWAIT : 0);
        if (n > 0) {
            m_end += n;
            continue;
        }
        if (n == 0)
            return Outcome::Closed;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return Outcome::Closed;
        if (isSpinning) {
            std::this_thread::yield();
            continue;
        }
        if (!waitFor(POLLIN, deadlineMs))
            return Outcome::TimedOut;
    }
}

} // namespace fazt::hosting::functions
