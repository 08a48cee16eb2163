// fazt-console: the desktop app that manages Fazt servers, deploys by drag-and-drop, previews
// a folder locally and simulates what a machine can carry.

#include "app/functionworker.h"
#include "config/settings.h"
#include "secretstore.h"
#include "serverlistmodel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTimer>
#include <QUrl>
#include <QtQml/qqmlextensionplugin.h>

Q_IMPORT_QML_PLUGIN(Fazt_ConsolePlugin)
Q_IMPORT_QML_PLUGIN(Fazt_UiPlugin)

int main(int argc, char *argv[]) {
    // The preview's functions run in workers started as this executable.
    if (const std::optional<int> worker = fazt::app::runAsFunctionWorker(argc, argv))
        return *worker;
    // Qt Charts draws with QGraphicsView: it needs a QApplication, not a QGuiApplication.
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Fazt"));
    QApplication::setApplicationName(QStringLiteral("Fazt Console"));
    QApplication::setApplicationVersion(QStringLiteral(FAZT_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Manages Fazt servers: status, dashboards, sites, deploys by "
                       "drag-and-drop, local preview and the resource simulator."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption server(
        QStringLiteral("server"),
        QStringLiteral("Open this server for this session (default: $FAZT_SERVER)."),
        QStringLiteral("URL"), qEnvironmentVariable(fazt::settings::ServerVariable));
    const QCommandLineOption token(
        QStringLiteral("token"),
        QStringLiteral("The API token for --server (default: $FAZT_TOKEN; prefer the variable: "
                       "other users can see command lines)."),
        QStringLiteral("TOKEN"), qEnvironmentVariable(fazt::settings::TokenVariable));
    const QCommandLineOption page(
        QStringLiteral("page"),
        QStringLiteral("The page to open: dashboard, sites, preview or simulator."),
        QStringLiteral("PAGE"), QStringLiteral("dashboard"));
    const QCommandLineOption dark(QStringLiteral("dark"),
                                  QStringLiteral("Start with the dark palette."));
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Save the window to this PNG once the server's data is shown, then quit."),
        QStringLiteral("FILE"));
    const QCommandLineOption insecure(
        QStringLiteral("insecure"),
        QStringLiteral("Send tokens and passwords over plain http:// to other machines too "
                       "(only on a network you trust)."));
    parser.addOptions({server, token, page, dark, screenshot, insecure});
    parser.process(app);
    fazt::console::ServerListModel::setCleartextAllowed(parser.isSet(insecure));

    QQuickStyle::setStyle(QStringLiteral("Fusion"));
    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
    engine.setInitialProperties({
        {QStringLiteral("initialServer"), parser.value(server)},
        {QStringLiteral("initialToken"), parser.value(token)},
        {QStringLiteral("initialPage"), parser.value(page)},
        {QStringLiteral("isDark"), parser.isSet(dark)},
        {QStringLiteral("screenshotPath"), parser.value(screenshot)},
    });
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Fazt/Ui/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    QTimer grab; // started by the QML signal, whose arguments a functor cannot name
    grab.setSingleShot(true);
    if (parser.isSet(screenshot) && window) {
        QObject::connect(window, SIGNAL(readyForScreenshot()), &grab, SLOT(start()));
        QObject::connect(
            &grab, &QTimer::timeout, window, [window, path = parser.value(screenshot)] {
                const bool saved = window->grabWindow().save(path);
                if (!saved)
                    qWarning("fazt-console: cannot save the screenshot to %s", qPrintable(path));
                QCoreApplication::exit(saved ? 0 : 1);
            });
    }
    return QApplication::exec();
}
