// libFuzzer target for what the server reads from a function worker, which it must treat as
// hostile (a script that broke its engine controls every byte): the framing on the channel and
// the Answer frame's fields, then the checks an answer passes before it becomes a response.
// Beyond "no crash, no UB": a checked answer has a status in 200-599, token header names,
// field values without control characters and a body within the bound; and an answer written
// and read back is the same answer.

#include "hosting/functions/answer.h"
#include "hosting/functions/wire.h"

#include <cstddef>
#include <cstdint>
#include <sys/socket.h>
#include <unistd.h>

#include "http/requestparser.h"

using namespace fazt::hosting::functions;

namespace {

void require(bool condition) {
    if (!condition)
        __builtin_trap();
}

void checkAnswer(FrameReader &frame) {
    std::optional<Answer> answer = Answer::read(frame);
    if (!answer)
        return;
    Answer copy = *answer;
    FrameWriter writer(Message::Answer);
    copy.write(writer);
    const QByteArray bytes = writer.finish();
    FrameReader again(Message::Answer, QByteArrayView(bytes).sliced(5));
    const std::optional<Answer> reread = Answer::read(again);
    require(reread && reread->status == copy.status && reread->body == copy.body &&
            reread->headers == copy.headers && reread->contentType == copy.contentType);
    answer->check(1 << 16);
    if (!answer->problem.isEmpty())
        return;
    require(answer->status >= 200 && answer->status <= 599);
    require(answer->body.size() <= (1 << 16));
    require(fazt::http::isFieldValue(answer->contentType));
    for (const auto &[name, value] : answer->headers)
        require(fazt::http::isToken(name) && fazt::http::isFieldValue(value));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size > 64 * 1024)
        return 0;
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0)
        return 0;
    // The worker's end writes the input and goes away; the server's end reads what it can.
    size_t written = 0;
    while (written < size) {
        const ssize_t n = ::send(fds[1], data + written, size - written, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        written += size_t(n);
    }
    ::close(fds[1]);
    Channel channel(fds[0]);
    for (int frames = 0; frames < 1000; ++frames) {
        FrameReader frame;
        if (channel.receive(frame, steadyMs()) != Channel::Outcome::Ok)
            break;
        switch (frame.message()) {
        case Message::Answer:
            checkAnswer(frame);
            break;
        case Message::Call:
            (void)frame.u8();
            for (int i = 0; i < 4; ++i)
                (void)frame.bytes();
            break;
        default:
            (void)frame.u8();
            (void)frame.bytes();
            (void)frame.i64();
            break;
        }
    }
    ::close(fds[0]);
    return 0;
}
