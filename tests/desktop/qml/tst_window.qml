import QtQuick
import QtTest
import Fazt.Console
import Fazt.Ui

Item {
    id: root
    width: 200
    height: 200

    TestCase {
        name: "Window"
        when: windowShown

        Component {
            id: mainComponent
            Main {}
        }

        // A folder dropped on the window (not on a site) asks for a site name, suggested from
        // the folder's, and deploys there: the site is created by the deploy.
        function test_dropOnTheWindowCreatesASite() {
            const window = createTemporaryObject(mainComponent, root,
                                                 { initialServer: testServerUrl, initialToken: testToken,
                                                   initialPage: "sites" })
            verify(window)
            tryVerify(() => window.active || window.visible)
            const dialog = findChild(window, "newSiteDialog")
            verify(dropSimulator.drop(findChild(window, "windowDrop"), testFolder))
            tryVerify(() => dialog.opened)
            const name = findChild(window, "siteNameField")
            compare(name.text, "site") // the folder is called "site"
            name.text = "from-window"
            dialog.accept()
            const deploy = window.deployController
            tryVerify(() => !deploy.isBusy && deploy.state !== DeployController.Idle, 30000)
            compare(deploy.message.indexOf("from-window is live"), 0)
            verify(deploy.liveUrl.toString().indexOf("from-window.localhost") >= 0)
            // The new site is the one selected on the Sites page, and highlighted there.
            const sites = findChild(window, "sitesPage").sites
            tryCompare(sites, "currentSite", "from-window")
            tryVerify(() => sites.currentIndex >= 0 && findChild(window, "siteList").currentIndex === sites.currentIndex, 10000)
        }
    }
}
