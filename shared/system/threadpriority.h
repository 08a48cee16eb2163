#pragma once

#include <optional>

namespace fazt::system {

// Asks the scheduler to favour the calling thread: its nice value goes down to `nice` (say
// -10), or as far as this process may go (root, CAP_SYS_NICE, or RLIMIT_NICE — systemd's
// LimitNICE=), and no further. Returns the nice value the thread has afterwards; a thread
// that may not be favoured keeps the one it had. For the thread that serves the owner's admin:
// on a machine whose cores are all busy with user traffic, a waking thread with a lower nice
// value preempts the busy ones at once instead of waiting for their time slice to end.
int favourThisThread(int nice);

// The nice value of the threads that serve the owner's admin (the priority HTTP worker and the
// admin's task thread): about ten times the weight of a thread at 0, so the admin's request
// runs as soon as it arrives even when every core is busy with user traffic. One thread each,
// so a flood on the admin host cannot take more than a core.
constexpr int CockpitNice = -10;

// Linux's autogroup scheduler (CONFIG_SCHED_AUTOGROUP, on in Debian's kernels) shares the
// cores between sessions first and between the threads of a session second: a thread's nice
// value counts only against the threads of its own session. A fazt started by systemd leads
// its own session, so its admin thread at CockpitNice preempts fazt's busy HTTP workers at
// once, but not a busy process of another session (a cron job, a compiler, a load generator
// on the same machine): it waits for that one's time slice, several milliseconds.
//
// Lowers the nice value of this process's autogroup to `nice` (or as far as RLIMIT_NICE lets
// it go) when this process leads its session, so that its autogroup holds only fazt and its
// function workers. Under contention fazt as a whole then gets about ten times the share of
// another busy session, and its admin thread preempts any user thread at once. A process
// started from a shell is left alone: its autogroup is the shell's, and renicing it would
// renice the user's terminal. Returns the autogroup's nice value afterwards; nullopt when the
// kernel does not schedule by autogroup.
std::optional<int> favourThisSession(int nice);
// This process's autogroup nice value; nullopt when the kernel does not schedule by autogroup.
std::optional<int> sessionNice();

} // namespace fazt::system
