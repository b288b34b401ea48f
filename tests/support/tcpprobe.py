"""
TCP listeners and probes for the firewall tests, run as a script inside a network namespace
(``ip netns exec <ns> python tcpprobe.py ...``); standard library only.

    listen PORT...                        echo server on [::]:PORT (IPv4 too) for each PORT; prints
                                          "ready" once every socket listens, runs until killed
    connect SOURCE HOST PORT...           one connect per PORT from SOURCE; prints JSON
                                          {port: "ok" | error name}
    hold SOURCE HOST PORT STOPFILE        keeps one connection to PORT, sends a byte every 20 ms
                                          and reads its echo, and opens a new connection every
                                          100 ms, until STOPFILE exists; prints JSON counts
"""

import errno
import json
import os
import selectors
import socket
import sys
import time

TIMEOUT = 1.5


def listen(ports):
    sel = selectors.DefaultSelector()
    for port in ports:
        # Dual stack: IPv4 and IPv6 clients, as sshd listens on a real node.
        sock = socket.socket(socket.AF_INET6)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::", port))
        sock.listen(64)
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, "listener")
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if key.data == "listener":
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, "conn")
                continue
            try:
                data = sock.recv(4096)
            except (BlockingIOError, ConnectionError):
                data = b""
            if data:
                try:
                    sock.sendall(data)
                    continue
                except OSError:
                    pass
            sel.unregister(sock)
            sock.close()


def _connect(source, host, port):
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.settimeout(TIMEOUT)
    sock.bind((source, 0))
    sock.connect((host, port))
    return sock


def _error_name(exc):
    if isinstance(exc, socket.timeout):
        return "timeout"
    return errno.errorcode.get(exc.errno, str(exc)) if exc.errno else type(exc).__name__


def connect(source, host, ports):
    result = {}
    for port in ports:
        try:
            _connect(source, host, port).close()
            result[port] = "ok"
        except OSError as exc:
            result[port] = _error_name(exc)
    print(json.dumps(result), flush=True)


def hold(source, host, port, stopfile):
    counts = {"echoes": 0, "echo_failures": 0, "connects": 0, "connect_failures": 0}
    held = _connect(source, host, port)
    last_connect = 0.0
    print("holding", flush=True)
    while not os.path.exists(stopfile):
        try:
            held.sendall(b"x")
            if held.recv(1) == b"x":
                counts["echoes"] += 1
            else:
                counts["echo_failures"] += 1
        except OSError:
            counts["echo_failures"] += 1
        if time.monotonic() - last_connect >= 0.1:
            last_connect = time.monotonic()
            try:
                _connect(source, host, port).close()
                counts["connects"] += 1
            except OSError:
                counts["connect_failures"] += 1
        time.sleep(0.02)
    held.close()
    print(json.dumps(counts), flush=True)


def main(argv):
    mode, args = argv[0], argv[1:]
    if mode == "listen":
        listen([int(port) for port in args])
    elif mode == "connect":
        connect(args[0], args[1], [int(port) for port in args[2:]])
    elif mode == "hold":
        hold(args[0], args[1], int(args[2]), args[3])
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
