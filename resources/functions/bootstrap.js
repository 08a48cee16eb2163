// Evaluated once per engine in a function worker: builds `fazt` from the host object, the
// CommonJS loader, and the function that runs one request and says what the handler answered.
// Errors are caught here so that `throw "text"` is told apart from returning "text".
//
// Nothing here guards the engine's resources: the worker process is the boundary. The kernel
// limits its memory, the server kills it past its deadline, and a crash ends only the worker.
(function (host, env, global) {
    'use strict';
    // Responses made with `new fazt.Response(...)`: only these set a status, headers or raw
    // bytes. A plain object is always JSON data, so a function that echoes what a visitor sent
    // can never let the visitor choose the content type, a cookie or an HTML body.
    const responses = new WeakSet();
    class Response {
        constructor(body, init) {
            const options = init === undefined || init === null ? {} : init;
            this.body = body;
            this.status = options.status === undefined ? 200 : options.status;
            this.headers = Object.assign({}, options.headers || {});
            responses.add(this);
            Object.freeze(this);
        }
    }
    Object.freeze(Response.prototype);
    Object.freeze(Response);
    const fazt = Object.freeze({
        Response,
        kv: Object.freeze({
            get(key) {
                const value = host.kvGet(String(key));
                return value === undefined ? undefined : JSON.parse(value);
            },
            set(key, value, options) {
                const json = JSON.stringify(value);
                if (json === undefined)
                    throw new TypeError('fazt.kv.set: the value must be JSON (not undefined or a function)');
                host.kvSet(String(key), json, options && options.ttl ? Number(options.ttl) : 0);
            },
            delete(key) { host.kvDelete(String(key)); },
            list(prefix) { return host.kvList(prefix === undefined ? '' : String(prefix)); }
        }),
        log(...args) {
            host.log('info', args.map(a => typeof a === 'string' ? a : JSON.stringify(a)).join(' '));
        },
        env: Object.freeze(env),
        fetch(url, options) {
            const o = options || {};
            const body = o.body === undefined ? '' : (typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
            const response = host.fetch(String(url), String(o.method || 'GET'), JSON.stringify(o.headers || {}), body);
            response.json = function () { return JSON.parse(this.body); };
            return response;
        }
    });
    global.console = Object.freeze({ log: fazt.log, info: fazt.log, warn: fazt.log,
        error(...args) { host.log('error', args.map(a => typeof a === 'string' ? a : JSON.stringify(a)).join(' ')); } });
    const modules = Object.create(null);
    function load(path) {
        const cached = modules[path];
        if (cached)
            return cached.exports;
        const module = { exports: {} };
        modules[path] = module;
        try {
            host.compile(path).call(module.exports, module, module.exports,
                name => load(host.resolve(path, String(name))), fazt);
        } catch (e) {
            delete modules[path];
            throw e;
        }
        return module.exports;
    }
    function describe(e) {
        if (!(e instanceof Error))
            return 'Uncaught ' + String(e);
        const where = e.fileName ? ' (' + String(e.fileName).replace(/^file:/, '') + (e.lineNumber ? ':' + e.lineNumber : '') + ')' : '';
        return e.name + ': ' + e.message + where;
    }
    // What the worker reads back, most often one string (one value is much cheaper for the
    // host to read than an object's properties):
    //  - a value answered as JSON with status 200 (the usual case): its JSON text, as is;
    //  - other answers: "#", three digits of status, the kind (n: no body, t: text, j: JSON)
    //    and the body. JSON text never starts with "#", so the two cannot be confused;
    //  - bytes, headers or an odd status: [status, kind, body, headers];
    //  - "!" and a message: the error that stopped the handler.
    function compact(status, kind, body) {
        return '#' + (status === 200 ? '200' : String(status)) + kind + body;
    }
    function normalize(r) {
        if (r === undefined || r === null)
            return '#204n';
        if (typeof r === 'string')
            return compact(200, 't', r);
        if (!responses.has(r)) {
            const json = JSON.stringify(r);
            return json === undefined ? '#204n' : json; // undefined: a function, a symbol
        }
        const status = Number(r.status);
        let body = r.body, kind;
        if (body === undefined || body === null) { kind = 'n'; body = ''; }
        else if (typeof body === 'string') kind = 't';
        else if (body instanceof ArrayBuffer) kind = 'b';
        else if (ArrayBuffer.isView(body)) {
            kind = 'b';
            body = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
        } else {
            kind = 'j';
            body = JSON.stringify(body);
            if (body === undefined) { kind = 'n'; body = ''; }
        }
        const names = Object.keys(r.headers);
        if (names.length === 0 && kind !== 'b' && Number.isInteger(status) && status >= 100 && status <= 999)
            return compact(status, kind, body);
        const headers = {};
        for (const k of names)
            headers[k] = String(r.headers[k]);
        return [status, kind, body, headers];
    }
    // The request handed to the handler: built here from plain values (one object literal's
    // shape, not a property set per call from the host); `json` parses the body on use.
    function Request(method, path, query, headers, body, bytes, client) {
        this.method = method;
        this.path = path;
        this.query = query;
        this.headers = headers;
        this.body = body;
        this.bytes = bytes;
        this.client = client;
    }
    Request.prototype = Object.create(Object.prototype, {
        json: { get() { return JSON.parse(this.body); } }
    });
    // An empty body's bytes: one for all requests, frozen so that none can leave anything on it.
    const NoBytes = Object.freeze(new ArrayBuffer(0));
    // headerText: "name\nvalue\nname\nvalue..." in arrival order, names in lower case (a
    // field never holds a line break: the HTTP parser refuses them); repeats are joined.
    // The host passes the very same string while a client's headers stay the same, so the
    // last one parsed is kept (frozen) and each request gets its own copy.
    let lastHeaderText = '', lastHeaders = Object.freeze({});
    function headersOf(headerText) {
        if (headerText !== lastHeaderText) {
            const headers = {};
            const list = headerText.split('\n');
            for (let i = 0; i + 1 < list.length; i += 2) {
                const name = list[i];
                headers[name] = Object.prototype.hasOwnProperty.call(headers, name)
                    ? headers[name] + ', ' + list[i + 1] : list[i + 1];
            }
            lastHeaderText = headerText;
            lastHeaders = Object.freeze(headers);
        }
        return Object.assign({}, lastHeaders);
    }
    // body and bytes: undefined for an empty body.
    return function invoke(method, path, query, headerText, body, bytes, client) {
        try {
            const headers = headersOf(headerText || '');
            const request = new Request(method, path, query || {}, headers,
                body === undefined ? '' : body, bytes === undefined ? NoBytes : bytes, client);
            const main = load('api/main.js');
            const handler = typeof main === 'function' ? main : main && main.handler;
            if (typeof handler !== 'function')
                throw new Error('api/main.js must export a function: module.exports = function (request) { ... }');
            return normalize(handler(request));
        } catch (e) {
            return '!' + describe(e);
        }
    };
})
