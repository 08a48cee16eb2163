import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtCharts
import Fazt.Console

// One server's traffic and health: charts from /api/stats, live numbers from
// /api/system/metrics, and its limits.
ScrollView {
    id: page
    property alias client: dashboard.client
    property alias isActive: dashboard.isActive
    readonly property alias dashboard: dashboard
    readonly property alias visitsChart: visitsChart
    readonly property alias visitsSeries: visitsSeries
    readonly property alias visitsAxisX: visitsAxisX
    readonly property var m: dashboard.metrics
    property string bandwidthUnit: "bytes"

    contentWidth: availableWidth
    clip: true

    DashboardModel {
        id: dashboard
        onStatsChanged: page.fillCharts()
    }

    // Bucket i of the series is at x = i; the model says which buckets carry a label.
    function fillAxis(axis) {
        for (const label of axis.categoriesLabels)
            axis.remove(label)
        axis.min = 0
        axis.max = Math.max(1, dashboard.bucketCount - 1)
        for (const label of dashboard.axisLabels)
            axis.append(label.text, label.at)
    }

    function fillCharts() {
        fillAxis(visitsAxisX)
        fillAxis(bytesAxisX)
        const visits = dashboard.fillSeries(visitsSeries, "visits")
        const visitors = dashboard.fillSeries(visitorsSeries, "visitors")
        visitsAxisY.max = Math.max(4, Math.ceil(Math.max(visits, visitors) * 1.1))
        visitsAxisY.applyNiceNumbers()
        // Bandwidth in the unit its largest bucket reads best in (binary, as Format.bytes).
        const largest = dashboard.fillSeries(bytesSeries, "bytes")
        const units = [[1073741824, "GiB"], [1048576, "MiB"], [1024, "KiB"], [1, "bytes"]]
        const unit = units.find(u => largest >= u[0]) || units[3]
        page.bandwidthUnit = unit[1]
        const top = dashboard.fillSeries(bytesSeries, "bytes", unit[0])
        bytesAxisY.max = Math.max(4, top * 1.1)
        bytesAxisY.applyNiceNumbers()
    }

    // A chart's theme sets every colour of the chart, the series' included, when it changes:
    // the theme goes first, then our colours on top, each time the palette switches (bindings
    // would race the theme and lose after a switch back).
    readonly property var seriesColors: Theme.dark ? ["#8ab4f8", "#ffb74d", "#5fd38d"] : ["#1f5fbf", "#c25e00", "#1e7b34"]
    function applyColors() {
        for (const chart of [visitsChart, bytesChart]) {
            chart.theme = Theme.dark ? ChartView.ChartThemeDark : ChartView.ChartThemeLight
            chart.backgroundColor = palette.base
            chart.titleColor = palette.windowText
            chart.legend.labelColor = palette.windowText
        }
        for (const axis of [visitsAxisX, visitsAxisY, bytesAxisX, bytesAxisY]) {
            axis.labelsColor = palette.windowText
            axis.gridLineColor = palette.mid
            axis.color = palette.mid
        }
        visitsSeries.color = seriesColors[0]
        visitorsSeries.color = seriesColors[1]
        bytesSeries.color = seriesColors[2]
        visitsSeries.width = visitorsSeries.width = bytesSeries.width = 2
    }
    Connections {
        target: Theme
        // Later: the window's palette follows the same switch and must be in place first.
        function onDarkChanged() { Qt.callLater(page.applyColors) }
    }
    Component.onCompleted: applyColors()

    function ratio(a, b) { return b > 0 ? Math.min(1, a / b) : 0 }

    ColumnLayout {
        width: page.availableWidth
        spacing: 12

        Label {
            visible: !page.client
            text: qsTr("Add or select a server on the left to see its dashboard.")
            color: Theme.muted
            Layout.margins: 16
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            Layout.topMargin: 12
            Label { text: qsTr("Traffic"); font.bold: true; font.pixelSize: 16 }
            Item { Layout.fillWidth: true }
            ComboBox {
                id: range
                objectName: "range"
                model: [qsTr("Last 24 hours"), qsTr("Last 7 days"), qsTr("Last 30 days")]
                onActivated: (i) => dashboard.days = [1, 7, 30][i]
            }
            Button { text: qsTr("Refresh"); onClicked: dashboard.refresh() }
        }

        // Why nothing can be shown (the server is down, the token refused): said once here,
        // not by every part that asked.
        Label {
            objectName: "problem"
            visible: dashboard.problem.length > 0
            text: dashboard.problem
            color: Theme.danger
            wrapMode: Text.Wrap
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            padding: 6
            background: Rectangle { color: Theme.dangerBackground; radius: 4 }
        }

        Label {
            objectName: "statsMessage"
            visible: dashboard.statsMessage.length > 0
            text: dashboard.statsMessage
            color: Theme.muted
            wrapMode: Text.Wrap
            Layout.fillWidth: true
            Layout.leftMargin: 12
        }

        GridLayout {
            visible: dashboard.hasStats
            columns: Math.max(2, Math.floor(page.availableWidth / 180))
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            StatTile { objectName: "visits"; title: qsTr("Visits"); value: Format.count(dashboard.totals.visits || 0) }
            StatTile { title: qsTr("Visitors"); value: Format.count(dashboard.totals.visitors || 0) }
            StatTile { title: qsTr("Bandwidth"); value: Format.bytes(dashboard.totals.bytes || 0) }
            StatTile { title: qsTr("Events"); value: Format.count(dashboard.totals.events || 0) }
        }

        GridLayout {
            visible: dashboard.hasStats
            columns: page.availableWidth > 900 ? 2 : 1
            Layout.fillWidth: true
            Layout.leftMargin: 4
            Layout.rightMargin: 4

            ChartView {
                id: visitsChart
                objectName: "visitsChart"
                title: qsTr("Visits and visitors")
                Layout.fillWidth: true
                Layout.preferredHeight: 260
                antialiasing: true
                legend.alignment: Qt.AlignBottom
                CategoryAxis { id: visitsAxisX; labelsPosition: CategoryAxis.AxisLabelsPositionOnValue }
                ValueAxis { id: visitsAxisY; min: 0; labelFormat: "%d"; tickCount: 5 }
                LineSeries { id: visitsSeries; objectName: "visitsSeries"; name: qsTr("Visits"); axisX: visitsAxisX; axisY: visitsAxisY }
                LineSeries { id: visitorsSeries; name: qsTr("Visitors"); axisX: visitsAxisX; axisY: visitsAxisY }
            }
            ChartView {
                id: bytesChart
                title: qsTr("Bandwidth (%1)").arg(page.bandwidthUnit)
                Layout.fillWidth: true
                Layout.preferredHeight: 260
                antialiasing: true
                legend.visible: false
                CategoryAxis { id: bytesAxisX; labelsPosition: CategoryAxis.AxisLabelsPositionOnValue }
                ValueAxis { id: bytesAxisY; min: 0; labelFormat: "%.0f"; tickCount: 5 }
                LineSeries { id: bytesSeries; name: qsTr("Bytes"); axisX: bytesAxisX; axisY: bytesAxisY }
            }
        }

        GridLayout {
            visible: dashboard.hasStats
            columns: page.availableWidth > 900 ? 3 : page.availableWidth > 560 ? 2 : 1
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            columnSpacing: 12

            // Each list: its rows, the field named, an optional field shown before it (the
            // site of a path when every site is shown: "/" alone could be any of them), and
            // the number.
            Repeater {
                model: [
                    { name: "topSites", title: qsTr("Top sites"), rows: dashboard.topSites, key: "site", value: "visits" },
                    { name: "topPaths", title: qsTr("Top paths"), rows: dashboard.topPaths, key: "path", note: dashboard.site ? "" : "site", value: "visits" },
                    { name: "topReferrers", title: qsTr("Top referrers"), rows: dashboard.topReferrers, key: "host", value: "visits" },
                    { name: "browsers", title: qsTr("Browsers"), rows: dashboard.browsers, key: "agent", value: "visits" },
                    { name: "statusCodes", title: qsTr("Status codes"), rows: dashboard.statusCodes, key: "status", value: "count" },
                    { name: "topEvents", title: qsTr("Events"), rows: dashboard.topEvents, key: "name", value: "count" }
                ]
                delegate: Frame {
                    id: box
                    required property var modelData
                    objectName: modelData.name
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.alignment: Qt.AlignTop
                    ColumnLayout {
                        anchors.fill: parent
                        Label { text: box.modelData.title; font.bold: true }
                        Label {
                            visible: box.modelData.rows.length === 0
                            text: qsTr("Nothing yet")
                            color: Theme.muted
                        }
                        Repeater {
                            model: box.modelData.rows.slice(0, 8)
                            delegate: RowLayout {
                                id: entry
                                required property var modelData
                                Layout.fillWidth: true
                                Label {
                                    visible: !!box.modelData.note
                                    text: box.modelData.note ? entry.modelData[box.modelData.note] : ""
                                    color: Theme.muted
                                    elide: Text.ElideRight
                                    Layout.maximumWidth: 110
                                }
                                Label {
                                    objectName: "rowLabel"
                                    text: String(entry.modelData[box.modelData.key] || qsTr("(direct)"))
                                    elide: Text.ElideMiddle
                                    Layout.fillWidth: true
                                }
                                Label { text: Format.count(entry.modelData[box.modelData.value]); color: Theme.muted }
                            }
                        }
                        Item { Layout.fillHeight: true }
                    }
                }
            }
        }

        Label {
            text: qsTr("Server")
            font.bold: true
            font.pixelSize: 16
            Layout.leftMargin: 12
            visible: !!page.client
        }
        Label {
            objectName: "metricsMessage"
            visible: dashboard.metricsMessage.length > 0
            text: dashboard.metricsMessage
            color: Theme.muted
            wrapMode: Text.Wrap
            Layout.fillWidth: true
            Layout.leftMargin: 12
        }

        GridLayout {
            visible: dashboard.hasMetrics
            columns: Math.max(1, Math.floor(page.availableWidth / 300))
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            columnSpacing: 16

            component Gauge: ColumnLayout {
                property string title
                property string detail
                property real fraction
                Layout.fillWidth: true
                Layout.bottomMargin: 8
                Label { text: parent.title; font.bold: true }
                ProgressBar { value: parent.fraction; Layout.fillWidth: true; Layout.preferredHeight: 10 }
                Label { text: parent.detail; color: Theme.muted; font.pixelSize: 12 }
            }

            Gauge {
                objectName: "cacheGauge"
                title: qsTr("File cache")
                fraction: page.m.cache ? page.ratio(page.m.cache.bytes, page.m.cache.budgetBytes) : 0
                detail: page.m.cache ? qsTr("%1 of %2 · %3 files · %4 % hits")
                    .arg(Format.bytes(page.m.cache.bytes)).arg(Format.bytes(page.m.cache.budgetBytes))
                    .arg(Format.count(page.m.cache.entries)).arg(Math.round(page.m.cache.hitRate * 100)) : ""
            }
            Gauge {
                title: qsTr("Write queue")
                fraction: page.m.writeQueue ? page.ratio(page.m.writeQueue.depth, page.m.writeQueue.capacity) : 0
                detail: page.m.writeQueue ? qsTr("%1 waiting of %2").arg(page.m.writeQueue.depth).arg(page.m.writeQueue.capacity) : ""
            }
            Gauge {
                title: qsTr("Stats buffer")
                fraction: page.m.stats ? page.ratio(page.m.stats.pendingBytes, page.m.stats.budgetBytes) : 0
                detail: page.m.stats ? qsTr("%1 events (%2 of %3) · %4 dropped")
                    .arg(Format.count(page.m.stats.pending)).arg(Format.bytes(page.m.stats.pendingBytes))
                    .arg(Format.bytes(page.m.stats.budgetBytes)).arg(Format.count(page.m.stats.dropped)) : qsTr("not reported")
            }
            Gauge {
                title: qsTr("Connections")
                fraction: page.m.connections ? page.ratio(page.m.connections.open, page.m.connections.cap) : 0
                detail: page.m.connections ? qsTr("%1 open of %2").arg(page.m.connections.open).arg(page.m.connections.cap) : ""
            }
            ColumnLayout {
                Layout.fillWidth: true
                Label { text: qsTr("Breaker trips"); font.bold: true }
                Label {
                    objectName: "breakerTrips"
                    color: Theme.muted
                    font.pixelSize: 12
                    text: page.m.breakers ? qsTr("connections %1 · memory %2 · disk %3 · maintenance %4")
                        .arg(page.m.breakers.connections).arg(page.m.breakers.memory)
                        .arg(page.m.breakers.disk).arg(page.m.breakers.maintenance) : ""
                }
            }
            ColumnLayout {
                Layout.fillWidth: true
                Label { text: qsTr("Process"); font.bold: true }
                Label {
                    color: Theme.muted
                    font.pixelSize: 12
                    text: qsTr("up %1 · %2 resident · %3 requests")
                        .arg(Format.duration(page.m.uptimeSeconds || 0)).arg(Format.bytes(page.m.rssBytes || 0))
                        .arg(Format.count(page.m.requests ? page.m.requests.total : 0))
                }
            }
        }

        LimitsPanel {
            client: page.client
            visible: !!page.client && dashboard.problem.length === 0
            Layout.fillWidth: true
            Layout.margins: 12
        }
    }
}
