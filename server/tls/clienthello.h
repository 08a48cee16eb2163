#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

namespace fazt::tls {

// The two ClientHello extensions the certificate choice depends on, parsed from the bytes
// OpenSSL hands the client-hello callback (extension bodies, without type and length).
// Both parsers take hostile input: every length is checked against what is there, and
// anything malformed yields nothing rather than a guess.

// RFC 6066 server_name: the host_name entry, lower-cased, if it is a plausible DNS name
// (letters, digits, '-', '.', 1 to 253 bytes, no empty label); empty otherwise.
QByteArray parseServerName(QByteArrayView extension);

// RFC 7301 application_layer_protocol_negotiation: the offered protocol names in order;
// empty if the list is malformed.
QList<QByteArray> parseAlpn(QByteArrayView extension);

// True if `name` is a plausible lower-case DNS name (the same rule parseServerName applies).
bool isDnsName(QByteArrayView name);

} // namespace fazt::tls
