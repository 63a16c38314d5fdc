# SPDX-License-Identifier: Apache-2.0
"""A TPM command proxy in front of a swtpm, shared by the scenario tools that sit
between the agent and the TPM (tpmcut.py, tpmrec.py), and a parser of the TPM 2.0
command and response framing they look at.

The proxy listens on LISTEN_PORT for TPM commands (TCTI
swtpm:host=127.0.0.1,port=LISTEN_PORT) and on LISTEN_PORT+1, passed through to
swtpm's control port SWTPM_PORT+1. relay() forwards one command at a time and hands
each command and its response to a callback, which decides what the client gets.
"""
import socket
import struct
import threading
import time

TPM_ST_SESSIONS = 0x8002
TPM_RS_PW = 0x40000009

# Handles in the handle area of the commands the scenarios parse (TPM 2.0 Part 3).
COMMAND_HANDLES = {
    0x11F: 2,  # NV_UndefineSpace
    0x120: 2,  # EvictControl
    0x124: 1,  # ChangeEPS
    0x126: 1,  # Clear
    0x129: 1,  # HierarchyChangeAuth
    0x12A: 1,  # NV_DefineSpace
    0x131: 1,  # CreatePrimary
    0x134: 2,  # NV_Increment
    0x137: 2,  # NV_Write
    0x138: 2,  # NV_WriteLock
    0x147: 2,  # ActivateCredential
    0x14E: 2,  # NV_Read
    0x151: 2,  # PolicySecret
    0x153: 1,  # Create
    0x157: 1,  # Load
    0x158: 1,  # Quote
    0x176: 2,  # StartAuthSession
    0x182: 1,  # PCR_Extend
}


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
        # shutdown, not only close: the other direction's thread is blocked in recv
        # on one of these, which close alone would not wake, and the swtpm serves
        # one control connection at a time.
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


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


def start(lport, tport):
    """Listen on lport (commands) and lport+1 (control, passed to tport+1)."""
    data_l, ctrl_l = listen(lport), listen(lport + 1)
    threading.Thread(target=serve_ctrl, args=(ctrl_l, tport + 1), daemon=True).start()
    return data_l


def relay(data_l, tport, exchange, seconds):
    """Serve clients one after the other for at most `seconds`: each command goes
    to the swtpm at tport, then exchange(cmd, code, rsp, rc, upstream) returns the
    response to give the client, or None to stop (the client is disconnected).
    True when exchange stopped it, False when the time ran out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data_l.settimeout(max(0.1, deadline - time.monotonic()))
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
                out = exchange(cmd, code, rsp, rc, upstream)
                if out is None:
                    return True
                client.sendall(out)
        except (EOFError, OSError):
            pass
        finally:
            client.close()
            upstream.close()
    return False


def tpm2b(buf, off):
    """A TPM2B at off: (its bytes, the offset after it); ValueError past the end."""
    if off + 2 > len(buf):
        raise ValueError("TPM2B size past the end")
    n = struct.unpack_from(">H", buf, off)[0]
    if off + 2 + n > len(buf):
        raise ValueError("TPM2B past the end")
    return buf[off + 2:off + 2 + n], off + 2 + n


def parse_command(cmd):
    """(code, handles, sessions, parameters) of a command; sessions are dicts with
    handle, nonce, attrs, hmac. A command code not in COMMAND_HANDLES without
    sessions gives ([], [], None); ValueError for one with sessions, or a malformed
    authorization area."""
    tag, size, code = struct.unpack_from(">HII", cmd, 0)
    if size != len(cmd):
        raise ValueError("size field %d, %d bytes" % (size, len(cmd)))
    if code not in COMMAND_HANDLES:
        if tag == TPM_ST_SESSIONS:
            raise ValueError("command 0x%x with sessions: handle count unknown" % code)
        return code, [], [], None
    nh = COMMAND_HANDLES[code]
    handles = list(struct.unpack_from(">%dI" % nh, cmd, 10))
    off = 10 + 4 * nh
    if tag != TPM_ST_SESSIONS:
        return code, handles, [], cmd[off:]
    (auth_size,) = struct.unpack_from(">I", cmd, off)
    off += 4
    end = off + auth_size
    if end > len(cmd):
        raise ValueError("authorization area past the end")
    sessions = []
    while off < end:
        (h,) = struct.unpack_from(">I", cmd, off)
        nonce, off = tpm2b(cmd, off + 4)
        attrs = cmd[off]
        hmac, off = tpm2b(cmd, off + 1)
        sessions.append({"handle": h, "nonce": nonce, "attrs": attrs, "hmac": hmac})
    if off != end:
        raise ValueError("authorization area size mismatch")
    return code, handles, sessions, cmd[end:]
