import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Fazt.Console

// The API tokens of the selected server (never their secrets), each with a Revoke. Loaded when
// its client is set: the servers pane gives it one only while it is open.
Dialog {
    id: dialog
    property alias client: tokens.client
    readonly property alias tokens: tokens
    readonly property alias revokeDialog: revokeDialog

    title: qsTr("API tokens")
    modal: true
    anchors.centerIn: Overlay.overlay
    width: Math.min(620, parent ? parent.width - 40 : 620)
    height: Math.min(480, parent ? parent.height - 40 : 480)
    standardButtons: Dialog.Close

    TokensModel { id: tokens }

    ColumnLayout {
        anchors.fill: parent
        spacing: 8

        Label {
            objectName: "tokensError"
            visible: tokens.error.length > 0
            text: tokens.error
            color: Theme.danger
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
        RowLayout {
            Label {
                text: tokens.tokens.length === 1 ? qsTr("1 token") : qsTr("%1 tokens").arg(tokens.tokens.length)
                color: Theme.muted
                Layout.fillWidth: true
            }
            Spinner { running: tokens.isLoading }
        }
        ListView {
            id: list
            objectName: "tokenList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 4
            model: tokens.tokens
            delegate: RowLayout {
                id: row
                required property var modelData
                width: ListView.view.width
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 1
                    Label {
                        text: row.modelData.isThisConsole ? qsTr("%1 (this console)").arg(row.modelData.name) : row.modelData.name
                        font.bold: true
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                    Label {
                        text: qsTr("%1%2 · created %3 · %4")
                            .arg(row.modelData.scopes)
                            .arg(row.modelData.sites.length > 0 ? qsTr(" on %1").arg(row.modelData.sites.join(", ")) : "")
                            .arg(new Date(row.modelData.createdAt).toLocaleDateString(Qt.locale(), Locale.ShortFormat))
                            .arg(row.modelData.lastUsedAt ? qsTr("last used %1").arg(new Date(row.modelData.lastUsedAt).toLocaleString(Qt.locale(), Locale.ShortFormat)) : qsTr("never used"))
                        color: Theme.muted
                        font.pixelSize: 11
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                }
                Button {
                    objectName: "revoke_" + row.modelData.id
                    text: qsTr("Revoke…")
                    enabled: !tokens.isLoading
                    onClicked: revokeDialog.openFor(row.modelData)
                }
            }
        }
    }

    ConfirmDialog {
        id: revokeDialog
        objectName: "revokeDialog"
        property var token: ({})
        function openFor(t) {
            token = t
            text = (t.isThisConsole ? qsTr("This is the token the console uses for this server: after revoking it, add the server again. ") : "")
                + qsTr("Revoke %1? Whatever uses it is refused from then on.").arg(t.name)
            open()
        }
        title: qsTr("Revoke token")
        acceptText: qsTr("Revoke")
        onConfirmed: tokens.revoke(token.id)
    }
}
