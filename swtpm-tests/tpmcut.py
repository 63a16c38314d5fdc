#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A power cut at a chosen TPM command: a proxy in front of a swtpm that passes
commands through until the COUNT-th successful response to command code CC, then
SIGKILLs the swtpm (PID) before that response reaches the client, and exits.

usage: tpmcut.py LISTEN_PORT SWTPM_PORT CC COUNT SWTPM_PID
LISTEN_PORT takes the TPM commands (TCTI swtpm:host=127.0.0.1,port=LISTEN_PORT),
LISTEN_PORT+1 is passed through to swtpm's control port SWTPM_PORT+1. Exits 0
after the cut, 1 when the client went away first; prints "cut after N" or "no cut".
Bounded: gives up after 120 s without a cut.
"""
import os
import signal
import socket
import struct
import sys
import threading
import time


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def recv_message(sock):
    """One TPM command or response: tag (2), size (4), code (4), then the rest."""
    head = recv_exact(sock, 10)
    _tag, size, code = struct.unpack(">HII", head)
    if size < 10 or size > 1 << 16:
        raise EOFError
    return head + recv_exact(sock, size - 10), code


def pump(a, b):
    try:
        while True:
            data = a.recv(4096)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass


def serve_ctrl(listener, target):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        upstream = socket.create_connection(("127.0.0.1", target))
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()


def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(4)
    return s


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    lport, tport = int(sys.argv[1]), int(sys.argv[2])
    cc, count, pid = int(sys.argv[3], 0), int(sys.argv[4]), int(sys.argv[5])
    data_l, ctrl_l = listen(lport), listen(lport + 1)
    threading.Thread(target=serve_ctrl, args=(ctrl_l, tport + 1), daemon=True).start()
    data_l.settimeout(120)
    seen = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            client, _ = data_l.accept()
        except socket.timeout:
            break
        client.settimeout(60)
        upstream = socket.create_connection(("127.0.0.1", tport))
        try:
            while True:
                cmd, code = recv_message(client)
                upstream.sendall(cmd)
                rsp, rc = recv_message(upstream)
                if code == cc and rc == 0:
                    seen += 1
                    if seen == count:
                        os.kill(pid, signal.SIGKILL)
                        print(f"cut after {seen}", flush=True)
                        client.close()
                        return 0
                client.sendall(rsp)
        except (EOFError, OSError):
            pass
        finally:
            client.close()
            upstream.close()
    print("no cut", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
