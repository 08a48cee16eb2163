#pragma once

#include "result.h"

#include <QByteArray>
#include <QByteArrayView>

namespace fazt::auth {

// Passwords are stored as argon2id encoded strings ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash",
// the OWASP minimum: t=2, 19 MiB, one lane, 16-byte random salt). The string carries its own
// parameters, so verifying keeps working after they are raised.

inline constexpr qsizetype MinPasswordLength = 8;
inline constexpr qsizetype MaxPasswordLength = 1024;

// A password must have 8 to 1024 bytes; the error says so.
Status validatePassword(QByteArrayView password);

// The argon2id encoded string for `password` with a fresh salt; empty only if libargon2 failed
// (out of memory), which is logged.
QByteArray hashPassword(QByteArrayView password);

// True if `password` matches `encoded` (constant-time comparison inside libargon2). False for
// a wrong password and for anything that is not a well-formed argon2id string.
bool verifyPassword(QByteArrayView encoded, QByteArrayView password);

} // namespace fazt::auth
