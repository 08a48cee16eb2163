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
    width: Math.min(440, parent ? parent.width - 40 : 440)
    standardButtons: Dialog.Ok | Dialog.Cancel
    Component.onCompleted: standardButton(Dialog.Ok).text = dialog.acceptText
    onAcceptTextChanged: if (standardButton(Dialog.Ok)) standardButton(Dialog.Ok).text = acceptText
    onAccepted: confirmed()

    contentItem: Label {
        id: label
        wrapMode: Text.Wrap
    }
}
