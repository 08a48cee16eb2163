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
        id: testCase
        name: "Limits"
        when: windowShown
        width: 1000
        height: 700

        Component {
            id: panelComponent
            LimitsPanel { width: 900 }
        }

        function test_overridePastTheSafeRangeWarnsAndNeedsAConfirm() {
            const panel = createTemporaryObject(panelComponent, root)
            panel.model.load({
                limits: { cacheBytes: 100 * 1048576, maxConnections: 500 },
                safe: { cacheBytes: 160 * 1048576, maxConnections: 1000 }
            })
            tryVerify(() => findChild(panel, "edit_0") !== null)
            // Rows are laid out before a person can click them.
        const first = findChild(panel, "edit_0"), second = findChild(panel, "edit_1")
        tryVerify(() => second.mapToItem(root, 0, 0).y > first.mapToItem(root, 0, 0).y + first.height / 2)
        mouseClick(findChild(panel, "edit_0"))
            const dialog = findChild(panel, "overrideDialog")
            tryVerify(() => dialog.opened)
            const field = findChild(dialog, "valueField")
            const warning = findChild(dialog, "overrideWarning")
            const accept = findChild(dialog, "acceptRisk")
            const apply = findChild(dialog, "apply")

            // Within the safe range: no warning, Apply as usual.
            field.text = "150"
            verify(!warning.visible)
            verify(apply.enabled)

            // Past it: the crash-risk warning, and Override needs the box ticked.
            field.text = "200"
            tryVerify(() => warning.visible)
            verify(warning.text.indexOf("past the safe value") >= 0)
            verify(warning.text.indexOf("crash") >= 0 || warning.text.indexOf("killed") >= 0)
            verify(accept.visible)
            verify(!apply.enabled)
            mouseClick(accept)
            verify(accept.checked)
            verify(apply.enabled)

            // Back under: the warning goes away.
            field.text = "120"
            verify(!warning.visible)
        }
    }
}
