"""What a hostile client does to a relay, bounded, each followed by the same
checks: the relay process is alive, health says SERVING, a legitimate pair
still exchanges a message, and its RSS comes back within a stated bound of
what it was before the attacks.

Any self-signed certificate can open connections and streams, so most
attacks need no registration. Raw HTTP/2 frames come from the `h2` package.

Usage: hostile.py --port P --pid PID --relay-cert PEM --work DIR --root REPO
Exit 0 and a last line "HOSTILE OK" on success.
"""
import argparse
import os
import queue
import socket
import ssl
import struct
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Interop"))
from relay_stubs import generate_stubs, make_identity, queued_frames, register_request  # noqa: E402

# RSS may stay at most this much over its baseline after an attack (caches warmed up, SQLite's page cache);
# the relay trims its allocator every 15 s, and a check waits up to 40 s for it.
RSS_BOUND_KIB = 40 * 1024


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit(f"the relay (pid {pid}) is gone")


class Relay:
    def __init__(self, args):
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        from relay.v1 import client_pb2, client_pb2_grpc, session_pb2

        self.grpc, self.health_pb2, self.health_pb2_grpc = grpc, health_pb2, health_pb2_grpc
        self.client_pb2, self.client_pb2_grpc, self.session_pb2 = client_pb2, client_pb2_grpc, session_pb2
        self.port, self.pid, self.work = args.port, args.pid, args.work
        with open(args.relay_cert, "rb") as f:
            self.relay_cert = f.read()

    def identity(self):
        cert, key, fingerprint = make_identity()
        return cert, key, fingerprint

    def channel(self, identity=None, options=()):
        cert, key, _ = identity or self.identity()
        credentials = self.grpc.ssl_channel_credentials(
            root_certificates=self.relay_cert, private_key=key, certificate_chain=cert
        )
        return self.grpc.secure_channel(f"localhost:{self.port}", credentials, options=list(options))

    def tls_socket(self, identity=None):
        """A raw TLS connection speaking h2, with a client certificate."""
        cert, key, _ = identity or self.identity()
        paths = []
        for suffix, data in (("cert", cert), ("key", key)):
            path = os.path.join(self.work, f"{uuid.uuid4()}.{suffix}.pem")
            with open(path, "wb") as f:
                f.write(data)
            paths.append(path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.load_cert_chain(paths[0], paths[1])
        context.set_alpn_protocols(["h2"])
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return context.wrap_socket(raw, server_hostname="localhost")

    def serving(self):
        with self.channel() as channel:
            stub = self.health_pb2_grpc.HealthStub(channel)
            reply = stub.Check(self.health_pb2.HealthCheckRequest(service=""), timeout=10)
            return reply.status == self.health_pb2.HealthCheckResponse.SERVING

    def register(self, user, device):
        identity = self.identity()
        channel = self.channel(identity)
        stub = self.client_pb2_grpc.ClientStub(channel)
        stub.Register(register_request(self.client_pb2, user, device), timeout=10)
        return identity, channel, stub, f"{user}/{device}"


class Pair:
    """Alice and Bob, registered once, in a direct conversation: the legitimate users."""

    def __init__(self, relay):
        self.relay = relay
        _, _, self.alice, self.alice_device = relay.register("alice@localhost", "phone")
        _, _, self.bob, self.bob_device = relay.register("bob@localhost", "phone")
        self.chat = self.alice.CreateConversation(
            relay.client_pb2.CreateConversationRequest(
                kind=relay.client_pb2.CONVERSATION_KIND_DIRECT, members=["bob@localhost"]
            ),
            timeout=10,
        ).id

    def exchange(self):
        """Alice sends; Bob's stream delivers it and he acks it."""
        pb = self.relay.session_pb2
        message_id = str(uuid.uuid4())
        send = pb.SendRequest(message_id=message_id, conversation_id=self.chat)
        send.copies.add(device=self.bob_device, ciphertext=b"sealed:still-here")
        self.alice.Send(send, timeout=10)
        outbound = queue.Queue()
        responses = self.bob.Connect(queued_frames(outbound), timeout=20)
        found = False
        try:
            for frame in responses:
                entries = []
                kind = frame.WhichOneof("frame")
                if kind == "envelope":
                    entries = [frame.envelope]
                elif kind == "sync":
                    entries = [e.envelope for e in frame.sync.entries if e.WhichOneof("entry") == "envelope"]
                for envelope in entries:
                    outbound.put(pb.ClientFrame(ack=pb.Ack(cursor=envelope.cursor)))
                    found = found or envelope.message_id == message_id
                if found:
                    break
        finally:
            outbound.put(None)
            responses.cancel()
        if not found:
            raise SystemExit("the legitimate pair's message did not arrive")


def abandoned_watches(relay, rounds=3, calls=3000):
    """Health/Watch calls the client abandons: half reset (RST_STREAM), half dropped with their connection."""
    request = relay.health_pb2.HealthCheckRequest(service="")
    for _ in range(rounds):
        channels = [relay.channel() for _ in range(calls // 100)]
        watches = []
        for channel in channels:
            stub = relay.health_pb2_grpc.HealthStub(channel)
            for _ in range(100):
                watches.append(stub.Watch(request))
        for index, watch in enumerate(watches):
            next(watch)  # the first status: the call is live on the relay
            if index % 2 == 0:
                watch.cancel()
        for channel in channels:
            channel.close()


def concurrent_watches(relay, count=150):
    """150 Watch calls on one connection: the relay advertises 100 streams, the client queues the rest."""
    with relay.channel() as channel:
        stub = relay.health_pb2_grpc.HealthStub(channel)
        request = relay.health_pb2.HealthCheckRequest(service="")
        watches = [stub.Watch(request, timeout=30) for _ in range(count)]
        served = []

        # 100 answer at once; the others start as those end (each call ends once answered).
        def first_status(watch):
            try:
                reply = next(watch)
                served.append(reply.status == relay.health_pb2.HealthCheckResponse.SERVING)
            finally:
                watch.cancel()

        threads = [threading.Thread(target=first_status, args=(watch,)) for watch in watches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        served = sum(served)
        if served != count:
            raise SystemExit(f"only {served} of {count} concurrent Watch calls were served")


def send_data(connection, stream, data):
    """Queues `data` on the stream in frames the peer accepts, as far as the flow-control window allows; how much."""
    sent = 0
    while sent < len(data):
        room = min(connection.max_outbound_frame_size, connection.local_flow_control_window(stream), len(data) - sent)
        if room <= 0:
            break
        connection.send_data(stream, data[sent : sent + room])
        sent += room
    return sent


def h2_connection(relay, identity=None):
    import h2.config
    import h2.connection

    sock = relay.tls_socket(identity)
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    sock.sendall(connection.data_to_send())
    return sock, connection


def grpc_headers(path):
    return [
        (":method", "POST"), (":scheme", "https"), (":path", path), (":authority", "localhost"),
        ("content-type", "application/grpc"), ("te", "trailers"),
    ]


def unfinished_messages(relay, connections=4, streams=100, chunk=256 * 1024):
    """Streams that announce a 4 MiB message and send part of it, never finishing."""
    opened = []
    for _ in range(connections):
        sock, connection = h2_connection(relay)
        for index in range(streams):
            stream = connection.get_next_available_stream_id()
            connection.send_headers(stream, grpc_headers("/relay.v1.Client/Register"))
            send_data(connection, stream, struct.pack(">BI", 0, 4 * 1024 * 1024 - 1) + b"x" * (chunk - 5))
            sock.sendall(connection.data_to_send())
        opened.append(sock)
    time.sleep(1)  # the relay reads what the windows let through
    for sock in opened:
        sock.close()


def rapid_resets(relay, connections=40, streams=200):
    """Streams opened and reset at once, spread over many connections from one address; how many
    connections the relay closed (it bounds how fast one address opens streams, whatever the connection)."""
    import h2.errors
    import h2.events

    opened = [h2_connection(relay) for _ in range(connections)]
    for sock, connection in opened:
        try:
            for _ in range(streams):
                stream = connection.get_next_available_stream_id()
                connection.send_headers(stream, grpc_headers("/grpc.health.v1.Health/Check"))
                connection.reset_stream(stream, error_code=h2.errors.ErrorCodes.CANCEL)
            sock.sendall(connection.data_to_send())
        except OSError:
            pass  # already closed by the relay
    closed = 0
    deadline = time.monotonic() + 3
    for sock, connection in opened:
        try:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            while True:
                data = sock.recv(65536)
                if not data:
                    closed += 1
                    break
                events = connection.receive_data(data)
                if any(isinstance(event, h2.events.ConnectionTerminated) for event in events):
                    closed += 1
                    break
        except socket.timeout:
            pass  # still open
        except OSError:
            closed += 1  # reset or cut by the relay
        finally:
            sock.close()
    return closed


def non_reading_session(relay, heartbeats=200_000):
    """A registered device that floods its Connect stream with heartbeats and never reads the replies."""
    identity, _, _, _ = relay.register("mallory@localhost", "phone")
    pb = relay.session_pb2
    sock, connection = h2_connection(relay, identity)
    stream = connection.get_next_available_stream_id()
    connection.send_headers(stream, grpc_headers("/relay.v1.Client/Connect"))
    sock.sendall(connection.data_to_send())
    frame = pb.ClientFrame(heartbeat=pb.Heartbeat(client_time_ms=1)).SerializeToString()
    message = struct.pack(">BI", 0, len(frame)) + frame
    batch = message * 500
    sock.settimeout(2)
    sent = 0
    try:
        while sent < heartbeats:
            window = connection.local_flow_control_window(stream)
            if window < len(batch):
                # Take the relay's window updates, but never acknowledge its data: it cannot send more.
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    break
                if not data:
                    break
                connection.receive_data(data)
                sock.sendall(connection.data_to_send())
                continue
            send_data(connection, stream, batch)
            sock.sendall(connection.data_to_send())
            sent += 500
    except OSError:
        pass  # the relay ended the stream or the connection
    sock.close()
    return sent


def oversized_group(relay, pair, members=40_000):
    grpc = relay.grpc
    started = time.monotonic()
    try:
        pair.alice.CreateConversation(
            relay.client_pb2.CreateConversationRequest(
                kind=relay.client_pb2.CONVERSATION_KIND_GROUP, members=[f"u{i}@localhost" for i in range(members)]
            ),
            timeout=30,
        )
        raise SystemExit("a group over the member limit was created")
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
            raise SystemExit(f"an oversized group got {error.code()}, not RESOURCE_EXHAUSTED")
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--relay-cert", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    parser.add_argument("--only-resets", action="store_true", help="the reset attack alone")
    parser.add_argument(
        "--expect-resets-closed", action="store_true", help="the relay's stream rate must close reset connections"
    )
    args = parser.parse_args()
    generate_stubs(os.path.abspath(args.root), args.work)
    relay = Relay(args)
    pair = Pair(relay)
    pair.exchange()
    baseline = rss_kib(args.pid)
    print(f"baseline RSS {baseline // 1024} MiB", flush=True)

    def check(name, detail=""):
        # This address may be over its stream rate for a moment (the attacks come from it too).
        deadline = time.monotonic() + 15
        while True:
            try:
                if relay.serving():
                    break
            except relay.grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"after {name}: health is not SERVING")
            time.sleep(0.5)
        pair.exchange()
        deadline = time.monotonic() + 40
        while True:
            rss = rss_kib(args.pid)
            if rss <= baseline + RSS_BOUND_KIB or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        print(f"{name}: alive, SERVING, the pair exchanged a message; RSS {rss // 1024} MiB {detail}", flush=True)
        if rss > baseline + RSS_BOUND_KIB:
            raise SystemExit(f"after {name}: RSS {rss // 1024} MiB, more than {RSS_BOUND_KIB // 1024} MiB over the baseline")

    if not args.only_resets:
        abandoned_watches(relay)
        check("9,000 abandoned Watch calls")
        concurrent_watches(relay)
        check("150 concurrent Watch calls on one connection")
        unfinished_messages(relay)
        check("400 unfinished 4 MiB messages")
    closed = rapid_resets(relay)
    if args.expect_resets_closed and closed == 0:
        raise SystemExit("8,000 reset streams from one address over 40 connections closed none of them")
    check("8,000 reset streams over 40 connections", f"({closed} of the 40 connections closed by the relay)")
    if args.only_resets:
        print("HOSTILE OK")
        return
    sent = non_reading_session(relay)
    check("a session that never reads", f"({sent} heartbeats sent)")
    seconds = oversized_group(relay, pair)
    check("a 40,000-member group", f"(refused in {seconds:.2f} s)")
    print("HOSTILE OK")


if __name__ == "__main__":
    main()
