import QtQuick
import QtTest
import Fazt.Console
import Fazt.Ui

// TestCase itself is invisible: the pages under test go into this visible root.
Item {
    id: root
    width: 1100
    height: 700

    TestCase {
        id: testCase
        name: "DeployDrop"
        when: windowShown
        width: 1100
        height: 700

        ServerListModel {
            id: servers
            secretStore: MemorySecretStore {}
        }
        DeployController {
            id: theDeployer
            client: servers.currentClient
        }
        Component {
            id: pageComponent
            Column {
                property alias sitesPage: sitesPage
                property alias panel: panel
                SitesPage {
                    id: sitesPage
                    width: 1100
                    height: 600
                    client: servers.currentClient
                    deployer: theDeployer
                }
                DeployPanel {
                    id: panel
                    width: 1100
                    controller: theDeployer
                }
            }
        }

        function initTestCase() {
            servers.addSessionServer(testServerUrl, testToken)
            verify(servers.currentClient !== null)
        }

        function test_dropOnASiteDeploysItWithProgressTo100() {
            const view = createTemporaryObject(pageComponent, root)
            tryVerify(() => findChild(view, "drop_demo") !== null, 10000)
            let progressSeen = []
            const record = () => progressSeen.push(theDeployer.progress)
            theDeployer.progressChanged.connect(record)

            verify(dropSimulator.drop(findChild(view, "drop_demo"), testFolder))
            verify(theDeployer.isBusy || theDeployer.state === DeployController.Done)
            compare(view.sitesPage.sites.currentSite, "demo")
            tryVerify(() => !theDeployer.isBusy, 30000)
            compare(theDeployer.message, theDeployer.state === DeployController.Done ? theDeployer.message : "(a successful deploy)")
            compare(theDeployer.state, DeployController.Done)
            theDeployer.progressChanged.disconnect(record)

            compare(theDeployer.progress, 1)
            const bar = findChild(view.panel, "deployProgress")
            verify(bar.visible)
            compare(bar.value, 1)
            verify(progressSeen.length > 1)
            verify(theDeployer.liveUrl.toString().indexOf("demo.localhost") >= 0)
            verify(findChild(view.panel, "liveUrl").visible)
            // The history shows the new deploy as live.
            tryVerify(() => view.sitesPage.sites.deploys.length > 0 && view.sitesPage.sites.deploys[0].isActive, 10000)
        }
    }
}
