#!/usr/bin/env python3
"""Slow HTTP clients against the metrics endpoint (tests/metrics_slow.sh).

    usage: slow_clients.py PORT COUNT SECONDS

Keeps COUNT connections open to 127.0.0.1:PORT (only ever 127.0.0.1) for
SECONDS: each sends "GET /metrics HTTP/1.1" and then one header line every
2 to 4 seconds, never the blank line that ends the request. A connection
the server closes is opened again, so the pressure stays on for the whole
run. Prints one line at the end:

    opened N closed_by_server N longest_closed S longest_open S

longest_closed is the longest life of a connection the server closed,
longest_open that of one still open at the end (both in seconds).
"""
import random
import selectors
import socket
import sys
import time

HOST = "127.0.0.1"


def main():
    port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    sel = selectors.DefaultSelector()
    conns = {}  # socket -> [opened_at, next_header_at, headers_sent]
    stats = {"opened": 0, "closed": 0, "longest_closed": 0.0}
    rng = random.Random(14)

    def open_one(now):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((HOST, port))
            s.sendall(b"GET /metrics HTTP/1.1\r\n")
        except OSError:
            s.close()
            return
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        conns[s] = [now, now + rng.uniform(2, 4), 0]
        stats["opened"] += 1

    def drop(s, now):
        sel.unregister(s)
        stats["closed"] += 1
        stats["longest_closed"] = max(stats["longest_closed"], now - conns[s][0])
        del conns[s]
        s.close()

    start = time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        # At most 10 opens per round of 50 ms or more: a server that
        # closes at once is not flooded.
        for _ in range(min(10, count - len(conns))):
            open_one(time.monotonic())
        round_end = time.monotonic() + 0.05
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                drop(s, time.monotonic())
        now = time.monotonic()
        for s, c in list(conns.items()):
            if now >= c[1]:
                c[2] += 1
                c[1] = now + rng.uniform(2, 4)
                try:
                    s.send(b"X-Slow-%d: %d\r\n" % (c[2], c[2]))
                except OSError:
                    drop(s, now)
        time.sleep(max(0.0, round_end - time.monotonic()))
    now = time.monotonic()
    longest_open = max((now - c[0] for c in conns.values()), default=0.0)
    print(
        "opened %d closed_by_server %d longest_closed %.1f longest_open %.1f"
        % (stats["opened"], stats["closed"], stats["longest_closed"], longest_open)
    )
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
