#pragma once

#include "hosting/functions/workerpool.h"

#include <QMutex>
#include <QString>

#include <atomic>
#include <condition_variable>

namespace fazt::hosting::functions {

// One slot of the pool: its thread's parking place and the worker process it owns. Only the
// slot's thread touches the worker; `site` changes only while the thread runs a job, so it
// is read under the pool's queue lock while the slot is parked.
struct WorkerPool::Slot {
    std::condition_variable wake;             // its thread parks here
    bool isWoken = false;                     // under the pool's queue lock
    bool isRetired = false; // under the pool's queue lock: the pool shrank; the thread ends
    std::atomic<qint64> busySinceMs{0};       // steadyMs() when its thread took its job; 0: idle
    std::atomic<bool> isWaitingOnHost{false}; // serving fazt.fetch for its worker
    WorkerProcess worker;
    bool isReady = false;    // the worker said Ready
    bool hasStarted = false; // a worker was started for this slot (only its thread: no lock)
    quint64 generation = 0;  // workers started for this slot (only its thread)
    qint64 lastRunNs = 0;    // the slowest job of its last run, start to answer (only its thread)
    QString site;            // the site the worker serves; empty: none yet
    std::atomic<pid_t> pid{-1};
    mutable QMutex infoMutex; // for workersJson()
    QString shownSite;
};

} // namespace fazt::hosting::functions
