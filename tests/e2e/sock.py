#!/usr/bin/env python3
"""Small socket helper for the l3nft end-to-end tests.

  sock.py serve LOG READY [--max-time S] SPEC...
      SPEC is PROTO:ADDR:PORT[:reuseport], e.g. tcp:0.0.0.0:5001,
      (PROTO everywhere: tcp, udp, udplite (datagrams as udp), sctp
      (a stream as tcp), dccp)
      udp:[::]:5001, tcp:192.0.2.10:5002:reuseport. Binds every SPEC
      (IPv6 sockets are V6ONLY), then creates READY. Each TCP line or UDP
      datagram received is logged to LOG as
          PROTO LOCAL_ADDR LOCAL_PORT PEER_ADDR PEER_PORT PAYLOAD
      and answered with "echo PAYLOAD" (UDP answers leave from the address
      the datagram was sent to). Exits on SIGTERM or after --max-time.

  sock.py send PROTO DST PORT PAYLOAD [--bind ADDR] [--sport PORT] [--timeout S]
      Sends PAYLOAD (TCP: one line on a new connection) and waits for the
      echo. --sport binds the source port (with SO_REUSEADDR, to reuse a
      tuple someone else used). Prints one line and exits with:
          0 "reply TEXT"   1 "refused"   2 "timeout"   3 "error TEXT"

  sock.py bind PROTO ADDR PORT
      bind() only (IPv6: V6ONLY); prints "ok LOCAL_ADDR" (getsockname) or
      "error ERRNO_NAME" and exits 0 or 1.

  sock.py local PROTO DST PORT PAYLOAD connect|sendto [--bind ADDR]
      As send (TCP connect, connected UDP, or unconnected UDP sendto) and
      also prints the socket's own address: "reply TEXT local ADDR".

  sock.py icmp SECONDS
      A raw IPPROTO_ICMP socket (bound nowhere: it may get every ICMP
      packet of the stack) listens for SECONDS and prints the destination
      address of each echo request it got, one per line.

  sock.py hold DST PORT PAYLOAD GOFILE [--timeout S]
      TCP: connect, send PAYLOAD-1 and read its echo, then wait until
      GOFILE exists, send PAYLOAD-2 on the same connection and read its
      echo. Prints "reply ..." per step; exit status as for send.

Every wait is bounded.
"""
import errno
import os
import selectors
import signal
import socket
import struct
import sys
import time

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)


# PROTO -> (socket type, IP protocol); stream ones are served as TCP
PROTOS = {
    "tcp": (socket.SOCK_STREAM, 0),
    "udp": (socket.SOCK_DGRAM, 0),
    "udplite": (socket.SOCK_DGRAM, 136),
    "sctp": (socket.SOCK_STREAM, 132),
    "dccp": (6, 33),  # SOCK_DCCP, IPPROTO_DCCP
}


def stream(proto):
    return PROTOS[proto][0] != socket.SOCK_DGRAM


def split_addr(text):
    """'[::1]:80' or '1.2.3.4:80' -> (addr, rest)."""
    if text.startswith("["):
        end = text.index("]")
        return text[1:end], text[end + 2:]
    addr, _, rest = text.partition(":")
    return addr, rest


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def opt(args, name, default):
    if name in args:
        i = args.index(name)
        val = args[i + 1]
        del args[i:i + 2]
        return val
    return default


class Server:
    def __init__(self, log, specs):
        self.log = open(log, "a", buffering=1)
        self.sel = selectors.DefaultSelector()
        self.bufs = {}
        for spec in specs:
            self.open(spec)

    def open(self, spec):
        proto, rest = spec.split(":", 1)
        addr, rest = split_addr(rest)
        parts = rest.split(":")
        port = int(parts[0])
        fam = family_of(addr)
        s = socket.socket(fam, *PROTOS[proto])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if "reuseport" in parts[1:]:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if fam == socket.AF_INET6:
            # "dual": a dual-stack socket (IPV6_V6ONLY=0)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                         0 if "dual" in parts[1:] else 1)
        if not stream(proto):
            if fam == socket.AF_INET:
                s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            else:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        s.bind((addr, port))
        if stream(proto):
            s.listen(64)
            self.sel.register(s, selectors.EVENT_READ, ("listen", port, proto))
        else:
            self.sel.register(s, selectors.EVENT_READ, ("udp", port, proto))

    def write(self, proto, laddr, lport, paddr, pport, payload):
        self.log.write("%s %s %d %s %d %s\n" % (proto, laddr, lport, paddr, pport, payload))

    def on_listen(self, s, proto):
        try:
            c, _ = s.accept()
        except OSError:
            return
        c.setblocking(False)
        self.bufs[c] = b""
        self.sel.register(c, selectors.EVENT_READ, ("conn", 0, proto))

    def on_conn(self, c, proto):
        try:
            data = c.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.sel.unregister(c)
            self.bufs.pop(c, None)
            c.close()
            return
        buf = self.bufs[c] + data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            text = line.decode(errors="replace").strip()
            la, lp = c.getsockname()[:2]
            pa, pp = c.getpeername()[:2]
            self.write(proto, la, lp, pa, pp, text)
            try:
                c.sendall(("echo %s\n" % text).encode())
            except OSError:
                pass
        self.bufs[c] = buf

    def on_udp(self, s, port, proto):
        try:
            data, anc, _, peer = s.recvmsg(4096, 256)
        except OSError:
            return
        text = data.decode(errors="replace").strip()
        local, cmsg = "?", []
        for level, ctype, cdata in anc:
            if level == socket.IPPROTO_IP and ctype == IP_PKTINFO:
                local = socket.inet_ntop(socket.AF_INET, cdata[8:12])
                cmsg = [(level, IP_PKTINFO, struct.pack("=i4s4s", 0, cdata[8:12], b"\0" * 4))]
            elif level == socket.IPPROTO_IPV6 and ctype == IPV6_PKTINFO:
                local = socket.inet_ntop(socket.AF_INET6, cdata[:16])
                cmsg = [(level, IPV6_PKTINFO, struct.pack("=16si", cdata[:16], 0))]
        self.write(proto, local, port, peer[0], peer[1], text)
        try:
            s.sendmsg([("echo %s" % text).encode()], cmsg, 0, peer)
        except OSError:
            pass

    def run(self, deadline):
        while time.monotonic() < deadline:
            for key, _ in self.sel.select(timeout=0.5):
                kind, port, proto = key.data
                if kind == "listen":
                    self.on_listen(key.fileobj, proto)
                elif kind == "conn":
                    self.on_conn(key.fileobj, proto)
                else:
                    self.on_udp(key.fileobj, port, proto)


def serve(args):
    max_time = float(opt(args, "--max-time", "300"))
    log, ready, specs = args[0], args[1], args[2:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = Server(log, specs)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    srv.run(time.monotonic() + max_time)
    return 0


def result(kind, text=""):
    print(("%s %s" % (kind, text)).strip())
    sys.stdout.flush()
    return {"reply": 0, "refused": 1, "timeout": 2}.get(kind, 3)


def classify(exc):
    if isinstance(exc, socket.timeout):
        return result("timeout")
    if isinstance(exc, OSError) and exc.errno in (errno.ECONNREFUSED, errno.ECONNRESET):
        return result("refused")
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH,
                                                  errno.EACCES, errno.EPERM):
        return result("refused", os.strerror(exc.errno))
    return result("error", str(exc))


def read_line(s):
    buf = b""
    while b"\n" not in buf:
        data = s.recv(4096)
        if not data:
            raise ConnectionResetError(errno.ECONNRESET, "closed")
        buf += data
    return buf.split(b"\n", 1)[0].decode(errors="replace")


def connect(proto, dst, port, bind, timeout, sport=0):
    fam = family_of(dst)
    s = socket.socket(fam, *PROTOS[proto])
    s.settimeout(timeout)
    if bind or sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((bind or ("::" if fam == socket.AF_INET6 else "0.0.0.0"), sport))
    s.connect((dst, port))
    return s


def send(args):
    timeout = float(opt(args, "--timeout", "2"))
    bind = opt(args, "--bind", None)
    sport = int(opt(args, "--sport", "0"))
    proto, dst, port, payload = args[0], args[1], int(args[2]), args[3]
    try:
        s = connect(proto, dst, port, bind, timeout, sport)
        if stream(proto):
            s.sendall((payload + "\n").encode())
            return result("reply", read_line(s))
        s.send(payload.encode())
        return result("reply", s.recv(4096).decode(errors="replace"))
    except Exception as exc:  # noqa: BLE001 - every failure is a result
        return classify(exc)


def bind_only(args):
    proto, addr, port = args[0], args[1], int(args[2])
    fam = family_of(addr)
    s = socket.socket(fam, *PROTOS[proto])
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        s.bind((addr, port))
    except OSError as exc:
        print("error %s" % errno.errorcode.get(exc.errno, str(exc.errno)))
        return 1
    print("ok %s" % s.getsockname()[0])
    return 0


def local(args):
    timeout = float(opt(args, "--timeout", "2"))
    bind = opt(args, "--bind", None)
    proto, dst, port, payload, mode = args[0], args[1], int(args[2]), args[3], args[4]
    try:
        if mode == "sendto":
            s = socket.socket(family_of(dst), socket.SOCK_DGRAM)
            s.settimeout(timeout)
            if bind:
                s.bind((bind, 0))
            s.sendto(payload.encode(), (dst, port))
            me = s.getsockname()[0]
            text = s.recv(4096).decode(errors="replace")
        else:
            s = connect(proto, dst, port, bind, timeout)
            me = s.getsockname()[0]
            if proto == "tcp":
                s.sendall((payload + "\n").encode())
                text = read_line(s)
            else:
                s.send(payload.encode())
                text = s.recv(4096).decode(errors="replace")
        return result("reply", "%s local %s" % (text, me))
    except Exception as exc:  # noqa: BLE001
        return classify(exc)


def icmp(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    deadline = time.monotonic() + float(args[0])
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return 0
        s.settimeout(left)
        try:
            pkt = s.recv(65535)
        except socket.timeout:
            return 0
        ihl = (pkt[0] & 0x0f) * 4
        if len(pkt) > ihl and pkt[ihl] == 8:
            sys.stdout.write(socket.inet_ntop(socket.AF_INET, pkt[16:20]) + "\n")
            sys.stdout.flush()


def hold(args):
    timeout = float(opt(args, "--timeout", "20"))
    dst, port, payload, gofile = args[0], int(args[1]), args[2], args[3]
    deadline = time.monotonic() + timeout
    try:
        s = connect("tcp", dst, port, None, 3)
        s.sendall(("%s-1\n" % payload).encode())
        result("reply", read_line(s))
        while not os.path.exists(gofile):
            if time.monotonic() > deadline:
                return result("timeout", "waiting for " + gofile)
            time.sleep(0.05)
        s.sendall(("%s-2\n" % payload).encode())
        return result("reply", read_line(s))
    except Exception as exc:  # noqa: BLE001
        return classify(exc)


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 3
    cmd, args = argv[1], argv[2:]
    if cmd == "serve" and len(args) >= 3:
        return serve(args)
    if cmd == "send" and len(args) >= 4:
        return send(args)
    if cmd == "bind" and len(args) >= 3:
        return bind_only(args)
    if cmd == "local" and len(args) >= 5:
        return local(args)
    if cmd == "icmp" and len(args) >= 1:
        return icmp(args)
    if cmd == "hold" and len(args) >= 4:
        return hold(args)
    sys.stderr.write(__doc__)
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
