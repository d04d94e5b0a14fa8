#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""TCP helpers for the ckq network-namespace tests (standard library only).

  serve HOST PORT [--lifetime S]
      The protected service: greets each connection with a banner line,
      then echoes each line it gets as "echo: LINE", until S seconds pass.
  line HOST PORT [--timeout S]
      Connects and prints the banner line; exit 1 when that fails.
  hold HOST PORT GOFILE [--timeout S]
      Opens one connection and exchanges a line on it ("before ok"), then
      waits for GOFILE to exist and exchanges a second line on the same
      connection ("after ok"). Exit 0 only when both exchanges worked.
  reach HOST PORT [--timeout S]
      Exit 0 when HOST answers a connection attempt at all, even with a
      reset: the path to it works.
"""
import argparse
import os
import select
import socket
import sys
import threading
import time

BANNER = b"SSH-2.0-ckq-test-service\r\n"


def serve_one(conn, deadline):
    try:
        conn.settimeout(max(1.0, deadline - time.monotonic()))
        conn.sendall(BANNER)
        f = conn.makefile("rb")
        for _ in range(1000):
            line = f.readline(4096)
            if not line:
                break
            conn.sendall(b"echo: " + line)
    except OSError:
        pass
    finally:
        conn.close()


def cmd_serve(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.host, args.port))
    s.listen(16)
    deadline = time.monotonic() + args.lifetime
    n = 0
    while n < 10000:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        conn, _ = s.accept()
        n += 1
        threading.Thread(target=serve_one, args=(conn, deadline), daemon=True).start()
    return 0


def read_line(f):
    line = f.readline(4096)
    if not line.endswith(b"\n"):
        raise OSError("connection closed")
    return line.decode(errors="replace").rstrip("\r\n")


def cmd_line(args):
    try:
        c = socket.create_connection((args.host, args.port), timeout=args.timeout)
        c.settimeout(args.timeout)
        print(read_line(c.makefile("rb")))
        c.close()
    except OSError as e:
        print("line: %s" % e, file=sys.stderr)
        return 1
    return 0


def exchange(c, f, word):
    c.sendall(word.encode() + b"\n")
    got = read_line(f)
    if got != "echo: " + word:
        raise OSError("unexpected answer %r" % got)


def cmd_hold(args):
    try:
        c = socket.create_connection((args.host, args.port), timeout=args.timeout)
        c.settimeout(args.timeout)
        f = c.makefile("rb")
        read_line(f)
        exchange(c, f, "before")
        print("before ok", flush=True)
        deadline = time.monotonic() + args.timeout
        while not os.path.exists(args.gofile):
            if time.monotonic() > deadline:
                raise OSError("%s did not appear" % args.gofile)
            time.sleep(0.1)
        exchange(c, f, "after")
        print("after ok", flush=True)
        c.close()
    except OSError as e:
        print("hold: %s" % e, flush=True)
        return 1
    return 0


def cmd_reach(args):
    try:
        socket.create_connection((args.host, args.port), timeout=args.timeout).close()
    except ConnectionRefusedError:
        pass
    except OSError as e:
        print("reach: %s" % e, file=sys.stderr)
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("serve")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    sp.add_argument("--lifetime", type=float, default=300)
    sp.set_defaults(fn=cmd_serve)
    sp = sub.add_parser("line")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    sp.add_argument("--timeout", type=float, default=2)
    sp.set_defaults(fn=cmd_line)
    sp = sub.add_parser("hold")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    sp.add_argument("gofile")
    sp.add_argument("--timeout", type=float, default=30)
    sp.set_defaults(fn=cmd_hold)
    sp = sub.add_parser("reach")
    sp.add_argument("host")
    sp.add_argument("port", type=int)
    sp.add_argument("--timeout", type=float, default=1)
    sp.set_defaults(fn=cmd_reach)
    args = p.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
