#!/usr/bin/env python3
"""Writes the payloads of every chunk of a .hwt recording to stdout, decompressed (zstd frames
through the zstd program), so a test can search what a recording really stores.
Usage: hwt_payloads.py FILE > payloads.bin"""
import struct
import subprocess
import sys

data = open(sys.argv[1], "rb").read()
if data[:8] != b"HWTRACE\0":
    sys.exit("%s: not an hwtrace recording" % sys.argv[1])
off, frames, out = 16, [], sys.stdout.buffer
while off + 24 <= len(data):
    ctype, flags, stored, raw = struct.unpack_from("<IIII", data, off)
    payload = data[off + 24:off + 24 + stored]
    off += 24 + stored
    if flags & 1:
        frames.append(payload)
    else:
        out.write(payload)
# zstd decompresses concatenated frames as one stream.
out.write(subprocess.run(["zstd", "-q", "-d", "-c"], input=b"".join(frames),
                         stdout=subprocess.PIPE, check=True).stdout)
