#pragma once

#include <QtGlobal>

#include <clocale>
#include <locale.h> // NOLINT(modernize-deprecated-headers): newlocale, uselocale (POSIX)

namespace fazt::archive {

// libarchive converts entry names between UTF-8 and "the current locale". Under the C locale
// (a test, a daemon started without LANG) a name that is not ASCII comes back as NULL, or
// crashes the pax writer. While a Utf8LocaleScope lives, the calling thread alone (uselocale)
// has a UTF-8 LC_CTYPE, so names are UTF-8 whatever the process's locale is.
class Utf8LocaleScope {
public:
    Utf8LocaleScope() {
        // Created once and kept for the life of the process: uselocale() needs it to outlive
        // every scope on every thread.
        static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
        if (utf8)
            m_previous = uselocale(utf8);
    }
    ~Utf8LocaleScope() {
        if (m_previous)
            uselocale(m_previous);
    }
    Q_DISABLE_COPY_MOVE(Utf8LocaleScope)

private:
    locale_t m_previous = nullptr;
};

} // namespace fazt::archive
