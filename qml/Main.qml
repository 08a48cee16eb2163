import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Fazt.Console

ApplicationWindow {
    id: window

    // From the command line (desktop/main.cpp).
    property string initialServer
    property string initialToken
    property string initialPage: "dashboard"
    property bool isDark: false
    property string screenshotPath

    // The server's data is on screen: desktop/main.cpp saves the window for --screenshot.
    signal readyForScreenshot()

    readonly property var pageNames: ["dashboard", "sites", "preview", "simulator"]

    width: 1180
    height: 760
    minimumWidth: 820
    minimumHeight: 540
    visible: true
    title: serverModel.currentName ? qsTr("%1 — Fazt Console").arg(serverModel.currentName) : qsTr("Fazt Console")
    palette: isDark ? Theme.darkPalette : Theme.lightPalette
    onIsDarkChanged: Theme.dark = isDark
    Component.onCompleted: {
        Theme.dark = isDark
        tabs.currentIndex = Math.max(0, pageNames.indexOf(initialPage))
        serverModel.load()
        if (initialServer.length > 0)
            serverModel.addSessionServer(initialServer, initialToken)
    }

    ServerListModel { id: serverModel }
    readonly property alias deployController: deployController
    DeployController {
        id: deployController
        client: serverModel.currentClient
    }

    Shortcut { sequences: ["Ctrl+1"]; onActivated: tabs.currentIndex = 0 }
    Shortcut { sequences: ["Ctrl+2"]; onActivated: tabs.currentIndex = 1 }
    Shortcut { sequences: ["Ctrl+3"]; onActivated: tabs.currentIndex = 2 }
    Shortcut { sequences: ["Ctrl+4"]; onActivated: tabs.currentIndex = 3 }
    Shortcut { sequences: [StandardKey.Refresh]; onActivated: { serverModel.refresh(); dashboardPage.dashboard.refresh(); sitesPage.sites.refresh() } }
    Shortcut { sequences: ["Ctrl+Shift+D"]; onActivated: window.isDark = !window.isDark }
    Shortcut { sequences: ["Ctrl+Shift+N"]; onActivated: addServerDialog.open() }
    Shortcut { sequences: [StandardKey.Cancel]; enabled: deployController.isBusy; onActivated: deployController.cancel() }

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8
            Label {
                text: qsTr("Fazt Console")
                font.bold: true
                font.pixelSize: 16
            }
            TabBar {
                id: tabs
                Layout.fillWidth: true
                TabButton { text: qsTr("Dashboard"); width: implicitWidth + 16 }
                TabButton { text: qsTr("Sites"); width: implicitWidth + 16 }
                TabButton { text: qsTr("Preview"); width: implicitWidth + 16 }
                TabButton { text: qsTr("Simulator"); width: implicitWidth + 16 }
            }
            Switch {
                text: qsTr("Dark")
                checked: window.isDark
                onToggled: window.isDark = checked
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Dark palette (Ctrl+Shift+D)")
            }
        }
    }

    footer: DeployPanel { controller: deployController }

    SplitView {
        anchors.fill: parent

        ServersPane {
            SplitView.preferredWidth: Math.max(200, window.width * 0.22)
            SplitView.minimumWidth: 180
            servers: serverModel
            onAddRequested: addServerDialog.open()
        }

        StackLayout {
            currentIndex: tabs.currentIndex
            SplitView.fillWidth: true
            SplitView.minimumWidth: 560

            DashboardPage {
                id: dashboardPage
                client: serverModel.currentClient
                isActive: tabs.currentIndex === 0 && window.visible
            }
            SitesPage {
                id: sitesPage
                objectName: "sitesPage"
                client: serverModel.currentClient
                deployer: deployController
            }
            PreviewPage {}
            SimulatorPage {}
        }
    }

    AddServerDialog {
        id: addServerDialog
        servers: serverModel
    }

    // A folder or archive dropped anywhere but on a site: deploy it to a site named after it.
    DropArea {
        objectName: "windowDrop"
        anchors.fill: parent
        z: -1
        keys: ["text/uri-list"]
        onDropped: (drop) => {
            if (!drop.hasUrls || tabs.currentIndex === 2)
                return
            newSiteDialog.source = drop.urls[0]
            newSiteDialog.siteName = deployController.suggestedSiteName(drop.urls[0])
            newSiteDialog.open()
            drop.accept()
        }
    }

    Dialog {
        id: newSiteDialog
        objectName: "newSiteDialog"
        property url source
        property alias siteName: siteNameField.text
        title: qsTr("Deploy to a site")
        modal: true
        anchors.centerIn: Overlay.overlay
        standardButtons: Dialog.Ok | Dialog.Cancel
        onAccepted: deployController.deploy(siteName, source)
        ColumnLayout {
            anchors.fill: parent
            Label { text: qsTr("Site name (created if it does not exist):") }
            TextField {
                id: siteNameField
                objectName: "siteNameField"
                Layout.fillWidth: true
                Layout.minimumWidth: 300
                focus: true
                onAccepted: newSiteDialog.accept()
            }
        }
    }

    // --screenshot: once the server's data is on screen, save the window and quit.
    Timer {
        id: screenshotTimer
        interval: 1500
        onTriggered: window.readyForScreenshot()
    }
    Timer {
        interval: 20000
        running: window.screenshotPath.length > 0
        onTriggered: screenshotTimer.start()
    }
    Connections {
        target: dashboardPage.dashboard
        enabled: window.screenshotPath.length > 0
        function onStatsChanged() {
            if (!screenshotTimer.running)
                screenshotTimer.start()
        }
    }
}
