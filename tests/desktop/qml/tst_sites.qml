import QtQuick
import QtQuick.Controls
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
        name: "Sites"
        when: windowShown

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
            SitesPage {
                width: 1100
                height: 650
                client: servers.currentClient
                deployer: theDeployer
                palette: Theme.dark ? Theme.darkPalette : Theme.lightPalette
            }
        }

        function initTestCase() {
            servers.addSessionServer(testServerUrl, testToken)
            verify(servers.currentClient !== null)
        }

        function highlighted(page) {
            const list = findChild(page, "siteList")
            return list.currentItem ? list.currentItem.name : ""
        }
        // The row of `name` (its drop area's parent).
        function rowOf(page, name) {
            const area = findChild(page, "drop_" + name)
            return area ? area.parent : null
        }
        function createSite(page, name) {
            findChild(page, "newSiteField").text = name
            mouseClick(findChild(page, "createSite"))
            tryVerify(() => page.sites.currentSite === name && highlighted(page) === name, 10000)
        }

        // One selection: the highlighted row is the site on the right, and the one Delete and
        // the deploy buttons act on, after create, click, keys, drop-deploy and delete.
        function test_theHighlightedSiteIsTheOneActedOn() {
            const page = createTemporaryObject(pageComponent, root)
            tryVerify(() => rowOf(page, "demo") !== null, 10000)
            createSite(page, "sel-a")
            createSite(page, "sel-b")

            mouseClick(rowOf(page, "sel-a"))
            compare(page.sites.currentSite, "sel-a")
            compare(highlighted(page), "sel-a")
            keyClick(Qt.Key_Down) // the list has the focus after the click
            compare(page.sites.currentSite, "sel-b")
            compare(highlighted(page), "sel-b")
            keyClick(Qt.Key_Up)
            compare(highlighted(page), "sel-a")

            // A drop on another row deploys there and selects it, through the reload after.
            verify(dropSimulator.drop(findChild(page, "drop_sel-b"), testFolder))
            compare(page.sites.currentSite, "sel-b")
            compare(highlighted(page), "sel-b")
            tryVerify(() => !theDeployer.isBusy, 30000)
            compare(theDeployer.state, DeployController.Done)
            tryVerify(() => page.sites.deploys.length === 1, 10000)
            compare(highlighted(page), "sel-b")

            // Delete names the highlighted site and deletes that one, not another.
            mouseClick(rowOf(page, "sel-a"))
            const dialog = page.deleteDialog
            mouseClick(findChild(page, "deleteSite"))
            tryVerify(() => dialog.opened)
            verify(dialog.text.indexOf("Delete sel-a ") === 0)
            dialog.accept()
            tryVerify(() => page.sites.indexOf("sel-a") < 0, 10000)
            verify(page.sites.indexOf("sel-b") >= 0)
            tryVerify(() => page.sites.currentSite.length > 0 && highlighted(page) === page.sites.currentSite, 10000)

            page.sites.deleteSite("sel-b")
            tryVerify(() => page.sites.indexOf("sel-b") < 0, 10000)
        }

        // Both file dialogs open (the packages they need are installed), for the selected site.
        function test_deployDialogsOpen() {
            const page = createTemporaryObject(pageComponent, root)
            tryVerify(() => rowOf(page, "demo") !== null, 10000)
            mouseClick(rowOf(page, "demo"))
            mouseClick(findChild(page, "deployFolder"))
            tryVerify(() => page.folderDialog.visible, 10000)
            compare(page.folderDialog.site, "demo")
            verify(page.folderDialog.title.indexOf("demo") > 0)
            page.folderDialog.close()
            tryVerify(() => !page.folderDialog.visible)
            mouseClick(findChild(page, "deployArchive"))
            tryVerify(() => page.archiveDialog.visible, 10000)
            compare(page.archiveDialog.site, "demo")
            page.archiveDialog.close()
            tryVerify(() => !page.archiveDialog.visible)
        }

        // A disabled button is drawn in the palette's disabled colours, in both palettes; the
        // spinner is gone while nothing loads (a hidden one kept animating).
        function test_disabledButtonsLookDisabled() {
            const page = createTemporaryObject(pageComponent, root)
            tryVerify(() => rowOf(page, "demo") !== null, 10000)
            tryVerify(() => !findChild(page, "sitesBusy").visible)
            const create = findChild(page, "createSite")
            const field = findChild(page, "newSiteField")
            for (const dark of [false, true]) {
                Theme.dark = dark
                field.text = ""
                verify(!create.enabled)
                const disabledColor = String(create.contentItem.color) // a copy, not a reference
                field.text = "x"
                verify(create.enabled)
                const enabledColor = String(create.contentItem.color)
                verify(disabledColor !== enabledColor, "dark: " + dark + " " + disabledColor)
                compare(disabledColor, String((dark ? Theme.darkPalette : Theme.lightPalette).disabled.buttonText))
                compare(enabledColor, String((dark ? Theme.darkPalette : Theme.lightPalette).buttonText))
            }
            Theme.dark = false
        }
    }
}
