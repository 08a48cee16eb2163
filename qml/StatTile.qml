import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One number with its name, e.g. "Visits 1,234".
Frame {
    id: tile
    property string title
    property string value
    property string detail
    // Every tile of a grid the same size, whatever its text.
    Layout.fillWidth: true
    Layout.fillHeight: true
    Layout.preferredWidth: 160
    Layout.minimumWidth: 130

    ColumnLayout {
        anchors.fill: parent
        spacing: 2
        Label { text: tile.title; color: Theme.muted; font.pixelSize: 12 }
        Label { objectName: "value"; text: tile.value; font.pixelSize: 22; font.bold: true }
        Label {
            text: tile.detail
            visible: text.length > 0
            color: Theme.muted
            font.pixelSize: 11
            elide: Text.ElideRight
            Layout.fillWidth: true
        }
    }
}
