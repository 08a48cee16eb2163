import QtQuick
import QtTest
import Fazt.Console
import Fazt.Ui

// TestCase itself is invisible: the pages under test go into this visible root.
Item {
    id: root
    width: 1000
    height: 700

    ServerListModel {
        id: serverModel
        secretStore: MemorySecretStore {}
    }

    TestCase {
        id: testCase
        name: "Servers"
        when: windowShown

        Component {
            id: viewComponent
            Item {
                property alias pane: pane
                property alias dialog: dialog
                width: 1000
                height: 700
                ServersPane {
                    id: pane
                    servers: serverModel
                    width: 300
                    height: 700
                    onAddRequested: dialog.open()
                }
                AddServerDialog {
                    id: dialog
                    servers: serverModel
                }
            }
        }

        function test_addAServerFromTheDialog() {
            const view = createTemporaryObject(viewComponent, root)
            view.pane.addRequested()
            tryVerify(() => view.dialog.opened)
            const url = findChild(view.dialog, "urlField")
            const token = findChild(view.dialog, "tokenField")
            const error = findChild(view.dialog, "error")
            verify(url.activeFocus)
            url.text = testServerUrl

            // A wrong token: the server's words, and the dialog stays open.
            token.text = "fazt_wrong"
            token.forceActiveFocus()
            keyClick(Qt.Key_Return)
            tryVerify(() => error.visible, 10000)
            verify(error.text.indexOf("The API token is not valid") >= 0)
            verify(view.dialog.opened)
            compare(serverModel.count, 0)

            // The right one, by keyboard: the dialog closes and the server is listed, ready.
            token.text = testToken
            token.forceActiveFocus()
            keyClick(Qt.Key_Return)
            tryVerify(() => !view.dialog.visible, 10000)
            compare(serverModel.count, 1)
            const list = findChild(view.pane, "serverList")
            tryVerify(() => list.count === 1 && list.itemAtIndex(0) !== null)
            tryVerify(() => findChild(list.itemAtIndex(0), "statusText").text.startsWith("Ready"), 10000)
        }
    }
}
