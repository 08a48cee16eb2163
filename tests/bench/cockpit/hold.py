#!/usr/bin/env python3
"""hold.py PORT COUNT SECONDS: opens COUNT keep-alive connections to a user site, sends one
request on each (so each is a served, idle keep-alive connection, not a silent socket), and
holds them for SECONDS. Prints how many were answered 200 and how many refused."""
import socket
import sys
import time

port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
held, answered, refused = [], 0, 0
for _ in range(count):
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: demo.localhost\r\n\r\n")
        head = sock.recv(65536)
        if head.startswith(b"HTTP/1.1 200"):
            answered += 1
            held.append(sock)
        else:
            refused += 1
            sock.close()
    except OSError:
        refused += 1
print(f"held={answered} refused={refused}", flush=True)
time.sleep(seconds)
