// Thread and session priority: the admin's thread and, when fazt leads its session, its
// autogroup are favoured; a process started from a shell never renices the shell's session.

#include "system/threadpriority.h"

#include <QTest>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace fazt::system;

namespace {

// Runs `body` in a child process; its return value (0..255) is the child's exit status, or -1
// when the child did not exit normally.
template <typename Body> int inChild(Body body) {
    const pid_t child = fork();
    if (child == 0)
        _exit(body());
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

// A nice value as an exit status (nice + 20 fits in 0..39); 255 for "no autogroup".
int asStatus(std::optional<int> nice) { return nice ? *nice + 20 : 255; }

} // namespace

class TestThreadPriority : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aThreadIsFavouredAsFarAsAllowed() {
        // In a child, so that this test's own threads keep their nice value.
        const int status = inChild([] { return favourThisThread(-5) + 20; });
        if (geteuid() == 0)
            QCOMPARE(status - 20, -5);
        else
            QVERIFY(status - 20 <= 0); // as far as RLIMIT_NICE lets it; never higher
        // A value above the current one is not a favour: nothing changes.
        QCOMPARE(inChild([] { return favourThisThread(5) + 20; }) - 20, 0);
    }

    void aSessionLeaderFavoursItsOwnAutogroup() {
        if (!sessionNice())
            QSKIP("this kernel does not schedule by autogroup "
                  "(CONFIG_SCHED_AUTOGROUP off, or kernel.sched_autogroup_enabled=0)");
        if (geteuid() != 0)
            QSKIP("lowering an autogroup's nice value needs root or RLIMIT_NICE; run as root");
        const int before = *sessionNice();
        const int status = inChild([] {
            if (setsid() < 0) // a session, and with it an autogroup, of its own
                return 254;
            return asStatus(favourThisSession(-7));
        });
        QCOMPARE(status - 20, -7);
        QCOMPARE(*sessionNice(), before); // the test's own session is untouched
    }

    void aProcessInAShellsSessionLeavesItAlone() {
        if (!sessionNice())
            QSKIP("this kernel does not schedule by autogroup");
        const int before = *sessionNice();
        // Not the session leader: the autogroup is the runner's, so nothing changes.
        const int status = inChild([] { return asStatus(favourThisSession(-7)); });
        QCOMPARE(status - 20, before);
        QCOMPARE(*sessionNice(), before);
    }
};

QTEST_GUILESS_MAIN(TestThreadPriority)
#include "tst_threadpriority.moc"
