#!/usr/bin/env python3
"""Times a real client's sign-in and sync while hostile connections hold the server's front door.

Starts verdant-server (the Release build of the `server` preset) on a free loopback port with
fresh development certificates and demo data, opens IDLE plain TCP connections that never start
TLS and SLOW TLS connections that send a request head one header line at a time (slowloris),
then runs `verdant login` and `verdant sync` as the field expert and reports the wall time of
both together. Each round re-opens the hostile connections first; the figure is the median.

    cmake --preset server && cmake --build --preset server
    bench/front_door_siege.py [--idle 200] [--slow 200] [--rounds 5]

Loopback only; every connection it opens is closed when it ends.
"""

import argparse
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "build", "server", "server", "verdant-server")
CLI = os.path.join(ROOT, "build", "server", "client-sdk", "verdant")


def start_server(work):
    certs = os.path.join(work, "certs")
    subprocess.run([os.path.join(ROOT, "certs", "make-dev-certs.sh"), certs], check=True,
                   stdout=subprocess.DEVNULL)
    data = os.path.join(work, "data")
    subprocess.run([SERVER, "admin", "seed-demo", "--data-dir=" + data], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(work, "port")
    server = subprocess.Popen(
        [SERVER, "--data-dir=" + data, "--tls-cert=" + os.path.join(certs, "server.pem"),
         "--tls-key=" + os.path.join(certs, "server.key"), "--port=0",
         "--port-file=" + port_file],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(port_file):
            with open(port_file) as f:
                return server, int(f.read()), certs, data
        time.sleep(0.05)
    server.kill()
    sys.exit("the server did not start")


def password_of(data, user):
    with open(os.path.join(data, "demo-logins.txt")) as f:
        for line in f:
            fields = line.split()
            if fields and fields[0] == user:
                return fields[2]
    sys.exit("no demo login for " + user)


class Siege:
    """Idle and slow connections to the server, held open until close()."""

    def __init__(self, port, ca, idle, slow):
        self.sockets = []
        self.slow = []
        self.stop = threading.Event()
        for _ in range(idle):
            self.sockets.append(socket.create_connection(("127.0.0.1", port)))
        context = ssl.create_default_context(cafile=ca)
        for _ in range(slow):
            tls = context.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                                      server_hostname="localhost")
            tls.sendall(b"POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\n")
            self.slow.append(tls)
        self.trickler = threading.Thread(target=self.trickle, daemon=True)
        self.trickler.start()

    def trickle(self):
        line = 0
        while not self.stop.wait(1.0):
            line += 1
            for tls in self.slow:
                try:
                    tls.sendall(b"X-Slow-%d: 1\r\n" % line)
                except OSError:
                    pass  # the server gave up on it (header timeout): as it should

    def close(self):
        self.stop.set()
        self.trickler.join()
        for s in self.sockets + self.slow:
            try:
                s.close()
            except OSError:
                pass


def client_sync(port, ca, password, home):
    env = dict(os.environ, VERDANT_DATA_DIR=home, VERDANT_CA=ca,
               VERDANT_SERVER="https://localhost:%d" % port)
    started = time.monotonic()
    subprocess.run([CLI, "login", "--tenant", "demo", "--user", "expert", "--password-stdin"],
                   input=password.encode(), env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([CLI, "sync"], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for binary in (SERVER, CLI):
        if not os.path.exists(binary):
            sys.exit(binary + " is missing: cmake --preset server && cmake --build --preset server")

    work = tempfile.mkdtemp(prefix="verdant-siege-")
    server = None
    try:
        server, port, certs, data = start_server(work)
        ca = os.path.join(certs, "ca.pem")
        password = password_of(data, "expert")
        quiet, besieged = [], []
        for round_ in range(args.rounds):
            quiet.append(client_sync(port, ca, password, os.path.join(work, "q%d" % round_)))
            siege = Siege(port, ca, args.idle, args.slow)
            try:
                besieged.append(client_sync(port, ca, password, os.path.join(work, "b%d" % round_)))
            finally:
                siege.close()
        print("server %s, %d idle + %d slow-header connections, %d rounds" %
              (SERVER, args.idle, args.slow, args.rounds))
        print("sign-in + sync, no siege:   median %.3f s (min %.3f, max %.3f)" %
              (statistics.median(quiet), min(quiet), max(quiet)))
        print("sign-in + sync, besieged:   median %.3f s (min %.3f, max %.3f)" %
              (statistics.median(besieged), min(besieged), max(besieged)))
        return 0 if max(besieged) < 2.0 else 1
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
