import QtQuick
import QtQuick.Controls

// A yes/no question before something that cannot be undone.
Dialog {
    id: dialog
    property alias text: label.text
    property string acceptText: qsTr("OK")
    signal confirmed()

    modal: true
    anchors.centerIn: Overlay.overlay
    width: 440
    standardButtons: Dialog.Ok | Dialog.Cancel
    onOpened: standardButton(Dialog.Ok).text = dialog.acceptText
    onAccepted: confirmed()

    Label {
        id: label
        width: 440 - dialog.leftPadding - dialog.rightPadding
        wrapMode: Text.Wrap
    }
}
