#!/usr/bin/env python3
"""A misbehaving migration destination, and a snapshot made wrong
(tests/snapshot/run.sh).
usage: fake_dest.py MODE PORTFILE
       fake_dest.py layout IN OUT   (a snapshot whose layout does not fit)
  refuse      read the magic and the first message, answer "refused"
  disconnect  read the magic and the first message, answer "taken", read a
              little of the pages, then close the connection
  silent      read the magic and the first message, never answer (for 10 s)
  garbage     connect to the trapsim migrate-listen whose port is in
              PORTFILE and send bytes that are not a migration stream
Listening modes write the port they listen on to PORTFILE."""
import socket, struct, sys, time

mode, portfile = sys.argv[1], sys.argv[2]

if mode == "layout":
    # relayout IN OUT: an uncompressed snapshot (--snapshot-stored) whose
    # 'vm' section says half the RAM its 'ram' section holds, with its
    # length and CRC made right again: only the layout is wrong
    import zlib
    b = bytearray(open(portfile, "rb").read())
    pos, count = 24, struct.unpack_from("<I", b, 12)[0]
    for _ in range(count):
        name = bytes(b[pos:pos + 8]).rstrip(b"\0")
        raw, stored = struct.unpack_from("<QQ", b, pos + 16)
        if name == b"vm":
            p = pos + 32
            for _ in range(3):   # name, isa, monitor: a 4-byte length, then the bytes
                p += 4 + struct.unpack_from("<I", b, p)[0]
            ram = struct.unpack_from("<Q", b, p)[0]
            struct.pack_into("<Q", b, p, ram // 2)
        pos += 32 + stored
    struct.pack_into("<I", b, len(b) - 4, zlib.crc32(bytes(b[:-4])) & 0xffffffff)
    open(sys.argv[3], "wb").write(b)
    sys.exit(0)

def read_full(c, n):
    b = b""
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b

if mode == "garbage":
    port = int(open(portfile).read().split(":")[-1])
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"TRAPMIG1" + struct.pack("<IQ", 1, 16) + b"not a snapshot!!")
    s.settimeout(10)
    try:
        s.recv(100)
    except OSError:
        pass
    s.close()
    sys.exit(0)

ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
with open(portfile + ".tmp", "w") as f:
    f.write("127.0.0.1:%d\n" % ls.getsockname()[1])
import os
os.rename(portfile + ".tmp", portfile)
ls.settimeout(20)
c, _ = ls.accept()
c.settimeout(20)
read_full(c, 8)
typ, n = struct.unpack("<IQ", read_full(c, 12))
read_full(c, n)
if mode == "silent":
    time.sleep(10)
elif mode == "refuse":
    why = b"no room for another VM"
    c.sendall(struct.pack("<II", 1, len(why)) + why)
else:
    c.sendall(struct.pack("<II", 0, 0))
    read_full(c, 100)
c.close()
