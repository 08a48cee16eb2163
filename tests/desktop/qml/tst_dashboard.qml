import QtQuick
import QtTest
import Fazt.Console
import Fazt.Ui

// TestCase itself is invisible: the pages under test go into this visible root.
Item {
    id: root
    width: 1100
    height: 900

    TestCase {
        name: "Dashboard"
        when: windowShown

        ServerListModel {
            id: servers
            secretStore: MemorySecretStore {}
        }
        Component {
            id: pageComponent
            DashboardPage {
                width: 1100
                height: 900
                client: servers.currentClient
                palette: Theme.dark ? Theme.darkPalette : Theme.lightPalette
            }
        }

        function initTestCase() {
            servers.addSessionServer(testServerUrl, testToken)
        }
        function cleanup() {
            Theme.dark = false
        }

        // A chart theme resets every colour when it changes: after dark and back to light the
        // charts are in the light colours again, not a mix.
        function test_chartColoursFollowThePaletteBothWays() {
            const page = createTemporaryObject(pageComponent, root)
            tryVerify(() => page.dashboard.hasStats, 10000)
            verify(Qt.colorEqual(page.visitsSeries.color, "#1f5fbf"))
            Theme.dark = true
            tryVerify(() => Qt.colorEqual(page.visitsChart.backgroundColor, Theme.darkPalette.base))
            verify(Qt.colorEqual(page.visitsSeries.color, "#8ab4f8"))
            verify(Qt.colorEqual(page.visitsAxisX.labelsColor, Theme.darkPalette.windowText))
            Theme.dark = false
            tryVerify(() => Qt.colorEqual(page.visitsChart.backgroundColor, Theme.lightPalette.base))
            verify(Qt.colorEqual(page.visitsSeries.color, "#1f5fbf"))
            verify(Qt.colorEqual(page.visitsAxisX.labelsColor, Theme.lightPalette.windowText))
            compare(page.visitsSeries.width, 2)
        }

        // Everything /api/stats reports has its place on the page, and the axis its labels.
        function test_everyListIsShown() {
            const page = createTemporaryObject(pageComponent, root)
            tryVerify(() => page.dashboard.hasStats, 10000)
            for (const name of ["topSites", "topPaths", "topReferrers", "browsers", "statusCodes", "topEvents"]) {
                const box = findChild(page, name)
                verify(box !== null, name)
                verify(box.visible && box.width > 0, name)
            }
            compare(page.visitsAxisX.count, page.dashboard.axisLabels.length)
            compare(page.visitsAxisX.max, page.dashboard.bucketCount - 1)
            compare(findChild(page, "problem").visible, false)
        }
    }
}
