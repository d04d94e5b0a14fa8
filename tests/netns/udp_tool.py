#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""UDP helpers for the ckq network-namespace tests (standard library only).

  send HOST PORT (--hex HEX | --file FILE | --random N) [--count K]
       [--sport P] [--wait MS]
      Sends the payload K times and reports every datagram that comes back
      within MS milliseconds of the last send: "replies N" on stdout, then
      one hex line per reply.
  responder HOST PORT (--hex HEX | --file FILE | --random N) [--lifetime S]
      Answers every datagram it gets on HOST:PORT with the payload (fresh
      random bytes each time with --random) until S seconds have passed;
      prints "got N bytes from ADDR:PORT" for each, flushed.
  pcap-payloads FILE [--src IP] [--sport N] [--dst IP] [--dport N] [--type T]
      Prints "SRC SPORT DST DPORT HEX" for each IPv4 UDP datagram of a
      classic pcap file (tcpdump -w) that matches the filters; --type T
      keeps ckq messages of type T (1 request, 2 challenge, 3 response,
      4 result: byte 5 of the "CKQ" header).
  flood HOST PORT [--mode junk|keyed] [--count N] [--seconds T] [--rate R]
        [--hex HEX] [--server-der FILE] [--sport P]
      Sends datagrams to HOST:PORT until N were sent or T seconds passed,
      whichever comes first, at most R a second (0: as fast as it can).
      junk: random bytes, a valid-looking "CKQ" header with a wrong mac1,
      oversized (1401 to 3000 bytes) and truncated (a prefix of HEX, a
      real message, when given). keyed: HEX is a real message 1 and FILE
      the server's public key in DER: each datagram is it with 8 bytes of
      its ciphertext changed and mac1 recomputed, so it passes the
      server's pre-check and fails after the private-key work. Prints
      "sent N" and the count of each kind ("KIND N" lines).
"""
import argparse
import hashlib
import hmac
import os
import random
import select
import socket
import struct
import sys
import time


def payload_of(args):
    if args.hex is not None:
        return bytes.fromhex(args.hex)
    if args.file is not None:
        with open(args.file, "rb") as f:
            return f.read()
    return None


def cmd_send(args):
    data = payload_of(args)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.sport:
        s.bind(("0.0.0.0", args.sport))
    s.connect((args.host, args.port))
    replies = []
    for _ in range(args.count):
        msg = data if data is not None else os.urandom(args.random)
        try:
            s.send(msg)
        except ConnectionRefusedError:
            pass
    deadline = time.monotonic() + args.wait / 1000.0
    while len(replies) < 1000:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            break
        try:
            replies.append(s.recv(65535))
        except ConnectionRefusedError:
            continue
    print("replies %d" % len(replies))
    for r in replies:
        print(r.hex())
    return 0


def cmd_responder(args):
    data = payload_of(args)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.host, args.port))
    print("listening on %s:%d" % (args.host, args.port), flush=True)
    deadline = time.monotonic() + args.lifetime
    n = 0
    while n < 100000:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        msg, peer = s.recvfrom(65535)
        n += 1
        print("got %d bytes from %s:%d" % (len(msg), peer[0], peer[1]), flush=True)
        s.sendto(data if data is not None else os.urandom(args.random), peer)
    return 0


MAC1_LEN = 16
HDR_LEN = 8


def mac1(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()[:MAC1_LEN]


def junk_datagram(kind, seed):
    if kind == "random":
        return os.urandom(random.randint(0, 1400))
    if kind == "header":
        # A plausible request or response: the header and lengths are right,
        # only mac1 (random) is not.
        mtype = random.choice((1, 3))
        body = os.urandom(random.randint(HDR_LEN + MAC1_LEN, 1400) - HDR_LEN)
        if mtype == 1 and len(body) >= 2:
            body = struct.pack("!H", 256) + body[2:]
        return b"CKQ\x01\x01" + bytes((mtype, 0, 0)) + body
    if kind == "oversized":
        # Mostly one frame; some beyond the MTU, reassembled by conntrack.
        n = random.randint(1401, 1472) if random.random() < 0.9 else random.randint(1473, 3000)
        return b"CKQ\x01\x01\x01\x00\x00" + os.urandom(n - HDR_LEN)
    # truncated
    if seed:
        return seed[:random.randint(0, len(seed) - 1)]
    return b"CKQ\x01\x01\x01\x00\x00"[:random.randint(0, HDR_LEN)]


def keyed_datagrams(seed, key):
    """Endless variants of message 1 SEED, each with a correct mac1."""
    if len(seed) < HDR_LEN + 4 + MAC1_LEN or seed[:3] != b"CKQ" or seed[5] != 1:
        raise ValueError("--hex is not a message 1")
    if not hmac.compare_digest(mac1(key, seed[:-MAC1_LEN]), seed[-MAC1_LEN:]):
        raise ValueError("mac1 of --hex does not verify with --server-der: wrong key?")
    ek_len = struct.unpack("!H", seed[HDR_LEN:HDR_LEN + 2])[0]
    ct_at = HDR_LEN + 2 + ek_len + 2
    if ct_at + 8 > len(seed) - MAC1_LEN:
        raise ValueError("--hex: no ciphertext to change")
    base = bytearray(seed[:-MAC1_LEN])
    n = 0
    while True:
        n += 1
        m = bytearray(base)
        for i, b in enumerate(struct.pack("!Q", n)):
            m[ct_at + i] ^= b
        yield bytes(m) + mac1(key, bytes(m))


def cmd_flood(args):
    seed = bytes.fromhex(args.hex) if args.hex else b""
    counts = {}
    if args.mode == "keyed":
        if not seed or not args.server_der:
            print("flood --mode keyed needs --hex and --server-der", file=sys.stderr)
            return 2
        with open(args.server_der, "rb") as f:
            key = hashlib.sha256(b"ckq suite1 mac1" + f.read()).digest()
        try:
            gen = keyed_datagrams(seed, key)
            first = next(gen)
        except ValueError as e:
            print("flood: %s" % e, file=sys.stderr)
            return 2
        print("mac1 self-check ok", flush=True)

        def make():
            nonlocal first
            if first is not None:
                m, first = first, None
                return "keyed", m
            return "keyed", next(gen)
    else:
        kinds = ("random", "header", "oversized", "truncated")

        def make():
            k = random.choice(kinds)
            return k, junk_datagram(k, seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.sport or args.src:
        s.bind((args.src or "0.0.0.0", args.sport))
    s.connect((args.host, args.port))
    start = time.monotonic()
    deadline = start + args.seconds
    sent = errors = 0
    while sent < args.count:
        now = time.monotonic()
        if now >= deadline:
            break
        if args.rate and sent >= (now - start) * args.rate:
            time.sleep(min(0.005, deadline - now))
            continue
        kind, msg = make()
        try:
            s.send(msg)
        except OSError:
            errors += 1
            continue
        sent += 1
        counts[kind] = counts.get(kind, 0) + 1
    print("sent %d" % sent)
    print("seconds %.1f" % (time.monotonic() - start))
    print("errors %d" % errors)
    for k in sorted(counts):
        print("%s %d" % (k, counts[k]))
    return 0


def ipv4_udp(pkt):
    """(src, sport, dst, dport, payload) of an IPv4 UDP packet, or None."""
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return None
    ihl = (pkt[0] & 15) * 4
    total = struct.unpack("!H", pkt[2:4])[0]
    frag = struct.unpack("!H", pkt[6:8])[0]
    if pkt[9] != 17 or ihl < 20 or frag & 0x3FFF or len(pkt) < ihl + 8:
        return None
    pkt = pkt[:total] if total <= len(pkt) else pkt
    sport, dport, ulen = struct.unpack("!HHH", pkt[ihl:ihl + 6])
    payload = pkt[ihl + 8:ihl + ulen] if ulen >= 8 else b""
    return (socket.inet_ntoa(pkt[12:16]), sport,
            socket.inet_ntoa(pkt[16:20]), dport, payload)


def network_layer(linktype, frame):
    """The IP packet inside a captured frame, or None."""
    if linktype == 1:            # Ethernet, possibly 802.1Q tagged
        off, etype = 12, None
        for _ in range(3):
            if len(frame) < off + 2:
                return None
            etype = struct.unpack("!H", frame[off:off + 2])[0]
            if etype not in (0x8100, 0x88A8):
                break
            off += 4
        return frame[off + 2:] if etype == 0x0800 else None
    if linktype == 113:          # Linux cooked v1
        if len(frame) < 16 or struct.unpack("!H", frame[14:16])[0] != 0x0800:
            return None
        return frame[16:]
    if linktype == 276:          # Linux cooked v2
        if len(frame) < 20 or struct.unpack("!H", frame[0:2])[0] != 0x0800:
            return None
        return frame[20:]
    if linktype in (12, 101, 228):   # raw IP
        return frame
    if linktype == 0:            # BSD loopback
        return frame[4:]
    return None


def pcap_records(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    # A file cut short by a killed tcpdump ends in a partial record: skip it.
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        if off + 16 + incl > len(data):
            break
        yield linktype, data[off + 16:off + 16 + incl]
        off += 16 + incl


def cmd_pcap_payloads(args):
    for linktype, frame in pcap_records(args.file):
        ip = network_layer(linktype, frame)
        u = ipv4_udp(ip) if ip else None
        if not u:
            continue
        src, sport, dst, dport, payload = u
        if ((args.src and src != args.src) or (args.sport and sport != args.sport) or
                (args.dst and dst != args.dst) or (args.dport and dport != args.dport)):
            continue
        if args.type is not None and (len(payload) < 8 or payload[:3] != b"CKQ" or
                                      payload[5] != args.type):
            continue
        print("%s %d %s %d %s" % (src, sport, dst, dport, payload.hex()))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def payload_opts(sp):
        g = sp.add_mutually_exclusive_group(required=True)
        g.add_argument("--hex")
        g.add_argument("--file")
        g.add_argument("--random", type=int)

    sp = sub.add_parser("send")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    payload_opts(sp)
    sp.add_argument("--count", type=int, default=1)
    sp.add_argument("--sport", type=int, default=0)
    sp.add_argument("--wait", type=int, default=1000)
    sp.set_defaults(fn=cmd_send)

    sp = sub.add_parser("responder")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    payload_opts(sp)
    sp.add_argument("--lifetime", type=float, default=60)
    sp.set_defaults(fn=cmd_responder)

    sp = sub.add_parser("pcap-payloads")
    sp.add_argument("file")
    sp.add_argument("--src")
    sp.add_argument("--sport", type=int)
    sp.add_argument("--dst")
    sp.add_argument("--dport", type=int)
    sp.add_argument("--type", type=int)
    sp.set_defaults(fn=cmd_pcap_payloads)

    sp = sub.add_parser("flood")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    sp.add_argument("--mode", choices=("junk", "keyed"), default="junk")
    sp.add_argument("--count", type=int, default=100000)
    sp.add_argument("--seconds", type=float, default=5)
    sp.add_argument("--rate", type=int, default=0)
    sp.add_argument("--hex")
    sp.add_argument("--server-der")
    sp.add_argument("--sport", type=int, default=0)
    sp.add_argument("--src", help="the local address to send from")
    sp.set_defaults(fn=cmd_flood)

    args = p.parse_args()
    if args.cmd == "flood":
        if not 1 <= args.count <= 10000000 or not 0 < args.seconds <= 60 or args.rate < 0:
            p.error("flood takes --count 1 to 10000000, --seconds up to 60, --rate >= 0")
        return args.fn(args)
    if getattr(args, "count", 1) < 1 or getattr(args, "count", 1) > 10000:
        p.error("--count takes 1 to 10000")
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
