#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Test tool that edits TCG crypto-agile firmware event logs and CEL-JSON logs the
# way root on a gateway could before its agent sends them: events appended,
# removed, moved or given another type. Digests of new events are computed here;
# nothing of this runs in the product.
#
#   fwlog.py IN OUT EDIT [EDIT...]      one firmware log to another
#     append:PCR:TYPE:HEXDATA           an event whose digest in every bank of the
#                                       log is the hash of HEXDATA
#     appendd:PCR:TYPE:HEXDATA:DIGESTS  an event with the given digests
#                                       (sha1=HEX,sha256=HEX: each bank of the log)
#     retype:N:TYPE                     event N (1 = the first after the header)
#     digest:N:HEXDATA                  event N's digests become hashes of HEXDATA
#     data:N:HEXDATA                    event N's data becomes HEXDATA, its digests
#                                       kept (data that no longer matches them)
#     tail:N                            move event N to the end (as edits run)
#     drop:N                            remove event N
#   fwlog.py digests IN N               print event N's digests (sha1=HEX,sha256=HEX)
#   fwlog.py var NAME VALUEHEX          print a UEFI_VARIABLE_DATA of EFI_GLOBAL_VARIABLE
#   fwlog.py cel-append CEL PCR DIGESTS EVENTTYPE  append a record to a CEL log
#   fwlog.py cel-cut CEL STAGE          remove that stage's record from a CEL log
#                                       and print its digests (as DIGESTS)
# Event numbers count the events after the Spec ID header, from 1, as gwverifier
# names them. TYPE is a number (0x80000003) or a name below.
import hashlib
import json
import struct
import sys

ALGS = {0x0004: 'sha1', 0x000b: 'sha256', 0x000c: 'sha384', 0x000d: 'sha512'}
TYPES = {'EV_IPL': 0x0d, 'EV_SEPARATOR': 0x04, 'EV_EFI_VARIABLE_DRIVER_CONFIG': 0x80000001,
         'EV_EFI_VARIABLE_BOOT': 0x80000002, 'EV_EFI_BOOT_SERVICES_APPLICATION': 0x80000003,
         'EV_EFI_ACTION': 0x80000007}
EFI_GLOBAL = bytes.fromhex('61dfe48bca93d211aa0d00e098032b8c')


def parse(b):
    o = 28
    (nalgs,) = struct.unpack_from('<I', b, 32 + 24)
    sizes = {}
    for i in range(nalgs):
        a, s = struct.unpack_from('<HH', b, 32 + 28 + 4 * i)
        sizes[a] = s
    (hsz,) = struct.unpack_from('<I', b, o)
    o += 4 + hsz
    header, evs = b[:o], []
    while o < len(b):
        pcr, typ, cnt = struct.unpack_from('<III', b, o)
        o += 12
        ds = []
        for _ in range(cnt):
            (a,) = struct.unpack_from('<H', b, o)
            ds.append([a, b[o + 2:o + 2 + sizes[a]]])
            o += 2 + sizes[a]
        (sz,) = struct.unpack_from('<I', b, o)
        evs.append({'pcr': pcr, 'type': typ, 'digests': ds, 'data': b[o + 4:o + 4 + sz]})
        o += 4 + sz
    return header, sizes, evs


def serialize(header, evs):
    out = bytearray(header)
    for e in evs:
        out += struct.pack('<III', e['pcr'], e['type'], len(e['digests']))
        for a, d in e['digests']:
            out += struct.pack('<H', a) + d
        out += struct.pack('<I', len(e['data'])) + e['data']
    return bytes(out)


def hashes(sizes, data):
    return [[a, hashlib.new(ALGS[a], data).digest()] for a in sizes]


def type_of(s):
    return TYPES[s] if s in TYPES else int(s, 0)


def edit(sizes, evs, op):
    f = op.split(':')
    if f[0] == 'append':
        evs.append({'pcr': int(f[1]), 'type': type_of(f[2]),
                    'digests': hashes(sizes, bytes.fromhex(f[3])), 'data': bytes.fromhex(f[3])})
    elif f[0] == 'appendd':
        given = dict(x.split('=') for x in f[4].split(','))
        ds = [[a, bytes.fromhex(given[ALGS[a]])] for a in sizes]
        evs.append({'pcr': int(f[1]), 'type': type_of(f[2]), 'digests': ds,
                    'data': bytes.fromhex(f[3])})
    elif f[0] == 'retype':
        evs[int(f[1]) - 1]['type'] = type_of(f[2])
    elif f[0] == 'digest':
        evs[int(f[1]) - 1]['digests'] = hashes(sizes, bytes.fromhex(f[2]))
    elif f[0] == 'data':
        evs[int(f[1]) - 1]['data'] = bytes.fromhex(f[2])
    elif f[0] == 'tail':
        evs.append(evs[int(f[1]) - 1])
        evs[int(f[1]) - 1] = None
    elif f[0] == 'drop':
        evs[int(f[1]) - 1] = None
    else:
        raise SystemExit(f'fwlog.py: unknown edit {op}')


def cel_records(path):
    with open(path, 'rb') as f:
        return [json.loads(r) for r in f.read().split(b'\x1e') if r.strip()]


def cel_write(path, recs):
    with open(path, 'wb') as f:
        for i, r in enumerate(recs):
            r['recnum'] = i
            f.write(b'\x1e' + json.dumps(r, separators=(',', ':')).encode() + b'\n')


def main(a):
    if a[0] == 'digests':
        _, sizes, evs = parse(open(a[1], 'rb').read())
        print(','.join(f'{ALGS[alg]}={d.hex()}' for alg, d in evs[int(a[2]) - 1]['digests']))
    elif a[0] == 'var':
        name = a[1].encode('utf-16-le')
        val = bytes.fromhex(a[2])
        print((EFI_GLOBAL + struct.pack('<QQ', len(a[1]), len(val)) + name + val).hex())
    elif a[0] == 'cel-append':
        recs = cel_records(a[1])
        recs.append({'recnum': 0, 'pcr': int(a[2]),
                     'digests': [{'hashAlg': k, 'digest': v}
                                 for k, v in (x.split('=') for x in a[3].split(','))],
                     'content_type': 'gatewarden', 'content': {'eventType': a[4]}})
        cel_write(a[1], recs)
    elif a[0] == 'cel-cut':
        recs = cel_records(a[1])
        cut = [r for r in recs if r.get('content', {}).get('stage') == a[2]][0]
        cel_write(a[1], [r for r in recs if r is not cut])
        print(','.join(f"{d['hashAlg']}={d['digest']}" for d in cut['digests']))
    else:
        header, sizes, evs = parse(open(a[0], 'rb').read())
        for op in a[2:]:
            edit(sizes, evs, op)
        open(a[1], 'wb').write(serialize(header, [e for e in evs if e is not None]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
