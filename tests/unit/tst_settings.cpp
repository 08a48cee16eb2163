// The settings registry: one entry a setting, the README's table of settings row for row, and
// the defaults the code falls back on.

#include "admin/adminservice.h"
#include "config/settings.h"
#include "hosting/functions/functionruntime.h"
#include "stats/statsbuffer.h"
#include "tls/httpssettings.h"

#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace fazt;

namespace {

// The anchor GitHub gives a heading: "Run it on a VPS" -> "run-it-on-a-vps".
QString anchorOf(const QString &heading) {
    QString anchor;
    for (const QChar c : heading.toLower())
        if (c.isLetterOrNumber() || c == u'-' || c == u'_')
            anchor += c;
        else if (c == u' ')
            anchor += u'-';
    return anchor;
}

// The README's row for `s`, as the registry says it should read.
QString rowOf(const Setting &s) {
    static const char *const owners[] = {"`fazt config set`", "`fazt server` options",
                                         "`fazt limits set`", "fazt", "environment"};
    const QString defaultText = s.defaultValue == nullptr ? QStringLiteral("-")
                                : *s.defaultValue == 0    ? QStringLiteral("\"\"")
                                                          : QLatin1String(s.defaultValue);
    return QStringLiteral("| `%1` | %2 | %3 | %4 | %5 | [%6](#%7) | %8 |")
        .arg(s.name(), defaultText, s.validValues(),
             s.applies == Setting::Applies::Live ? QStringLiteral("live")
                                                 : QStringLiteral("at start"),
             QLatin1String(owners[int(s.owner)]), QLatin1String(s.readmeSection),
             anchorOf(QLatin1String(s.readmeSection)), QLatin1String(s.summary));
}

QString readme() {
    QFile file(QStringLiteral(FAZT_SOURCE_DIR "/README.md"));
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

// The text of the README section headed `## heading`, up to the next one.
QString sectionOf(const QString &text, const QString &heading) {
    const qsizetype start = text.indexOf(QStringLiteral("\n## ") + heading + u'\n');
    if (start < 0)
        return {};
    const qsizetype end = text.indexOf(QStringLiteral("\n## "), start + 1);
    return text.mid(start, end < 0 ? -1 : end - start);
}

} // namespace

class TestSettings : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everySettingIsOnceInTheRegistry() {
        QSet<QString> names;
        for (const Setting &s : Setting::all()) {
            QVERIFY2(!names.contains(s.name()), qPrintable(s.name()));
            names.insert(s.name());
            QVERIFY2(s.readmeSection && s.summary, qPrintable(s.name()));
            QVERIFY2(bool(s.key) != (s.owner == Setting::Owner::Environment), qPrintable(s.name()));
            if (s.environment)
                QVERIFY2(QLatin1String(s.environment).startsWith(QLatin1String("FAZT_")),
                         qPrintable(s.name()));
            if (s.type == Setting::Type::Number && s.isSettableThroughApi()) {
                QVERIFY2(s.minimum <= s.maximum && s.riskyAbove <= s.maximum, s.key);
                if (s.defaultValue) {
                    const qint64 value = QByteArray(s.defaultValue).toLongLong();
                    QVERIFY2(value >= s.minimum && value <= s.maximum, s.key);
                }
            }
            QCOMPARE(Setting::find(QLatin1String(s.key)), s.key ? &s : nullptr);
        }
        QCOMPARE(Setting::find(u"no.such.key"), nullptr);
        QVERIFY(Setting::settableKeys().contains(QStringLiteral("stats.retention_days")));
        QVERIFY(!Setting::settableKeys().contains(QStringLiteral("cache.bytes")));
        QVERIFY(!Setting::settableKeys().contains(QStringLiteral("domain")));
    }

    // The README's table lists exactly the registry's settings, each as the registry says, and
    // the section each names explains it.
    void theReadmeDocumentsEverySetting() {
        const QString text = readme();
        QVERIFY(!text.isEmpty());
        const QString table = sectionOf(text, QStringLiteral("Settings"));
        QVERIFY2(!table.isEmpty(), "README.md has no '## Settings' section");
        static const QRegularExpression row(QStringLiteral("^\\| `([^`]+)` \\|.*$"),
                                            QRegularExpression::MultilineOption);
        QStringList documented;
        for (auto it = row.globalMatch(table); it.hasNext();)
            documented.append(it.next().captured(0));
        QStringList expected;
        for (const Setting &s : Setting::all())
            expected.append(rowOf(s));
        for (const QString &line : expected)
            QVERIFY2(documented.contains(line),
                     qPrintable(QStringLiteral("README.md's table lacks, or has another text "
                                               "for:\n") +
                                line));
        for (const QString &line : documented)
            QVERIFY2(expected.contains(line),
                     qPrintable(QStringLiteral("README.md documents what the registry does not "
                                               "have:\n") +
                                line));
        for (const Setting &s : Setting::all()) {
            const QString section = sectionOf(text, QLatin1String(s.readmeSection));
            QVERIFY2(section.contains(s.name()),
                     qPrintable(QStringLiteral("README section '%1' does not mention %2")
                                    .arg(QLatin1String(s.readmeSection), s.name())));
        }
    }

    // The defaults the components start with are the registry's.
    void theComponentsDefaultsAreTheRegistrys() {
        const auto defaultOf = [](const char *key) {
            return QByteArray(Setting::find(QLatin1String(key))->defaultValue).toLongLong();
        };
        const stats::StatsBuffer::Options stats;
        QCOMPARE(defaultOf(settings::StatsFlushIntervalMs), stats.flushIntervalMs);
        QCOMPARE(defaultOf(settings::StatsFlushThreshold), stats.flushThreshold);
        QCOMPARE(defaultOf(settings::StatsBufferBytes), stats.budgetBytes);
        const hosting::FunctionRuntime::Options functions;
        QCOMPARE(defaultOf(settings::FunctionsTimeoutMs), functions.defaultTimeoutMs);
        QCOMPARE(defaultOf(settings::FunctionsQueueWaitMs), functions.maxQueueWaitMs);
        QCOMPARE(defaultOf(settings::FunctionsCrashLimit), functions.crashLimit);
        QCOMPARE(defaultOf(settings::UploadMaxBytes),
                 admin::AdminService::Options().maxUploadBytes);
        const tls::HttpsSettings https;
        QCOMPARE(QLatin1String(Setting::find(QLatin1String(settings::AcmeDirectory))->defaultValue),
                 https.acmeDirectory);
        QCOMPARE(defaultOf(settings::TlsHstsMaxAge), https.hstsMaxAge);
        QCOMPARE(defaultOf(settings::TlsOnDemandPerHour), https.onDemandPerHour);
    }
};

QTEST_GUILESS_MAIN(TestSettings)
#include "tst_settings.moc"
