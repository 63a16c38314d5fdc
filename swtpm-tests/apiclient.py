#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Test client for the verifier's HTTPS API: sends requests a well-behaved agent
# would not (wrong proofs, replays, garbage) and reports status and body.
#
#   apiclient.py URL CA [--cert C --key K] [--keep-alive-pause SECONDS]
#                REQUEST [REQUEST...]
# A REQUEST is METHOD:PATH[:@FILE|:JSON]; each prints one line
# "STATUS BODY". With --keep-alive-pause S, all requests go over one connection
# and the client waits S seconds (reading a line from stdin if S is "stdin")
# between the first and second request.
import http.client
import json
import ssl
import sys
import time
import urllib.parse


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        print(__doc__ or "usage", file=sys.stderr)
        return 2
    url, ca = args[0], args[1]
    rest = args[2:]
    cert = key = None
    pause = None
    reqs = []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a == '--cert':
            cert = rest[i + 1]
            i += 2
        elif a == '--key':
            key = rest[i + 1]
            i += 2
        elif a == '--keep-alive-pause':
            pause = rest[i + 1]
            i += 2
        else:
            reqs.append(a)
            i += 1
    u = urllib.parse.urlparse(url)
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert:
        ctx.load_cert_chain(cert, key)
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=15)
    for n, r in enumerate(reqs):
        method, _, rest_ = r.partition(':')
        path, _, body = rest_.partition(':')
        if body.startswith('@'):
            with open(body[1:], 'rb') as f:
                data = f.read()
        elif body:
            data = body.encode()
        else:
            data = None
        headers = {'Content-Type': 'application/json'} if data is not None else {}
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode('utf-8', 'replace')
            print(resp.status, text.replace('\n', ' '))
        except (ssl.SSLError, ConnectionError, http.client.HTTPException) as e:
            print(0, f'transport error: {type(e).__name__}: {e}')
            conn.close()
            conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=15)
        sys.stdout.flush()
        if n == 0 and pause is not None:
            if pause == 'stdin':
                sys.stdin.readline()
            else:
                time.sleep(float(pause))
    conn.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
