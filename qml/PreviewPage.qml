import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.Dialogs
import Fazt.Console

// A folder served locally by the same code as the server; open pages reload as files change.
Pane {
    id: page
    readonly property alias preview: preview

    PreviewController { id: preview }

    DropArea {
        id: drop
        anchors.fill: parent
        keys: ["text/uri-list"]
        onDropped: (event) => {
            if (event.hasUrls) {
                preview.start(event.urls[0])
                event.accept()
            }
        }
    }
    Rectangle {
        anchors.fill: parent
        visible: drop.containsDrag
        color: Theme.dropHighlight
        opacity: 0.5
        radius: 6
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 12

        Label { text: qsTr("Local preview"); font.bold: true; font.pixelSize: 18 }
        Label {
            text: qsTr("Drop a folder here, or choose one. It is served on this computer exactly as a Fazt server would serve it (clean URLs, 404.html, functions in api/), and the pages open in your browser reload by themselves each time you save a file.")
            wrapMode: Text.Wrap
            Layout.fillWidth: true
            color: Theme.muted
        }
        RowLayout {
            Button {
                text: qsTr("Choose folder…")
                onClicked: folderDialog.open()
            }
            Button {
                text: qsTr("Stop")
                enabled: preview.isRunning
                onClicked: preview.stop()
            }
            CheckBox {
                objectName: "previewSpa"
                text: qsTr("Single-page app")
                ToolTip.text: qsTr("Unknown paths serve index.html; applies when a folder is chosen.")
                ToolTip.visible: hovered
                checked: preview.isSpa
                onToggled: preview.isSpa = checked
            }
            Spinner { running: preview.isLoading; implicitWidth: 28; implicitHeight: 28 }
        }
        Label {
            objectName: "previewUrl"
            visible: preview.isRunning
            text: "<a href=\"%1\">%1</a>".arg(preview.url)
            textFormat: Text.StyledText
            linkColor: palette.link
            font.pixelSize: 18
            onLinkActivated: (link) => Qt.openUrlExternally(link)
        }
        Label {
            objectName: "previewMessage"
            text: preview.message
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
        Label {
            visible: preview.isRunning
            text: qsTr("%1 files · reloaded %2 times").arg(preview.fileCount).arg(preview.reloadCount)
            color: Theme.muted
        }
        Item { Layout.fillHeight: true }
    }

    FolderDialog {
        id: folderDialog
        title: qsTr("Preview a folder")
        onAccepted: preview.start(selectedFolder)
    }
}
