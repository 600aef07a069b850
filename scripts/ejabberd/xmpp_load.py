#!/usr/bin/env python3
"""XMPP load for the ejabberd comparison (docs/benchmarks.md, "Against ejabberd").

Raw-socket clients, no XMPP library: SCRAM-SHA-1 login, resource binding,
initial presence. P sender/receiver pairs, M online 1:1 chat messages of B
bytes each, at most W in flight per pair (sent and not yet received), the
way relay-bench's throughput workload drives the relay. Prints the delivered
messages per second and the server's CPU per message (user + system time of
the given pid, from /proc, over the message phase).

With --idle N: N accounts (idle0 ...) registered in-band (XEP-0077), then N
logged-in sessions, one per account, with initial presence, that stay quiet
(at most 50 logging in at a time), and the growth of the server's resident
memory (VmRSS) over the logins divided by N.
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import time

NS = "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'"
TICK = os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


class Client:
    def __init__(self, reader, writer, host):
        self.reader, self.writer, self.host = reader, writer, host
        self.buffer = b""

    async def until(self, pattern):
        """Reads until `pattern` (bytes regex) matches the buffer; returns the match and drops what precedes its end."""
        while True:
            match = re.search(pattern, self.buffer, re.S)
            if match:
                self.buffer = self.buffer[match.end():]
                return match
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("the server closed the stream")
            self.buffer += data

    async def open_stream(self):
        self.writer.write(f"<?xml version='1.0'?><stream:stream to='{self.host}' {NS}>".encode())
        await self.writer.drain()
        return await self.until(rb"<stream:features.*?</stream:features>")

    async def login(self, user, password, resource, presence=True):
        features = (await self.open_stream()).group(0)
        if b"SCRAM-SHA-1" not in features:
            raise RuntimeError(f"no SCRAM-SHA-1 offered: {features!r}")
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n={user},r={nonce}"
        self.writer.write(
            f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>"
            f"{base64.b64encode(('n,,' + first_bare).encode()).decode()}</auth>".encode())
        challenge = await self.until(rb"<challenge[^>]*>(.*?)</challenge>")
        server_first = base64.b64decode(challenge.group(1)).decode()
        parts = dict(item.split("=", 1) for item in server_first.split(","))
        salted = hashlib.pbkdf2_hmac("sha1", password.encode(), base64.b64decode(parts["s"]), int(parts["i"]))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha1).digest()
        final_bare = f"c=biws,r={parts['r']}"
        message = f"{first_bare},{server_first},{final_bare}".encode()
        signature = hmac.new(hashlib.sha1(client_key).digest(), message, hashlib.sha1).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        final = f"{final_bare},p={base64.b64encode(proof).decode()}"
        self.writer.write(
            f"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{base64.b64encode(final.encode()).decode()}</response>".encode())
        outcome = await self.until(rb"<(success|failure)[^>]*(/>|>.*?</(success|failure)>)")
        if outcome.group(1) != b"success":
            raise RuntimeError(f"login of {user} failed: {outcome.group(0)!r}")
        await self.open_stream()
        self.writer.write(
            f"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{resource}</resource></bind></iq>".encode())
        await self.until(rb"<iq[^>]*id='bind'.*?</iq>")
        if presence:
            self.writer.write(b"<presence/>")
        await self.writer.drain()


async def connect(args, user, resource, presence=True):
    reader, writer = await asyncio.open_connection(args.address, args.port)
    client = Client(reader, writer, args.host)
    await client.login(user, args.password, resource, presence)
    return client


async def register(args, user):
    reader, writer = await asyncio.open_connection(args.address, args.port)
    client = Client(reader, writer, args.host)
    await client.open_stream()
    writer.write(f"<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>{user}</username>"
                 f"<password>{args.password}</password></query></iq>".encode())
    answer = await client.until(rb"<iq[^>]*id='reg'[^>]*(/>|>.*?</iq>)")
    writer.close()
    if b"type='result'" not in answer.group(0) and b'type="result"' not in answer.group(0):
        raise RuntimeError(f"registering {user} failed: {answer.group(0)!r}")


async def idle(args):
    gate = asyncio.Semaphore(50)

    async def registered(index):
        async with gate:
            await register(args, f"idle{index}")

    await asyncio.gather(*(registered(i) for i in range(args.idle)))
    await asyncio.sleep(1)
    before = rss_kib(args.pid)
    started = time.monotonic()

    async def one(index):
        async with gate:
            return await connect(args, f"idle{index}", "phone")

    clients = await asyncio.gather(*(one(i) for i in range(args.idle)))
    elapsed = time.monotonic() - started
    await asyncio.sleep(2)  # let the server settle before reading its memory
    after = rss_kib(args.pid)
    for client in clients:
        client.writer.close()
    return {"workload": "idle", "sessions": args.idle, "seconds_to_log_in": round(elapsed, 1),
            "server_rss_kib_before": before, "server_rss_kib_after": after,
            "server_rss_kib_per_session": round((after - before) / args.idle, 1)}


async def pairs(args):
    body = "x" * args.size
    clients = []
    for index in range(args.pairs):
        sender = await connect(args, f"s{index}", "bench")
        receiver = await connect(args, f"r{index}", "bench")
        clients.append((sender, receiver))
    received = [0] * args.pairs
    progress = [asyncio.Event() for _ in range(args.pairs)]
    total = args.pairs * args.messages

    async def receive(index, receiver):
        count = 0
        while count < args.messages:
            data = await receiver.reader.read(65536)
            if not data:
                raise ConnectionError("receiver closed")
            # Count whole opening tags, carrying a partial one to the next read.
            data = receiver.buffer + data
            cut = data.rfind(b"<")
            receiver.buffer = data[cut:] if cut >= 0 and b">" not in data[cut:] else b""
            scanned = data[:cut] if receiver.buffer else data
            count += scanned.count(b"<message")
            received[index] = count
            progress[index].set()

    async def send(index, sender):
        to = f"r{index}@{args.host}/bench"
        sent = 0
        while sent < args.messages:
            while sent - received[index] >= args.window:
                progress[index].clear()
                await progress[index].wait()
            burst = min(args.window - (sent - received[index]), args.messages - sent)
            stanzas = [f"<message to='{to}' type='chat' id='m{sent + k}'><body>{body}</body></message>".encode()
                       for k in range(burst)]
            if args.coalesce:
                sender.writer.write(b"".join(stanzas))
            else:
                # One write (one send(2)) per stanza, as a client sending as the user types does.
                for stanza in stanzas:
                    sender.writer.write(stanza)
                    await sender.writer.drain()
                    await asyncio.sleep(0)
            sent += burst
            await sender.writer.drain()

    cpu_before, started = cpu_seconds(args.pid), time.monotonic()
    await asyncio.gather(*(receive(i, r) for i, (_, r) in enumerate(clients)),
                         *(send(i, s) for i, (s, _) in enumerate(clients)))
    elapsed, cpu = time.monotonic() - started, cpu_seconds(args.pid) - cpu_before
    for sender, receiver in clients:
        sender.writer.close()
        receiver.writer.close()
    return {"workload": "pairs", "coalesced": args.coalesce, "messages": total, "per_second": round(total / elapsed),
            "server_cpu_us_per_message": round(cpu * 1e6 / total, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pid", type=int, required=True, help="the server process (beam.smp)")
    parser.add_argument("--host", default="bench.test")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=15222)
    parser.add_argument("--password", default="pw")
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--coalesce", action="store_true",
                        help="write a window's stanzas in one write (default: one write per stanza)")
    parser.add_argument("--idle", type=int, default=0,
                        help="instead: this many idle sessions, and the server's RSS per session")
    args = parser.parse_args()
    result = asyncio.run(idle(args) if args.idle else pairs(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
