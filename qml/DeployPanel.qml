import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Fazt.Console

// The deploy under way: what it is doing, its progress, Cancel; then the live URL, or the
// server's words for what went wrong.
ToolBar {
    id: panel
    required property DeployController controller
    readonly property bool isFailed: controller.state === DeployController.Failed

    visible: controller.state !== DeployController.Idle

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 10
        anchors.rightMargin: 10
        spacing: 10

        Label {
            objectName: "deployMessage"
            text: panel.controller.message
            color: panel.isFailed ? Theme.danger : palette.windowText
            wrapMode: Text.Wrap
            maximumLineCount: 3
            elide: Text.ElideRight
            Layout.fillWidth: true
        }
        ProgressBar {
            objectName: "deployProgress"
            visible: panel.controller.isBusy || panel.controller.state === DeployController.Done
            value: panel.controller.progress
            indeterminate: panel.controller.state === DeployController.Publishing
            Layout.preferredWidth: 220
        }
        Label {
            visible: panel.controller.state === DeployController.Uploading || panel.controller.state === DeployController.Packing
            text: qsTr("%1 of %2").arg(Format.bytes(panel.controller.bytesDone)).arg(Format.bytes(panel.controller.bytesTotal))
            color: Theme.muted
        }
        Label {
            objectName: "liveUrl"
            visible: panel.controller.state === DeployController.Done
            text: "<a href=\"%1\">%1</a>".arg(panel.controller.liveUrl)
            textFormat: Text.StyledText
            linkColor: palette.link
            onLinkActivated: (link) => Qt.openUrlExternally(link)
        }
        Button {
            objectName: "cancelDeploy"
            visible: panel.controller.isBusy
            text: qsTr("Cancel")
            onClicked: panel.controller.cancel()
        }
        Button {
            objectName: "dismissDeploy"
            visible: !panel.controller.isBusy
            text: qsTr("Close")
            flat: true
            onClicked: panel.controller.dismiss()
        }
    }
}
