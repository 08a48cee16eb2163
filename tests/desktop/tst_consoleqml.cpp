// Qt Quick Test for the console's QML pages, with a real `fazt` behind them. The QML test
// files are in qml/; this file gives them the server, a folder to deploy and real drops.

#include "consoleserver.h"

#include <QApplication>
#include <QDragEnterEvent>
#include <QMimeData>
#include <QQmlContext>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest/quicktest.h>

Q_IMPORT_QML_PLUGIN(Fazt_ConsolePlugin)
Q_IMPORT_QML_PLUGIN(Fazt_UiPlugin)

// Drops files on an item the way the window system does: drag enter, move and drop events
// carrying text/uri-list, delivered to the item's window at the item's centre.
class DropSimulator : public QObject {
    Q_OBJECT

public:
    Q_INVOKABLE bool drop(QQuickItem *target, const QUrl &url) {
        if (!target || !target->window())
            return false;
        QQuickWindow *window = target->window();
        const QPointF at = target->mapToScene(QPointF(target->width() / 2, target->height() / 2));
        QMimeData data;
        data.setUrls({url});
        QDragEnterEvent enter(at.toPoint(), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(window, &enter);
        QDragMoveEvent move(at.toPoint(), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(window, &move);
        QDropEvent drop(at, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(window, &drop);
        return drop.isAccepted();
    }
};

class Setup : public QObject {
    Q_OBJECT

public Q_SLOTS:
    void applicationAvailable() {
        QStandardPaths::setTestModeEnabled(true);
        if (!m_server.start())
            qFatal("the fazt server did not start");
        const QString folder = m_server.path(QStringLiteral("site"));
        fazt::test::writeFile(folder + QStringLiteral("/index.html"), "<h1>dropped</h1>");
        // Big enough for several progress steps, and incompressible: a folder of zeros
        // would be refused by the server as a likely zip bomb.
        QByteArray data(2 << 20, Qt::Uninitialized);
        QRandomGenerator(3).fillRange(reinterpret_cast<quint32 *>(data.data()),
                                      data.size() / int(sizeof(quint32)));
        fazt::test::writeFile(folder + QStringLiteral("/data.bin"), data);
        m_folder = QUrl::fromLocalFile(folder);
    }

    void qmlEngineAvailable(QQmlEngine *engine) {
        engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
        engine->rootContext()->setContextProperty(QStringLiteral("testServerUrl"), m_server.url());
        engine->rootContext()->setContextProperty(QStringLiteral("testToken"),
                                                  QString::fromLatin1(m_server.token()));
        engine->rootContext()->setContextProperty(QStringLiteral("testFolder"), m_folder);
        engine->rootContext()->setContextProperty(QStringLiteral("dropSimulator"), &m_drops);
    }

private:
    fazt::test::ConsoleServer m_server;
    QUrl m_folder;
    DropSimulator m_drops;
};

int main(int argc, char **argv) {
    QApplication app(argc, argv); // Qt Charts needs a QApplication
    QQuickStyle::setStyle(QStringLiteral("Fusion"));
    QTEST_SET_MAIN_SOURCE_PATH
    Setup setup;
    return quick_test_main_with_setup(argc, argv, "tst_consoleqml", QUICK_TEST_SOURCE_DIR, &setup);
}

#include "tst_consoleqml.moc"
