import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Fazt.Console

// What a machine could carry: the same Capacity::compute as the server and `fazt simulate`.
ScrollView {
    id: page
    readonly property alias simulator: simulator
    readonly property var l: simulator.limits

    contentWidth: availableWidth
    clip: true

    SimulatorModel { id: simulator }

    // Sliders move on a log scale: 256 MiB to 64 GiB is as easy to reach as 1 to 2 GiB.
    component LogSlider: Slider {
        property real realValue
        property real realFrom
        property real realTo
        signal moved2(real v)
        from: Math.log2(realFrom)
        to: Math.log2(realTo)
        value: Math.log2(Math.max(realFrom, realValue))
        stepSize: 0.05
        Layout.fillWidth: true
        onMoved: moved2(Math.pow(2, value))
    }

    ColumnLayout {
        width: page.availableWidth
        spacing: 10

        Label {
            text: qsTr("Simulator")
            font.bold: true
            font.pixelSize: 18
            Layout.margins: 12
            Layout.bottomMargin: 0
        }
        Label {
            text: qsTr("What Fazt would allow itself on a machine of this size. Works offline; the server and 'fazt simulate' compute the same numbers.")
            wrapMode: Text.Wrap
            color: Theme.muted
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
        }

        GridLayout {
            columns: 3
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            columnSpacing: 12
            rowSpacing: 8

            Label { text: qsTr("Preset") }
            ComboBox {
                id: preset
                objectName: "preset"
                Layout.fillWidth: true
                Layout.columnSpan: 2
                model: simulator.presets.map(p => p.name).concat([qsTr("Custom")])
                currentIndex: simulator.presetIndex >= 0 ? simulator.presetIndex : simulator.presets.length
                onActivated: (i) => simulator.applyPreset(i)
            }

            Label { text: qsTr("Memory") }
            LogSlider {
                objectName: "memorySlider"
                realFrom: 128; realTo: 65536; realValue: simulator.memoryMiB
                onMoved2: (v) => simulator.memoryMiB = Math.round(v / 16) * 16
                Accessible.name: qsTr("Memory")
            }
            Label { objectName: "memoryValue"; text: Format.bytes(simulator.memoryMiB * 1048576); Layout.preferredWidth: 90 }

            Label { text: qsTr("CPUs") }
            Slider {
                objectName: "cpuSlider"
                from: 0.25; to: 32; stepSize: 0.25
                value: simulator.cpus
                Layout.fillWidth: true
                onMoved: simulator.cpus = value
                Accessible.name: qsTr("CPUs")
            }
            Label { text: simulator.cpus; Layout.preferredWidth: 90 }

            Label { text: qsTr("Disk") }
            LogSlider {
                objectName: "diskSlider"
                realFrom: 2; realTo: 4096; realValue: simulator.diskGiB
                onMoved2: (v) => simulator.diskGiB = Math.round(v)
                Accessible.name: qsTr("Disk")
            }
            Label { text: Format.bytes(simulator.diskGiB * 1073741824); Layout.preferredWidth: 90 }

            Label { text: qsTr("Database size") }
            LogSlider {
                objectName: "databaseSlider"
                realFrom: 1; realTo: 4194304; realValue: Math.max(1, simulator.databaseMiB)
                onMoved2: (v) => simulator.databaseMiB = Math.round(v)
                Accessible.name: qsTr("Database size")
            }
            Label { text: Format.bytes(simulator.databaseMiB * 1048576); Layout.preferredWidth: 90 }
        }

        GridLayout {
            columns: Math.max(2, Math.floor(page.availableWidth / 200))
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            StatTile { objectName: "cache"; title: qsTr("File cache"); value: Format.bytes(page.l.cacheBytes) }
            StatTile { objectName: "visitors"; title: qsTr("Concurrent visitors"); value: Format.count(page.l.concurrentVisitors); detail: qsTr("an estimate") }
            StatTile { objectName: "largestUpload"; title: qsTr("Largest upload"); value: Format.bytes(page.l.largestUploadBytes) }
            StatTile { title: qsTr("Upload RAM buffer"); value: Format.bytes(page.l.uploadRamBytes) }
            StatTile { objectName: "jsSlots"; title: qsTr("Function workers"); value: Format.count(page.l.maxConcurrentJs) + " × " + Format.bytes(page.l.jsWorkerMemoryBytes) }
            StatTile { title: qsTr("Connections"); value: Format.count(page.l.maxConnections) }
            StatTile { title: qsTr("Worker threads"); value: Format.count(page.l.workerThreads) }
            StatTile { title: qsTr("SQLite cache"); value: Format.bytes(page.l.sqliteCacheKiB * 1024) }
            StatTile { title: qsTr("Usable memory"); value: Format.bytes(page.l.usableMemoryBytes) }
            StatTile {
                objectName: "maintenance"
                title: qsTr("Maintenance mode from")
                value: Format.bytes(page.l.maintenanceDbBytes)
                detail: qsTr("database size (%1x RAM)").arg(page.l.maintenanceRatio)
            }
        }

        Label {
            objectName: "maintenanceWarning"
            text: simulator.wouldEnterMaintenance
                  ? qsTr("A %1 database is past what this machine handles: Fazt would start in maintenance mode (only the admin is served) until the machine grows or the database shrinks.").arg(Format.bytes(simulator.databaseMiB * 1048576))
                  : qsTr("A %1 database is fine on this machine.").arg(Format.bytes(simulator.databaseMiB * 1048576))
            color: simulator.wouldEnterMaintenance ? Theme.danger : Theme.ok
            wrapMode: Text.Wrap
            Layout.fillWidth: true
            Layout.margins: 12
        }
    }
}
