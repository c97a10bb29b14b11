#!/usr/bin/env python3
"""Sends malformed meta-protocol input and UDP datagrams to a tinc daemon.

Usage: send_bad_input.py HOST PORT CASE
Each case opens its own TCP connection (or UDP socket), sends one kind of bad input and waits a
moment so the daemon handles it. The daemon may keep a rejected connection open (tinc's tarpit),
so nothing here waits for it to close.
"""
import socket
import sys
import time


def tcp(host, port, payload):
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(payload)
        time.sleep(0.5)


def main():
    host, port, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if case == "bogus":
        tcp(host, port, b"hello world\n")
    elif case == "unknown-request":
        tcp(host, port, b"99 something\n")
    elif case == "unauthorized":
        tcp(host, port, b"4 655 10 c\n")
    elif case == "unknown-identity":
        tcp(host, port, b"0 mallory 17\n")
    elif case == "own-name":
        tcp(host, port, sys.argv[4].encode() + b"\n")
    elif case == "overlong":
        tcp(host, port, b"0 " + b"x" * 3000)
    elif case == "bad-metakey":
        # A correct ID for a known node, then a METAKEY whose key has the wrong length.
        tcp(host, port, sys.argv[4].encode() + b"\n1 429 672 0 0 ABCDEF\n")
    elif case == "udp-garbage":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _ in range(20):
                sock.sendto(b"\x00\x00\x00\x01garbage that is not a tinc packet", (host, port))
            time.sleep(0.2)
    else:
        sys.exit("unknown case " + case)


if __name__ == "__main__":
    main()
