#!/usr/bin/env python3
"""The owner's view of the cockpit: admin requests at a steady pace, timed one by one.

probe.py PORT TOKEN SECONDS MODE [--tls] [--host admin.localhost] [--path /api/sites] [--nice N]
MODE: keepalive (one connection for every request) or fresh (a new connection each time,
the TCP and TLS handshakes included in the time). One request every 50 ms. Prints one line:
"n=N ok=OK p50=… p99=… max=… statuses=200:…" (milliseconds).

--nice: the probe's own nice value, in a session (and so, under Linux's autogroup scheduler,
an autogroup) of its own at that value. The owner's browser runs on another machine; here the
probe shares two cores with the load generator, and at nice 0, or in wrk's session where a
nice value counts only against wrk's own threads, its wake-ups wait behind wrk's, which
measures the client's scheduling, not the server. The benchmark runs it at -10 (as root) and
says so; 0 shows the client-side share."""
import argparse
import os
import socket
import ssl
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("token")
    parser.add_argument("seconds", type=float)
    parser.add_argument("mode", choices=["keepalive", "fresh"])
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--host", default="admin.localhost")
    parser.add_argument("--path", default="/api/sites")
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args()
    if args.nice:
        try:
            os.setsid()
            with open("/proc/self/autogroup", "w") as autogroup:
                autogroup.write(str(args.nice))
        except OSError:
            pass  # no autogroup scheduler, or not root
        try:
            os.setpriority(os.PRIO_PROCESS, 0, args.nice)
        except OSError:
            pass  # not root: measured at the nice value it has

    context = None
    if args.tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    authorization = f"Authorization: Bearer {args.token}\r\n" if args.token else ""
    request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}\r\n"
               f"{authorization}\r\n").encode()

    def connect():
        sock = socket.create_connection(("127.0.0.1", args.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if context:
            sock = context.wrap_socket(sock, server_hostname=args.host)
        return sock

    def exchange(sock):
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                raise ConnectionError("closed before the head")
            data += piece
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            if name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                close = True
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                raise ConnectionError("closed in the body")
            body += piece
        return status, close

    times, statuses = [], {}
    sock = None
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            if sock is None or args.mode == "fresh":
                if sock is not None:
                    sock.close()
                sock = connect()
            status, close = exchange(sock)
            if close:
                sock.close()
                sock = None
        except (OSError, ConnectionError, ValueError, IndexError):
            status = 0  # refused, reset or timed out
            if sock is not None:
                sock.close()
            sock = None
        elapsed = (time.monotonic() - started) * 1000
        times.append(elapsed)
        statuses[status] = statuses.get(status, 0) + 1
        time.sleep(max(0.0, args.interval - (time.monotonic() - started)))
    times.sort()

    def pick(q):
        return times[min(len(times) - 1, int(q * len(times)))] if times else float("nan")

    ok = sum(count for code, count in statuses.items() if 200 <= code < 300)
    print(f"n={len(times)} ok={ok} p50={pick(0.5):.2f} p99={pick(0.99):.2f} "
          f"max={times[-1] if times else float('nan'):.2f} statuses="
          + ",".join(f"{code}:{count}" for code, count in sorted(statuses.items())))


if __name__ == "__main__":
    main()
