#!/usr/bin/env python3
"""Writes a pcap of one TCP connection to 443 whose client and server
identify as SSH with hostile bytes in the banner (ESC sequences, C1
controls, bytes that are not UTF-8, quotes, commas, backslashes) and a TLS
ClientHello on 8443 whose SNI holds the same.
usage: hostile_tokens.py OUT.pcap"""
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, flags, seq, ack, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6,
                     0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp


def conversation(sport, dport, client_data, server_data):
    c, s = [10, 0, 0, 1], [10, 0, 0, 2]
    yield frame(c, s, sport, dport, 0x02, 100, 0)
    yield frame(s, c, dport, sport, 0x12, 500, 101)
    yield frame(c, s, sport, dport, 0x10, 101, 501)
    yield frame(c, s, sport, dport, 0x18, 101, 501, client_data)
    yield frame(s, c, dport, sport, 0x18, 501, 101 + len(client_data),
                server_data)


evil = b"\x1b[2J\x1b]0;owned\x07\xc2\x9b31m\xff\xfe\"quote\",comma\\back"


def client_hello(name):
    sni = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    ext = struct.pack("!HH", 0, len(sni)) + sni
    body = (b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\x00\x02\x13\x01" +
            b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


frames = list(conversation(40000, 443, b"SSH-2.0-" + evil + b"\r\n",
                           b"SSH-2.0-" + evil + b"\r\n"))
frames += list(conversation(40001, 8443, client_hello(evil), b""))[:4]
with open(sys.argv[1], "wb") as out:
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, f in enumerate(frames):
        out.write(struct.pack("<IIII", 1700000000 + i, 0, len(f), len(f)))
        out.write(f)
