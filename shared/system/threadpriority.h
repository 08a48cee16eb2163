#pragma once

namespace fazt::system {

// Asks the scheduler to favour the calling thread: its nice value goes down to `nice` (say
// -10), or as far as this process may go (root, CAP_SYS_NICE, or RLIMIT_NICE — systemd's
// LimitNICE=), and no further. Returns the nice value the thread has afterwards; a thread
// that may not be favoured keeps the one it had. For the thread that serves the owner's admin:
// on a machine whose cores are all busy with user traffic, a waking thread with a lower nice
// value preempts the busy ones at once instead of waiting for their time slice to end.
int favourThisThread(int nice);

} // namespace fazt::system
