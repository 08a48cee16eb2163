#pragma once

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

} // namespace fazt::system
