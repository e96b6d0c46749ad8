#!/usr/bin/env python3
"""Captures with capture times at the edges of the range, for cli_times.sh.

    usage: gen_times.py DIR

Each file holds one UDP exchange (a query from 10.0.0.1 to 10.0.0.2:53 and
its answer 500 us later, with a distinct client port per file):
  t0.pcap        ts_sec 0: the first packet is at 1970-01-01T00:00:00
  t7fff.pcap     ts_sec 0x7fffffff (2038-01-19T03:14:07)
  t8000.pcap     ts_sec 0x80000000, which libpcap reads as -2^31
  tffff.pcap     ts_sec 0xffffffff, which libpcap reads as -1
  y9999.pcapng   microseconds, 9999-12-31T23:59:59.999000 and on past it
  y20000.pcapng  microseconds, the year 20000
  ns.pcapng      nanoseconds (if_tsresol 9), the last 64-bit time stamp:
                 2554-07-21T23:34:33.709551 (the year 20000 would not fit)
"""
import struct
import sys


def udp_frame(sport, dport, src, dst, payload):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes(src), bytes(dst))
    s = sum(struct.unpack(">10H", ip))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack(">H", ~s & 0xffff) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + udp


def exchange(sport):
    a, b = (10, 0, 0, 1), (10, 0, 0, 2)
    q = udp_frame(sport, 53, a, b, b"\x12\x34\x01\x00" + bytes(8))
    r = udp_frame(53, sport, b, a, b"\x12\x34\x81\x80" + bytes(8))
    return q, r


def pcap(path, sec, sport):
    q, r = exchange(sport)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for usec, fr in ((0, q), (500, r)):
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)) + fr)


def block(btype, body):
    body += bytes(-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng(path, ticks, tsresol, sport):
    """ticks: the time stamps of the query and the answer, in units of
    10^-tsresol seconds."""
    q, r = exchange(sport)
    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A,
                      struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        opts = b""
        if tsresol != 6:
            opts = struct.pack("<HHB3x", 9, 1, tsresol)
        opts += struct.pack("<HH", 0, 0)
        f.write(block(1, struct.pack("<HHI", 1, 0, 65535) + opts))
        for t, fr in zip(ticks, (q, r)):
            body = struct.pack("<IIIII", 0, t >> 32, t & 0xffffffff,
                               len(fr), len(fr)) + fr
            f.write(block(6, body))


def main():
    d = sys.argv[1]
    pcap(d + "/t0.pcap", 0, 40000)
    pcap(d + "/t7fff.pcap", 0x7fffffff, 40001)
    pcap(d + "/t8000.pcap", 0x80000000, 40002)
    pcap(d + "/tffff.pcap", 0xffffffff, 40003)
    end = 253402300800 * 10**6  # 10000-01-01T00:00:00Z in microseconds
    pcapng(d + "/y9999.pcapng", (end - 1000, end + 1000), 6, 40004)
    y20000 = 568971820800 * 10**6  # 20000-01-01T00:00:00Z in microseconds
    pcapng(d + "/y20000.pcapng", (y20000 + 123456, y20000 + 123956), 6,
           40005)
    last = 2**64 - 1
    pcapng(d + "/ns.pcapng", (last - 500000, last), 9, 40006)


if __name__ == "__main__":
    main()
