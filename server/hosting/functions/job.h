#pragma once

#include "functions/functionstore.h"
#include "http/exchange.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <utility>

namespace fazt::hosting::functions {

// What a site's functions are made of at one moment: its active deploy's api/*.js, its
// settings, variables and egress allowlist. Immutable once built; a redeploy or a change of
// variables or allowlist makes a new one (with a new key), and a worker holding an engine for
// the old key asks for the new bundle.
struct Bundle {
    quint64 key = 0; // unique for the life of the server
    QString site;
    qint64 siteId = 0;
    qint64 deployId = 0;
    quint64 version = 0; // FunctionRuntime::invalidate() count when built
    QString settings;
    bool hasMain = false;
    bool isDevelopment = false;
    int timeoutMs = 5000;
    QList<std::pair<QString, QByteArray>> sources; // api/... -> source
    QList<fazt::functions::EnvVar> env;
    QStringList egress;
};

// Called with the response of each function request, on the thread that answers it.
using Counter = std::function<void(const http::Response &)>;

// One request to a function, from the moment its body is in until it is answered.
struct Job {
    std::shared_ptr<const Bundle> bundle;
    // The request's head (its bytes are shared, not copied); read on a pool thread, which must
    // not touch its peer (the connection may be gone by then).
    http::Request request;
    QByteArray path; // decoded, UTF-8
    QByteArray body;
    QByteArray client;
    http::Responder responder;
    Counter counter;
    QElapsedTimer started;
};

} // namespace fazt::hosting::functions
