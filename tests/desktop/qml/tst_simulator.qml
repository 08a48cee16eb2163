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
        name: "Simulator"
        when: windowShown
        width: 1000
        height: 700

        Component {
            id: pageComponent
            SimulatorPage { width: 1000; height: 700 }
        }

        function valueOf(page, tile) {
            return findChild(findChild(page, tile), "value").text
        }

        function test_slidersUpdateTheNumbers() {
            const page = createTemporaryObject(pageComponent, root)
            const memory = findChild(page, "memorySlider")
            const before = { cache: valueOf(page, "cache"), visitors: valueOf(page, "visitors"), memory: page.simulator.memoryMiB }
            compare(valueOf(page, "cache"), Format.bytes(page.simulator.limits.cacheBytes))

            // By keyboard: focus the slider and press Right.
            memory.forceActiveFocus()
            for (let i = 0; i < 20; ++i)
                keyClick(Qt.Key_Right)
            tryVerify(() => page.simulator.memoryMiB > before.memory)
            tryVerify(() => valueOf(page, "cache") !== before.cache)
            verify(valueOf(page, "visitors") !== before.visitors)
            compare(valueOf(page, "cache"), Format.bytes(page.simulator.limits.cacheBytes))
            compare(findChild(page, "memoryValue").text, Format.bytes(page.simulator.memoryMiB * 1048576))

            // By mouse: the far left of the slider is the smallest machine.
            mouseClick(memory, memory.leftPadding + 1, memory.height / 2)
            tryVerify(() => page.simulator.memoryMiB < 200)
            compare(valueOf(page, "cache"), Format.bytes(page.simulator.limits.cacheBytes))

            // A preset moves every slider.
            page.simulator.applyPreset(3)
            compare(findChild(page, "preset").currentIndex, 3)
            compare(valueOf(page, "cache"), Format.bytes(page.simulator.limits.cacheBytes))
        }

        function test_maintenanceWarningFollowsTheDatabaseSize() {
            const page = createTemporaryObject(pageComponent, root)
            const warning = findChild(page, "maintenanceWarning")
            page.simulator.databaseMiB = 1
            verify(warning.text.indexOf("is fine") >= 0)
            const db = findChild(page, "databaseSlider")
            mouseClick(db, db.width - db.rightPadding - 1, db.height / 2)
            tryVerify(() => page.simulator.wouldEnterMaintenance)
            verify(warning.text.indexOf("maintenance mode") >= 0)
        }
    }
}
