#pragma once

#include <chrono>
#include <thread>

namespace fazt::system {

// Asks `isDone()` again and again, yielding the core in between, until it says yes (true) or
// `limit` has passed (false). For a thread about to sleep while what it waits for usually
// comes within microseconds: taken while spinning, it costs no wake-up (a futex or eventfd
// write, an IPI on a VM) and no context switch. Yielding lets the thread that will produce it
// run on this core meanwhile.
template <typename Done> bool spinUntil(std::chrono::nanoseconds limit, Done isDone) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!isDone()) {
        if (std::chrono::steady_clock::now() >= until)
            return false;
        std::this_thread::yield();
    }
    return true;
}

} // namespace fazt::system
