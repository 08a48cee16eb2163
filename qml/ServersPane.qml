import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Fazt.Console

// The servers, each with its live status; the selected one is what the pages show.
Pane {
    id: pane
    required property ServerListModel servers
    readonly property alias tokensDialog: tokensDialog
    signal addRequested()

    padding: 8

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

        Label {
            text: qsTr("Servers")
            font.bold: true
            font.pixelSize: 15
        }

        Label {
            objectName: "keychainMessage"
            visible: pane.servers.keychainMessage.length > 0
            text: pane.servers.keychainMessage
            wrapMode: Text.Wrap
            color: Theme.warning
            Layout.fillWidth: true
            font.pixelSize: 12
            padding: 6
            background: Rectangle { color: Theme.warningBackground; radius: 4 }
        }

        ListView {
            id: list
            objectName: "serverList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: pane.servers
            currentIndex: pane.servers.currentIndex
            keyNavigationEnabled: true
            focus: true
            spacing: 2
            onCurrentIndexChanged: pane.servers.currentIndex = currentIndex
            Keys.onDeletePressed: if (currentIndex >= 0) removeDialog.openFor(currentIndex, pane.servers.currentName)

            delegate: ItemDelegate {
                id: row
                required property int index
                required property string name
                required property string url
                required property string statusText
                required property int serverState
                width: ListView.view.width
                highlighted: ListView.isCurrentItem
                onClicked: { list.currentIndex = index; list.forceActiveFocus() }

                contentItem: RowLayout {
                    spacing: 8
                    Rectangle {
                        Layout.alignment: Qt.AlignTop
                        Layout.topMargin: 5
                        width: 10; height: 10; radius: 5
                        color: row.serverState === ServerListModel.Ready ? Theme.ok
                             : row.serverState === ServerListModel.Checking ? Theme.muted
                             : row.serverState === ServerListModel.NotReady ? Theme.warning
                             : Theme.danger
                    }
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 1
                        Label {
                            text: row.name
                            font.bold: true
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                            color: row.highlighted ? palette.highlightedText : palette.windowText
                        }
                        Label {
                            objectName: "statusText"
                            text: row.statusText
                            font.pixelSize: 11
                            wrapMode: Text.Wrap
                            maximumLineCount: 3
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                            color: row.highlighted ? palette.highlightedText : Theme.muted
                        }
                    }
                }
            }

            Label {
                anchors.centerIn: parent
                width: parent.width - 16
                visible: list.count === 0
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignHCenter
                color: Theme.muted
                text: qsTr("No server yet. Add one with its address and an API token or your password.")
            }
        }

        Button {
            text: qsTr("Add server…")
            Layout.fillWidth: true
            onClicked: pane.addRequested()
        }
        RowLayout {
            Layout.fillWidth: true
            Button {
                objectName: "showTokens"
                text: qsTr("Tokens…")
                Layout.fillWidth: true
                enabled: !!pane.servers.currentClient
                onClicked: tokensDialog.open()
                ToolTip.visible: hovered
                ToolTip.text: qsTr("The server's API tokens: list and revoke")
            }
            Button {
                text: qsTr("Remove")
                Layout.fillWidth: true
                enabled: pane.servers.currentIndex >= 0
                onClicked: removeDialog.openFor(pane.servers.currentIndex, pane.servers.currentName)
            }
        }
    }

    TokensDialog {
        id: tokensDialog
        objectName: "tokensDialog"
        client: visible ? pane.servers.currentClient : null
    }

    ConfirmDialog {
        id: removeDialog
        property int row: -1
        function openFor(r, name) {
            row = r
            text = qsTr("Remove %1 from the console? Its token is deleted from the keychain; the server itself is not touched.").arg(name)
            open()
        }
        title: qsTr("Remove server")
        acceptText: qsTr("Remove")
        onConfirmed: pane.servers.removeServer(row)
    }
}
