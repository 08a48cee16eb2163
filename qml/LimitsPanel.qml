import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Fazt.Console

// The server's limits next to the safe values for its machine. Setting one past the safe
// value shows the crash-risk warning and needs a deliberate confirmation.
Frame {
    id: panel
    property alias client: limits.client
    readonly property alias model: limits

    LimitsModel { id: limits }

    ColumnLayout {
        anchors.fill: parent
        spacing: 8

        RowLayout {
            Layout.fillWidth: true
            Label { text: qsTr("Limits"); font.bold: true; font.pixelSize: 16 }
            Item { Layout.fillWidth: true }
            Button {
                objectName: "recalibrate"
                text: qsTr("Recalibrate…")
                enabled: limits.isAvailable && !limits.isBusy
                onClicked: recalibrateDialog.open()
            }
        }

        Label {
            objectName: "limitsMessage"
            visible: limits.message.length > 0
            text: limits.message
            wrapMode: Text.Wrap
            Layout.fillWidth: true
            color: Theme.muted
        }

        ColumnLayout {
            visible: limits.isAvailable
            Layout.fillWidth: true
            spacing: 2

            component Row: RowLayout {
                property alias nameText: nameLabel.text
                property alias nowText: nowLabel.text
                property alias safeText: safeLabel.text
                property alias nowColor: nowLabel.color
                property alias nowBold: nowLabel.font.bold
                Layout.fillWidth: true
                Layout.preferredHeight: 30
                spacing: 12
                Label { id: nameLabel; Layout.preferredWidth: 230; elide: Text.ElideRight }
                Label { id: nowLabel; Layout.preferredWidth: 110 }
                Label { id: safeLabel; Layout.preferredWidth: 160; color: Theme.muted }
                // A delegate's own children (its Change button) follow here.
            }

            Row {
                nameText: qsTr("Limit"); nowText: qsTr("Now"); safeText: qsTr("Safe for this machine")
                nowColor: Theme.muted
            }
            Repeater {
                model: limits
                delegate: Row {
                    id: row
                    required property int index
                    required property string label
                    required property string unit
                    required property double value
                    required property double safe
                    required property bool isEditable
                    required property bool isPastSafe
                    function show(v) {
                        return unit === "bytes" ? Format.bytes(v)
                             : unit === "KiB" ? Format.bytes(v * 1024)
                             : unit === "ratio" ? v + "x" : Format.count(v)
                    }
                    nameText: label
                    nowText: show(value)
                    safeText: safe > 0 ? show(safe) : "—"
                    nowColor: isPastSafe ? Theme.danger : palette.windowText
                    nowBold: isPastSafe
                    Button {
                        objectName: "edit_" + row.index
                        text: qsTr("Change…")
                        visible: row.isEditable
                        flat: true
                        onClicked: overrideDialog.openFor(row.index, row.label, row.unit, row.value, row.safe)
                    }
                }
            }
        }
    }

    ConfirmDialog {
        id: recalibrateDialog
        title: qsTr("Recalibrate")
        acceptText: qsTr("Recalibrate")
        text: qsTr("Measure the machine again and recompute every limit from what it has now? Limits you set by hand are replaced.")
        onConfirmed: limits.recalibrate()
    }

    Dialog {
        id: overrideDialog
        objectName: "overrideDialog"
        property int row: -1
        property string unit
        property double safe
        readonly property double unitScale: unit === "bytes" ? 1048576 : 1
        readonly property double newValue: Number(valueField.text) * unitScale
        readonly property string warning: valueField.acceptableInput ? limits.warningFor(row, newValue) : ""

        function openFor(r, label, u, value, s) {
            row = r; unit = u; safe = s
            title = qsTr("Change: %1").arg(label)
            valueField.text = String(Math.round(value / (u === "bytes" ? 1048576 : 1) * 100) / 100)
            riskBox.checked = false
            open()
            valueField.forceActiveFocus()
        }

        modal: true
        anchors.centerIn: Overlay.overlay
        width: Math.min(480, panel.Window.width - 40)

        ColumnLayout {
            anchors.fill: parent
            spacing: 8
            Label {
                text: overrideDialog.unit === "bytes" ? qsTr("New value in MiB:") : qsTr("New value:")
            }
            TextField {
                id: valueField
                objectName: "valueField"
                Layout.fillWidth: true
                validator: DoubleValidator { bottom: 0 }
                onAccepted: applyButton.clicked()
            }
            Label {
                objectName: "overrideWarning"
                visible: overrideDialog.warning.length > 0
                text: overrideDialog.warning
                wrapMode: Text.Wrap
                Layout.fillWidth: true
                color: Theme.danger
                padding: 8
                background: Rectangle { color: Theme.dangerBackground; radius: 4 }
            }
            CheckBox {
                id: riskBox
                objectName: "acceptRisk"
                visible: overrideDialog.warning.length > 0
                text: qsTr("I understand the server may crash; set it anyway")
            }
            RowLayout {
                Layout.fillWidth: true
                Item { Layout.fillWidth: true }
                Button { text: qsTr("Cancel"); onClicked: overrideDialog.close() }
                Button {
                    id: applyButton
                    objectName: "apply"
                    text: overrideDialog.warning.length > 0 ? qsTr("Override") : qsTr("Apply")
                    enabled: valueField.acceptableInput && (overrideDialog.warning.length === 0 || riskBox.checked)
                    onClicked: {
                        limits.apply(overrideDialog.row, overrideDialog.newValue, riskBox.checked)
                        overrideDialog.close()
                    }
                }
            }
        }
    }
}
