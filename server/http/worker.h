#pragma once

#include "http/exchange.h"
#include "http/serveroptions.h"

#include <QByteArray>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace fazt::http {

class Connection;

// One HTTP worker: a thread running its own epoll loop over the shared listening socket
// (EPOLLEXCLUSIVE, so each new connection wakes one worker) and the connections it accepted.
// Connections never change threads; everything about them happens on this loop.
//
// Why not QTcpSocket: Qt's UNIX event dispatcher polls every descriptor on each wake-up
// (O(connections)), and each QTcpSocket brings a QObject, its own buffers and signal
// dispatch. At thousands of keep-alive connections that alone costs more than serving a
// cached file, so the request path talks to epoll and the socket directly.
class Worker {
public:
    enum class Tail { KeepAlive, KeepAlive10, Close };

    // Accepting workers share the listening socket (EPOLLEXCLUSIVE: a new connection wakes one
    // that waits) and serve the connections they accept.
    //
    // The priority worker serves the owner's connections, which the others hand it (handOff).
    // It also watches the listening socket (edge-triggered, never exclusive) and accepts when
    // no accepting worker is waiting for work, that is when user traffic keeps them all busy:
    // the owner's fresh connection then never waits for a busy worker's loop. The user
    // connections it accepts meanwhile go, once their first request says whose they are, to
    // an accepting worker (nextAcceptor); a TLS one as soon as its ClientHello names its host.
    enum class Role { Accepting, Priority };
    // Per server: how many accepting workers wait in epoll_wait right now.
    using WaitingCount = std::atomic<int>;

    Worker(int index, int listenFd, Role role, Handler &handler, const ServerOptions &options,
           std::atomic<int> &connectionCount, WaitingCount &waitingAcceptors);
    ~Worker();

    void start();
    // Stops accepting, closes idle connections, lets busy ones finish (up to the grace
    // period), then ends the thread. Returns at once; join() waits.
    void requestStop();
    // Stops accepting; the thread ends once its last connection has closed. Any thread.
    void retire();
    void join();

    // Runs `task` on this worker's thread. Any thread.
    void post(std::function<void()> task);
    // Hands `response` to the connection on `fd` if it still waits for answer `serial`
    // (Responder::respond), then drops `release` on this thread. Any thread; unlike post(),
    // costs no allocation of its own.
    void postAnswer(int fd, quint64 serial, Response response, std::shared_ptr<void> release);

    // Shared by the connections of this worker:
    const ServerOptions &options() const { return m_options; }
    Handler &handler() { return m_handler; }
    qint64 nowMs() const { return m_nowMs; }
    // "Date: ...\r\n" plus the Connection header the tail needs, plus the blank line;
    // rebuilt once a second.
    const QByteArray &tail(Tail kind) const { return m_tails[int(kind)]; }
    void scheduleClose(Connection *connection);
    int connectionCount() const { return int(m_connections.size()); }
    int epollFd() const { return m_epoll; }
    // The open connection on `fd`, or null.
    Connection *connection(int fd) const;

    // Priority (admin) connections: the worker that serves them, set before start().
    void setPriorityWorker(Worker *worker) { m_priorityWorker = worker; }
    // The priority worker's way to an accepting worker for a user connection it accepted,
    // round robin; null when there is none to take it (the server is stopping): it is then
    // served where it is. Set before start().
    void setNextAcceptor(std::function<Worker *()> nextAcceptor) {
        m_nextAcceptor = std::move(nextAcceptor);
    }
    bool isPriority() const { return m_role == Role::Priority; }
    // Stops taking new connections (the priority worker, before the accepting ones stop).
    // Any thread.
    void stopAccepting();
    // The nice value of this worker's thread once started (the priority worker lowers it).
    int nice() const { return m_nice.load(); }
    // Whose a connection is, from its first request or its TLS server name.
    enum class Traffic { User, Owner };
    Traffic trafficOf(QByteArrayView host) const {
        return m_options.isPriorityHost && m_options.isPriorityHost(host) ? Traffic::Owner
                                                                          : Traffic::User;
    }
    // The worker that should serve a connection carrying `traffic`, when it is not this one:
    // the priority worker for the owner's, an accepting worker for a user's the priority
    // worker accepted. Null: this one.
    Worker *homeFor(Traffic traffic) const;
    // Moves `connection` to `target` (homeFor). On this worker's thread; the connection is not
    // touched here afterwards.
    void handOff(Connection &connection, Worker *target);

private:
    void run();
    void acceptAll();
    // On this worker's thread: takes the listening socket out of its epoll.
    void stopListening();
    void refreshClock();
    void sweep();
    void drainTasks();
    void wake();
    void closeScheduled();
    bool admitToReserve();
    // Drops a closing connection from the counts.
    void forget(const Connection &connection);
    void adopt(std::unique_ptr<Connection> connection);
    void addConnection(std::unique_ptr<Connection> connection);

    const int m_index;
    const int m_listenFd;
    const Role m_role;
    std::atomic<int> m_nice{0};
    Handler &m_handler;
    const ServerOptions m_options;
    std::atomic<int> &m_connectionCount;
    WaitingCount &m_waitingAcceptors;
    int m_epoll = -1;
    int m_wakeFd = -1;
    std::thread m_thread;
    std::atomic<bool> m_stopRequested{false};
    bool m_isListening = false;
    bool m_isRetired = false;
    qint64 m_stopDeadlineMs = 0;
    qint64 m_nowMs = 0;
    qint64 m_dateSecond = -1;
    qint64 m_lastSweepMs = 0;
    QByteArray m_tails[3];
    std::unordered_map<int, std::unique_ptr<Connection>> m_connections;
    std::vector<Connection *> m_toClose;
    struct Answer {
        int fd;
        quint64 serial;
        Response response;
        std::shared_ptr<void> release;
    };
    std::mutex m_tasksMutex;
    // Each list is swapped with its m_draining twin when drained, so all four keep capacity.
    std::vector<std::function<void()>> m_tasks;
    std::vector<std::function<void()>> m_drainingTasks;
    std::vector<Answer> m_answers;
    std::vector<Answer> m_drainingAnswers;
    // A busy loop picks up what was posted on its next turn; only a loop that waits in
    // epoll_wait is woken through the eventfd (once, by the first poster that finds it so).
    std::atomic<bool> m_hasTasks{false};
    std::atomic<bool> m_isWaiting{false};
    qint64 m_lastAnswerNs = 0; // when the loop last took an answer (monotonic ns)
    QByteArray m_overloaded;   // the canned 503 for connections past the cap
    Worker *m_priorityWorker = nullptr;
    std::function<Worker *()> m_nextAcceptor;
    // Connections this worker admitted from the reserve, oldest first, while their first
    // request is awaited (fd and Connection::id; stale entries are skipped).
    std::deque<std::pair<int, quint64>> m_probation;
    // Places of this worker's share of the reserve that its connections hold (wherever they
    // are served now: closing decrements it on the priority worker's thread).
    std::atomic<int> m_reservePlaces{0};
};

} // namespace fazt::http
