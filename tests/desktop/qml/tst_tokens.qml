import QtQuick
import QtTest
import Fazt.Console
import Fazt.Ui

// TestCase itself is invisible: the pages under test go into this visible root.
Item {
    id: root
    width: 1000
    height: 700

    TestCase {
        name: "Tokens"
        when: windowShown

        ServerListModel {
            id: serverModel
            secretStore: MemorySecretStore {}
        }
        Component {
            id: paneComponent
            ServersPane {
                servers: serverModel
                width: 1000
                height: 700
            }
        }

        // The server's tokens, from the servers pane; revoking asks first.
        function test_tokensAreListedWithARevokeEach() {
            const pane = createTemporaryObject(paneComponent, root)
            const show = findChild(pane, "showTokens")
            verify(!show.enabled)
            serverModel.addSessionServer(testServerUrl, testToken)
            tryVerify(() => show.enabled)
            mouseClick(show)
            const dialog = pane.tokensDialog
            tryVerify(() => dialog.opened)
            tryVerify(() => dialog.tokens.tokens.some(t => t.name === "console-test"), 10000)
            const list = findChild(dialog.contentItem, "tokenList")
            tryVerify(() => list.count === dialog.tokens.tokens.length && list.count > 0)
            const mine = dialog.tokens.tokens.find(t => t.name === "console-test")
            const revoke = findChild(dialog.contentItem, "revoke_" + mine.id)
            verify(revoke !== null)
            mouseClick(revoke)
            const confirm = dialog.revokeDialog
            tryVerify(() => confirm.opened)
            verify(confirm.text.indexOf("console-test") >= 0)
            confirm.reject() // the other tests still need it
            tryVerify(() => !confirm.visible)
            dialog.close()
        }
    }
}
