// libFuzzer target for what fazt reads from the network on the TLS side: the ACME documents
// a CA sends (directory, order, authorization, problem, Retry-After) and the ClientHello
// extensions a client sends (server_name, ALPN). The first byte picks the parser. Beyond
// "no crash, no UB": an accepted server name is a valid lower-case DNS name, and the ALPN
// protocols fit inside the input.

#include "tls/acmemessages.h"
#include "tls/clienthello.h"

#include <cstddef>
#include <cstdint>

using namespace fazt::tls;

namespace {

void require(bool condition) {
    if (!condition)
        __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size == 0)
        return 0;
    const QByteArray input(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    switch (data[0] % 7) {
    case 0:
        if (auto problem = acme::parseProblem(input))
            (void)problem->describe();
        break;
    case 1:
        if (auto directory = acme::parseDirectory(input))
            require(!directory->newNonce.isEmpty() && !directory->newOrder.isEmpty());
        break;
    case 2:
        (void)acme::parseAuthorization(input);
        break;
    case 3:
        if (auto order = acme::parseOrder(input))
            require(!order->finalize.isEmpty());
        break;
    case 4:
        require(acme::parseRetryAfter(input, 1'700'000'000) >= -1);
        break;
    case 5: {
        const QByteArray name = parseServerName(input);
        require(name.isEmpty() || (isDnsName(name) && name == name.toLower()));
        break;
    }
    default: {
        qsizetype total = 0;
        for (const QByteArray &protocol : parseAlpn(input)) {
            require(!protocol.isEmpty());
            total += 1 + protocol.size();
        }
        require(total <= input.size());
        break;
    }
    }
    return 0;
}
