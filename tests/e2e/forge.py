#!/usr/bin/env python3
"""Writes hand-made .hwt recordings for the tests of hostile input: the store's framing (header,
chunks with CRC-32C, zstd payloads through the zstd program) around whatever bytes a test asks
for, so a test can damage one field of an otherwise valid recording."""
import struct
import subprocess

CHUNK_EVENTS, CHUNK_STREAM, CHUNK_META, CHUNK_END = 2, 3, 1, 6
ITEM_RING, ITEM_READ, ITEM_SOURCE = 1, 2, 3


def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_T = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = (crc >> 8) ^ _T[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


def header():
    return b"HWTRACE\0" + struct.pack("<II", 1, 0)


def chunk(ctype, payload, compress=False):
    stored, flags = payload, 0
    if compress:
        stored = subprocess.run(["zstd", "-q", "-19", "-c"], input=payload,
                                stdout=subprocess.PIPE, check=True).stdout
        flags = 1
    hdr = struct.pack("<IIII", ctype, flags, len(stored), len(payload))
    # The CRC covers the first 16 header bytes then the stored payload.
    crc = crc32c(stored, crc32c(hdr))
    return hdr + struct.pack("<II", crc, 0) + stored


def event_desc(ev_id, sample_type, regs_user=0, stack_user=0, read_format=0, period=1,
               ev_type=1, config=0, name=b"cpu-clock", plugin=b"sample"):
    return (struct.pack("<QQQQQQQIiII", ev_id, ev_id, config, sample_type, read_format,
                        regs_user, period, ev_type, -1, stack_user, 0)
            + name.ljust(64, b"\0") + plugin.ljust(32, b"\0"))


def item(ts, kind, data, ident=0, cpu=0):
    pad = b"\0" * (-len(data) & 7)
    return struct.pack("<QQiHHII", ts, ident, cpu, kind, 0, len(data), 0) + data + pad


def end_rec(ts, pid):
    return struct.pack("<QiiiIQQQQQ", ts, pid, 0, 0, 0, 0, 0, 0, 0, 0)
