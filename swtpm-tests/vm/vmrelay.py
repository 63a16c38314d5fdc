#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Relays the test gateway's virtio-serial port to the verifier on 127.0.0.1.

usage: vmrelay.py QMP_SOCKET SERIAL_SOCKET PORT_ID VERIFIER_PORT

A virtio-serial port is one byte stream; the guest relays one TCP connection at a
time through it (socat max-children=1). Connection boundaries come from QEMU's QMP
events: VSERPORT_CHANGE open=true (the guest opened the port for a connection)
connects to the verifier, open=false (the guest closed it) drops that connection.
When the verifier closes first, what the guest sends until its next open or close
is dropped. The guest's side (init) ends a connection idle for 3 s (the verifier's
idle limit is 10 s) and reads the port for 2 s after its client closed, which
takes in the verifier's last bytes. (Dropping the chardev connection to tell the
guest lost the guest's next connection: a guest port opened while no host is
connected reads end-of-file.) Bytes the guest sends
before the open event is read are held and sent once connected. Exits when QEMU
closes the QMP socket. One line per event on standard error.
"""
import json
import selectors
import socket
import sys
import time


def log(msg):
    print(f"vmrelay: {msg}", file=sys.stderr, flush=True)


def connect_unix(path, seconds=30.0):
    deadline = time.monotonic() + seconds
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Relay:
    def __init__(self, qmp_path, serial_path, port_id, vport):
        self.serial_path = serial_path
        self.port_id = port_id
        self.vport = vport
        self.sel = selectors.DefaultSelector()
        self.qmp = connect_unix(qmp_path)
        self.qmp_buf = b""
        self.sel.register(self.qmp, selectors.EVENT_READ, "qmp")
        self.serial = None
        self.serial_connect()
        self.dead = False
        self.verifier = None
        self.pending = b""
        self.conns = 0

    def serial_connect(self):
        self.serial = connect_unix(self.serial_path)
        self.sel.register(self.serial, selectors.EVENT_READ, "serial")


    def verifier_open(self):
        if self.verifier is not None:
            return
        try:
            v = socket.create_connection(("127.0.0.1", self.vport), timeout=10)
        except OSError as e:
            log(f"cannot connect to the verifier: {e}; dropping the guest's side")
            self.pending = b""
            self.dead = True
            return
        v.settimeout(None)
        self.verifier = v
        self.sel.register(v, selectors.EVENT_READ, "verifier")
        self.conns += 1
        log(f"connection {self.conns}: guest opened the port, connected to the verifier")
        if self.pending:
            v.sendall(self.pending)
            self.pending = b""

    def verifier_close(self, why):
        if self.verifier is None:
            return
        self.sel.unregister(self.verifier)
        self.verifier.close()
        self.verifier = None
        log(f"connection {self.conns}: {why}")

    def on_qmp(self):
        data = self.qmp.recv(65536)
        if not data:
            return False
        self.qmp_buf += data
        while b"\n" in self.qmp_buf:
            line, self.qmp_buf = self.qmp_buf.split(b"\n", 1)
            if not line.strip():
                continue
            msg = json.loads(line)
            if "QMP" in msg:
                self.qmp.sendall(b'{"execute": "qmp_capabilities"}\n')
            elif msg.get("event") == "VSERPORT_CHANGE":
                d = msg.get("data", {})
                if d.get("id") != self.port_id:
                    continue
                self.pending = b""
                self.dead = False
                if d.get("open"):
                    self.verifier_open()
                else:
                    self.verifier_close("guest closed the port")
        return True

    def on_serial(self):
        data = self.serial.recv(65536)
        if not data:
            log("QEMU closed the serial socket")
            return False
        if self.verifier is not None:
            self.verifier.sendall(data)
        elif not self.dead:
            self.pending += data
        return True

    def on_verifier(self):
        try:
            data = self.verifier.recv(65536)
        except ConnectionError:
            data = b""
        if data:
            self.serial.sendall(data)
            return
        self.verifier_close("the verifier closed")
        self.dead = True

    def run(self):
        while True:
            for key, _ in self.sel.select():
                # A close in this round may have ended the socket a key names.
                if key.data == "qmp" and not self.on_qmp():
                    return
                if key.data == "serial" and key.fileobj is self.serial:
                    if not self.on_serial():
                        return
                if key.data == "verifier" and key.fileobj is self.verifier:
                    self.on_verifier()


def main():
    if len(sys.argv) != 5:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    relay = Relay(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
    log("relaying the guest's port to 127.0.0.1:%d" % int(sys.argv[4]))
    relay.run()
    log(f"done after {relay.conns} connection(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
