import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Fazt.Console

// Adds a server by URL with an API token, or with the owner's username and password (which
// obtain a token; the password is not kept).
Dialog {
    id: dialog
    required property ServerListModel servers

    title: qsTr("Add a server")
    modal: true
    anchors.centerIn: Overlay.overlay
    width: Math.min(480, parent ? parent.width - 40 : 480)
    closePolicy: Popup.CloseOnEscape
    onOpened: { error.text = ""; urlField.forceActiveFocus() }

    Connections {
        target: dialog.servers
        function onServerAdded() { dialog.close(); passwordField.text = ""; tokenField.text = "" }
        function onAddFailed(message) { error.text = message }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 8

        Label { text: qsTr("Address") }
        TextField {
            id: urlField
            objectName: "urlField"
            Layout.fillWidth: true
            placeholderText: "https://example.com"
            inputMethodHints: Qt.ImhUrlCharactersOnly
        }
        Label { text: qsTr("Name (optional)") }
        TextField {
            id: nameField
            Layout.fillWidth: true
            placeholderText: qsTr("My blog server")
        }

        TabBar {
            id: mode
            Layout.fillWidth: true
            TabButton { text: qsTr("API token") }
            TabButton { text: qsTr("Password") }
        }
        StackLayout {
            currentIndex: mode.currentIndex
            Layout.fillWidth: true
            ColumnLayout {
                TextField {
                    id: tokenField
                    objectName: "tokenField"
                    Layout.fillWidth: true
                    echoMode: TextInput.Password
                    placeholderText: qsTr("from: fazt server create-token")
                    onAccepted: addButton.clicked()
                }
            }
            ColumnLayout {
                TextField {
                    id: userField
                    Layout.fillWidth: true
                    text: "admin"
                    placeholderText: qsTr("Username")
                }
                TextField {
                    id: passwordField
                    Layout.fillWidth: true
                    echoMode: TextInput.Password
                    placeholderText: qsTr("Password")
                    onAccepted: addButton.clicked()
                }
            }
        }

        Label {
            id: error
            objectName: "error"
            Layout.fillWidth: true
            visible: text.length > 0
            wrapMode: Text.Wrap
            color: Theme.danger
        }

        RowLayout {
            Layout.fillWidth: true
            Spinner {
                running: dialog.servers.isAdding
                implicitWidth: 28; implicitHeight: 28
            }
            Item { Layout.fillWidth: true }
            Button {
                text: qsTr("Cancel")
                onClicked: dialog.close()
            }
            Button {
                id: addButton
                text: qsTr("Add")
                highlighted: true
                enabled: !dialog.servers.isAdding && urlField.text.length > 0
                onClicked: {
                    error.text = ""
                    if (mode.currentIndex === 0)
                        dialog.servers.addServer(nameField.text, urlField.text, tokenField.text)
                    else
                        dialog.servers.addServerWithLogin(nameField.text, urlField.text, userField.text, passwordField.text)
                }
            }
        }
    }
}
