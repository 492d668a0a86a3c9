#!/usr/bin/env python3
"""Speaks the GDB remote protocol to `trapsim run --gdb` byte by byte, for
what gdb -batch cannot show: acks and bad checksums, error replies, Ctrl-C
while running, no-ack mode, detach. Usage: rsp.py PORT MAIN_ADDR_HEX"""
import socket
import sys
import time

port = int(sys.argv[1])
main = int(sys.argv[2], 16)


def fail(msg):
    print("rsp: FAIL: " + msg)
    sys.exit(1)


# The stub listens on 127.0.0.1 only (checked before connecting: it stops
# listening once the debugger is in).
with open("/proc/net/tcp") as f:
    rows = [l.split() for l in f.readlines()[1:]]
listen = [r for r in rows if r[3] == "0A" and int(r[1].split(":")[1], 16) == port]
if not listen:
    fail("nothing listens on port %d" % port)
if any(r[1].split(":")[0] != "0100007F" for r in listen):
    fail("listening on %s, not 127.0.0.1 only" % [r[1] for r in listen])

s = socket.create_connection(("127.0.0.1", port), timeout=20)
buf = b""


def recv_byte():
    global buf
    while not buf:
        data = s.recv(4096)
        if not data:
            fail("connection closed")
        buf += data
    b, buf = buf[:1], buf[1:]
    return b


def frame(payload):
    p = payload.encode("latin-1")
    return b"$" + p + b"#%02x" % (sum(p) & 0xFF)


def get_packet(acks=True):
    """Returns the next packet's payload; checks its checksum; skips acks."""
    while True:
        b = recv_byte()
        if b == b"$":
            break
        if b != b"+":
            fail("unexpected byte %r before a packet" % b)
    data = b""
    while True:
        b = recv_byte()
        if b == b"#":
            break
        data += b
    cs = recv_byte() + recv_byte()
    if int(cs, 16) != sum(data) & 0xFF:
        fail("bad checksum on reply %r" % data)
    if acks:
        s.sendall(b"+")
    return data.decode("latin-1")


def expect_ack():
    b = recv_byte()
    if b != b"+":
        fail("expected an ack, got %r" % b)


def ask(payload, acks=True):
    s.sendall(frame(payload))
    if acks:
        expect_ack()
    return get_packet(acks)


def le32(v):
    return v.to_bytes(4, "little").hex()


r = ask("?")
if not r.startswith("T05"):
    fail("? -> %r" % r)
# a bad checksum is answered '-'
s.sendall(b"$g#00")
if recv_byte() != b"-":
    fail("no '-' for a bad checksum")
# malformed packets and memory outside RAM get error replies
for pkt, want in [("mzz", "E02"), ("m4000000,4", "E01"), ("M4000000,1:00", "E01"),
                  ("p", "E02"), ("Pa=1b000000", "E03"), ("Z0,zz", "E02"), ("vCont?", ""),
                  ("qAttached", "1"), ("qC", "QC1")]:
    r = ask(pkt)
    if r != want:
        fail("%s -> %r, expected %r" % (pkt, r, want))
r = ask("qSupported:swbreak+")
if "PacketSize=4000" not in r:
    fail("qSupported -> %r" % r)
r = ask("g")
if len(r) != 128:   # 16 registers of 8 hex digits
    fail("g -> %r" % r)
eip = int.from_bytes(bytes.fromhex(r[64:72]), "little")

# no-ack mode from here on
if ask("QStartNoAckMode") != "OK":
    fail("QStartNoAckMode")
s.sendall(b"+")

# an endless loop at EIP, continue, Ctrl-C: stopped with SIGINT where it loops
orig = ask("m%x,2" % eip, acks=False)
if ask("M%x,2:ebfe" % eip, acks=False) != "OK":
    fail("M")
s.sendall(frame("c"))
time.sleep(0.3)
s.sendall(b"\x03")
r = get_packet(acks=False)
if not r.startswith("T02") or ("08:%s;" % le32(eip)) not in r:
    fail("Ctrl-C -> %r" % r)
if ask("M%x,2:%s" % (eip, orig), acks=False) != "OK":
    fail("M restore")

# a breakpoint at main, continue, then a step
if ask("Z0,%x,1" % main, acks=False) != "OK":
    fail("Z0")
s.sendall(frame("c"))
r = get_packet(acks=False)
if not r.startswith("T05") or ("08:%s;" % le32(main)) not in r:
    fail("c to main -> %r" % r)
if ask("z0,%x,1" % main, acks=False) != "OK":
    fail("z0")
s.sendall(frame("s"))
r = get_packet(acks=False)
if not r.startswith("T05") or ("08:%s;" % le32(main + 1)) not in r:   # push %ebp is 1 byte
    fail("s -> %r" % r)

# detach: the run goes on to its end without the debugger
if ask("D", acks=False) != "OK":
    fail("D")
s.close()
print("rsp: ok")
