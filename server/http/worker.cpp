#include "http/worker.h"

#include "http/connection.h"
#include "http/responses.h"
#include "system/spin.h"
#include "system/threadpriority.h"

#include <QDateTime>

#include <cerrno>
#include <csignal>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace fazt::http {

namespace {

// epoll user data for the two descriptors that are not connections.
char listenerTag;
char wakeTag;

qint64 monotonicMs() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return qint64(t.tv_sec) * 1000 + t.tv_nsec / 1'000'000;
}

qint64 monotonicNs() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return qint64(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

constexpr int SweepIntervalMs = 250;
constexpr int AcceptBatch = 64;
// Answers from other threads (functions) come one after another under load. A loop that
// took one within AnswerFlowNs looks again, yielding its core, for up to AnswerSpin before
// it waits in epoll_wait: the next answer then needs no eventfd write, no wake-up of this
// thread (an IPI on a VM) and no context switch. Otherwise the loop waits at once.
constexpr qint64 AnswerFlowNs = 2'000'000;
constexpr auto AnswerSpin = std::chrono::microseconds(50);

} // namespace

Worker::Worker(int index, int listenFd, Role role, Handler &handler, const ServerOptions &options,
               std::atomic<int> &connectionCount, WaitingCount &waitingAcceptors)
    : m_index(index)
    , m_listenFd(listenFd)
    , m_role(role)
    , m_handler(handler)
    , m_options(options)
    , m_connectionCount(connectionCount)
    , m_waitingAcceptors(waitingAcceptors) {
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll < 0 || m_wakeFd < 0)
        qFatal("Cannot create the event loop of HTTP worker %d: %s", index, strerror(errno));
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.ptr = &wakeTag;
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &wake);
    m_isListening = m_listenFd >= 0;
    if (m_isListening) {
        epoll_event listen{};
        // The priority worker is told of every new connection (and takes it only when no
        // accepting worker waits); the accepting ones share them, one woken for each.
        listen.events = isPriority() ? EPOLLIN | EPOLLET : EPOLLIN | EPOLLEXCLUSIVE;
        listen.data.ptr = &listenerTag;
        epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_listenFd, &listen);
    }

    Response overloaded(503, "text/plain; charset=utf-8",
                        "The server is at its connection limit. Retry in a few seconds.\n");
    overloaded.retryAfterSeconds = 5;
    m_overloaded = overloaded.serializeHead() + "Connection: close\r\n\r\n" + overloaded.body;
    refreshClock();
}

Worker::~Worker() {
    join();
    m_connections.clear();
    ::close(m_wakeFd);
    ::close(m_epoll);
}

void Worker::start() {
    m_thread = std::thread([this] {
        sigset_t all; // signals are the main thread's business
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        // Named for top -H, perf and /proc: which thread is the admin's, which the users'.
        const QByteArray name = isPriority() ? QByteArray("fazt-http-admin")
                                             : "fazt-http-" + QByteArray::number(m_index);
        pthread_setname_np(pthread_self(), name.left(15).constData());
        if (isPriority())
            m_nice.store(system::favourThisThread(system::CockpitNice));
        run();
    });
}

void Worker::requestStop() {
    m_stopRequested = true;
    post([] {});
}

void Worker::retire() {
    post([this] {
        stopListening();
        m_isRetired = true;
    });
}

void Worker::stopAccepting() {
    post([this] { stopListening(); });
}

void Worker::stopListening() {
    if (m_isListening)
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, m_listenFd, nullptr);
    m_isListening = false;
}

void Worker::join() {
    if (m_thread.joinable())
        m_thread.join();
}

void Worker::post(std::function<void()> task) {
    {
        std::lock_guard lock(m_tasksMutex);
        m_tasks.push_back(std::move(task));
        m_hasTasks.store(true);
    }
    wake();
}

void Worker::postAnswer(int fd, quint64 serial, Response response, std::shared_ptr<void> release) {
    {
        std::lock_guard lock(m_tasksMutex);
        m_answers.push_back({fd, serial, std::move(response), std::move(release)});
        m_hasTasks.store(true);
    }
    wake();
}

// After m_hasTasks was set. The loop sets m_isWaiting before it reads m_hasTasks and waits
// (both sequentially consistent), so either it sees the task or this sees it waiting.
void Worker::wake() {
    if (m_isWaiting.load() && m_isWaiting.exchange(false)) {
        const quint64 one = 1;
        (void)!::write(m_wakeFd, &one, sizeof one);
    }
}

void Worker::drainTasks() {
    {
        std::lock_guard lock(m_tasksMutex);
        m_hasTasks.store(false, std::memory_order_relaxed);
        m_drainingTasks.swap(m_tasks);
        m_drainingAnswers.swap(m_answers);
    }
    for (Answer &answer : m_drainingAnswers)
        if (Connection *connection = this->connection(answer.fd))
            connection->respondDeferred(answer.serial, std::move(answer.response));
    if (!m_drainingAnswers.empty())
        m_lastAnswerNs = monotonicNs();
    m_drainingAnswers.clear();
    for (auto &task : m_drainingTasks)
        task();
    m_drainingTasks.clear();
}

void Worker::refreshClock() {
    m_nowMs = monotonicMs();
    const qint64 second = QDateTime::currentSecsSinceEpoch();
    if (second == m_dateSecond)
        return;
    m_dateSecond = second;
    const QByteArray date = "Date: " + httpDate(second) + "\r\n" + m_options.extraHeaders;
    m_tails[int(Tail::KeepAlive)] = date + "\r\n";
    m_tails[int(Tail::KeepAlive10)] = date + "Connection: keep-alive\r\n\r\n";
    m_tails[int(Tail::Close)] = date + "Connection: close\r\n\r\n";
}

Connection *Worker::connection(int fd) const {
    auto it = m_connections.find(fd);
    if (it == m_connections.end() || it->second->isClosed())
        return nullptr;
    return it->second.get();
}

void Worker::scheduleClose(Connection *connection) {
    forget(*connection); // counted out at once: a new connection may take its place now
    m_toClose.push_back(connection);
}

void Worker::forget(const Connection &connection) {
    --m_connectionCount;
    if (std::atomic<int> *place = connection.reservePlace()) {
        --*place;
        --m_options.connectionLimit->inReserve;
    }
}

void Worker::closeScheduled() {
    for (Connection *connection : m_toClose)
        m_connections.erase(connection->fd());
    m_toClose.clear();
}

// Past the cap: a place in this worker's share of the reserve for a connection that may be
// the owner's. When the share is full, this worker's oldest connection still waiting for its
// first request gives its place up: holding the reserve takes a steady stream of new
// connections to every worker, not a few idle ones, and the admin's connection sends its
// request at once. (Shares, not one pool: a worker can only evict its own connections.)
bool Worker::admitToReserve() {
    if (!m_options.isPriorityHost || (!isPriority() && !m_priorityWorker))
        return false;
    ConnectionLimit &limit = *m_options.connectionLimit;
    const int share = std::max(1, limit.reserve.load() / std::max(1, m_options.workers));
    if (m_reservePlaces.load() < share) {
        ++m_reservePlaces;
        ++limit.inReserve;
        return true;
    }
    while (!m_probation.empty()) {
        const auto [fd, id] = m_probation.front();
        m_probation.pop_front();
        Connection *oldest = connection(fd);
        if (oldest && oldest->id() == id && oldest->isUnidentified()) {
            oldest->evict(); // its place passes to the new connection
            ++limit.refused;
            return true;
        }
    }
    return false;
}

void Worker::addConnection(std::unique_ptr<Connection> connection) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = connection.get();
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, connection->fd(), &event) < 0) {
        forget(*connection);
        return; // the unique_ptr closes it
    }
    const int fd = connection->fd();
    m_connections.emplace(fd, std::move(connection));
}

Worker *Worker::homeFor(Traffic traffic) const {
    if (traffic == Traffic::Owner)
        return isPriority() ? nullptr : m_priorityWorker;
    return isPriority() && m_nextAcceptor ? m_nextAcceptor() : nullptr;
}

void Worker::handOff(Connection &connection, Worker *target) {
    auto it = m_connections.find(connection.fd());
    if (it == m_connections.end())
        return;
    // Shared, so a task dropped at shutdown still frees the connection.
    auto moving = std::make_shared<std::unique_ptr<Connection>>(std::move(it->second));
    m_connections.erase(it);
    epoll_ctl(m_epoll, EPOLL_CTL_DEL, connection.fd(), nullptr);
    target->post([target, moving] { target->adopt(std::move(*moving)); });
}

void Worker::adopt(std::unique_ptr<Connection> connection) {
    Connection *adopted = connection.get();
    const int fd = adopted->fd();
    addConnection(std::move(connection));
    if (this->connection(fd) == adopted)
        adopted->resumeOn(*this);
}

void Worker::acceptAll() {
    for (int i = 0; i < AcceptBatch; ++i) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        const int fd = ::accept4(m_listenFd, reinterpret_cast<sockaddr *>(&address), &length,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE)
                qWarning("HTTP worker %d: out of file descriptors; new connections wait", m_index);
            return; // EAGAIN (another worker took it) or out of descriptors
        }
        ConnectionLimit &limit = *m_options.connectionLimit;
        const bool isPastCap = m_connectionCount.load(std::memory_order_relaxed) -
                                   limit.inReserve.load(std::memory_order_relaxed) >=
                               limit.cap.load(std::memory_order_relaxed);
        const bool isReserved = isPastCap && admitToReserve();
        if (isPastCap && !isReserved) {
            limit.refused.fetch_add(1, std::memory_order_relaxed);
            // Answer, end our side, and drain what the client already sent: closing with unread
            // bytes would make the kernel send a reset that can destroy the 503 in flight.
            (void)!::send(fd, m_overloaded.constData(), size_t(m_overloaded.size()),
                          MSG_DONTWAIT | MSG_NOSIGNAL);
            ::shutdown(fd, SHUT_WR);
            char drain[4096];
            for (int round = 0; round < 16 && ::recv(fd, drain, sizeof drain, MSG_DONTWAIT) > 0;
                 ++round) {
            }
            ::close(fd);
            continue;
        }
        ++m_connectionCount;
        const int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        auto connection = std::make_unique<Connection>(
            *this, fd, QHostAddress(reinterpret_cast<const sockaddr *>(&address)));
        if (isReserved) {
            connection->setReservePlace(&m_reservePlaces);
            if (m_probation.size() > size_t(4 * limit.reserve.load()))
                std::erase_if(m_probation, [this](const std::pair<int, quint64> &entry) {
                    const Connection *c = this->connection(entry.first);
                    return !c || c->id() != entry.second || !c->isUnidentified();
                });
            m_probation.emplace_back(fd, connection->id());
        }
        addConnection(std::move(connection));
    }
}

void Worker::sweep() {
    m_lastSweepMs = m_nowMs;
    for (auto &[fd, connection] : m_connections)
        connection->checkDeadline(m_nowMs);
}

void Worker::run() {
    epoll_event events[256];
    for (;;) {
        int n = 0;
        if (!m_hasTasks.load(std::memory_order_relaxed) && m_lastAnswerNs != 0 &&
            monotonicNs() - m_lastAnswerNs < AnswerFlowNs) {
            system::spinUntil(AnswerSpin, [&] {
                n = epoll_wait(m_epoll, events, 256, 0);
                return n != 0 || m_hasTasks.load(std::memory_order_relaxed);
            });
        }
        if (n == 0 && !m_hasTasks.load(std::memory_order_relaxed)) {
            const bool isWaitingAcceptor = m_isListening && !isPriority();
            if (isWaitingAcceptor)
                m_waitingAcceptors.fetch_add(1, std::memory_order_relaxed);
            m_isWaiting.store(true);
            n = epoll_wait(m_epoll, events, 256, m_hasTasks.load() ? 0 : SweepIntervalMs);
            m_isWaiting.store(false, std::memory_order_relaxed);
            if (isWaitingAcceptor)
                m_waitingAcceptors.fetch_sub(1, std::memory_order_relaxed);
        } else if (n == 0) {
            // Tasks wait (a connection that yielded its turn re-posts itself): the events of
            // the other connections are collected first, or a 1 GiB upload arriving as fast
            // as it is read would keep them waiting until it ends.
            n = epoll_wait(m_epoll, events, 256, 0);
        }
        refreshClock();
        for (int i = 0; i < n; ++i) {
            void *tag = events[i].data.ptr;
            if (tag == &listenerTag) {
                // The priority worker leaves a new connection to an accepting worker that
                // waits (the kernel woke one); when none does, all are busy and it takes it.
                if (m_isListening &&
                    (!isPriority() || m_waitingAcceptors.load(std::memory_order_relaxed) == 0))
                    acceptAll();
            } else if (tag == &wakeTag) {
                quint64 count = 0;
                (void)!::read(m_wakeFd, &count, sizeof count);
            } else {
                static_cast<Connection *>(tag)->onEvents(events[i].events);
            }
        }
        if (m_hasTasks.load(std::memory_order_relaxed))
            drainTasks();
        closeScheduled();
        if (m_nowMs - m_lastSweepMs >= SweepIntervalMs) {
            sweep();
            closeScheduled();
        }
        if (m_isRetired && m_connections.empty() && !m_hasTasks.load())
            break;
        if (m_stopRequested) {
            if (m_stopDeadlineMs == 0) {
                stopListening();
                m_stopDeadlineMs = m_nowMs + m_options.shutdownGraceMs;
            }
            for (auto &[fd, connection] : m_connections)
                connection->shutdownWhenIdle();
            closeScheduled();
            if (m_connections.empty() || m_nowMs >= m_stopDeadlineMs)
                break;
        }
    }
    for (const auto &[fd, connection] : m_connections)
        if (!connection->isClosed())
            forget(*connection);
    m_connections.clear();
}

} // namespace fazt::http
