"""Every status docs/protocol.md documents, as Python grpcio sees it from a
real relay: the documentation test.

It reads the "Status codes" table and the "Cases worth knowing" table of
docs/protocol.md. Every row must have a check here, found by the row's first
cell (a row added to the docs without a check fails, and so does a check
whose row is gone), and the statuses a check observes must be the ones the
row names: the backquoted status codes of its text up to a "not" or "never"
(what a client does not see). A check returns what it observed, one entry
per call: a status code's name, or "OK".

The relay is configured with a peer relay for --down-domain that is not
running (a relay that is down).

Usage: documented_statuses.py --port P --relay-cert PEM --work DIR --doc PROTOCOL.md --down-domain D
Exit 0 and a last line "DOCUMENTED STATUSES OK" on success.
"""
import argparse
import os
import queue
import re
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relay_stubs import generate_stubs, make_identity, queued_frames, register_request  # noqa: E402

DOMAIN = "localhost"
MIB = 1024 * 1024


def markdown_table(lines, marker):
    """The rows (lists of cells) of the first table after the line that starts with `marker`."""
    start = next(index for index, line in enumerate(lines) if line.startswith(marker))
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
        elif rows:
            break
    if len(rows) < 3:
        raise SystemExit(f"no table after {marker!r}")
    return rows[2:]  # after the header and its separator


def documented_codes(text, names):
    """The status codes a row says a client sees: backquoted, before any "not" or "never"."""
    affirmed = re.split(r"\b(?:not|never)\b", text)[0]
    return {name for name in re.findall(r"`([A-Z_]+)`", affirmed) if name in names}


class Relay:
    """Where the relay is, and the generated modules."""

    def __init__(self, args):
        import grpc
        from relay.v1 import client_pb2, client_pb2_grpc, session_pb2

        self.grpc, self.client_pb2, self.client_pb2_grpc, self.session_pb2 = (
            grpc,
            client_pb2,
            client_pb2_grpc,
            session_pb2,
        )
        self.port = args.port
        self.down = args.down_domain
        with open(args.relay_cert, "rb") as f:
            self.certificate = f.read()
        self.code_names = {code.value[0]: code.name for code in grpc.StatusCode}

    def status(self, call):
        """The status name a call ends with: "OK", or its gRPC code."""
        try:
            call()
            return "OK"
        except self.grpc.RpcError as error:
            return error.code().name


class Device:
    """A device with a key of its own, over mutual TLS; registered as `user` when given."""

    def __init__(self, relay, user=None, device="py", certificate=True):
        self.relay = relay
        cert_pem, key_pem, _ = make_identity()
        if certificate:
            credentials = relay.grpc.ssl_channel_credentials(
                root_certificates=relay.certificate, private_key=key_pem, certificate_chain=cert_pem
            )
        else:
            credentials = relay.grpc.ssl_channel_credentials(root_certificates=relay.certificate)
        options = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
        self.channel = relay.grpc.secure_channel(f"localhost:{relay.port}", credentials, options)
        self.stub = relay.client_pb2_grpc.ClientStub(self.channel)
        self.user = f"{user}-{uuid.uuid4().hex[:8]}@{DOMAIN}" if user else None
        self.address = f"{self.user}/{device}" if user else None
        if user:
            self.stub.Register(register_request(relay.client_pb2, self.user, device), timeout=30)

    def session(self):
        return Session(self)


class Session:
    """A Connect stream read on a thread; `next` waits for a frame, with a deadline."""

    def __init__(self, device):
        self.relay = device.relay
        self.outbound = queue.Queue()
        self.frames = queue.Queue()
        self.call = device.stub.Connect(queued_frames(self.outbound))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for frame in self.call:
                self.frames.put(frame)
            self.frames.put(("end", "OK"))
        except self.relay.grpc.RpcError as error:
            self.frames.put(("end", error.code().name))

    def send(self, **frame):
        self.outbound.put(self.relay.session_pb2.ClientFrame(**frame))

    def next(self, what, predicate, timeout=30):
        """The first frame (or ("end", status)) for which `predicate` answers something else than None."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                frame = self.frames.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise SystemExit(f"no {what} within {timeout} s")
            answer = predicate(frame)
            if answer is not None:
                return answer
            if isinstance(frame, tuple):
                raise SystemExit(f"the stream ended ({frame[1]}) before {what}")

    def error_frame(self, what):
        """The code of the next error frame, by name."""
        return self.next(
            what,
            lambda f: None
            if isinstance(f, tuple) or f.WhichOneof("frame") != "error"
            else self.relay.code_names[f.error.code],
        )

    def goes_on(self):
        """True once a heartbeat is answered: the stream is still open."""
        self.send(heartbeat=self.relay.session_pb2.Heartbeat(client_time_ms=42))
        return self.next(
            "a heartbeat ack",
            lambda f: True
            if not isinstance(f, tuple) and f.WhichOneof("frame") == "heartbeat" and f.heartbeat.client_time_ms == 42
            else None,
        )

    def caught_up(self):
        return self.next(
            "the catch-up", lambda f: True if not isinstance(f, tuple) and f.HasField("sync") and f.sync.caught_up else None
        )

    def close(self):
        self.outbound.put(None)
        self.call.cancel()


class World:
    """Three users (alice and bob share a direct chat and a group; carol shares nothing) and the checks."""

    def __init__(self, relay):
        self.relay = relay
        pb = relay.client_pb2
        self.alice, self.bob, self.carol = Device(relay, "alice"), Device(relay, "bob"), Device(relay, "carol")
        self.chat = self.alice.stub.CreateConversation(
            pb.CreateConversationRequest(kind=pb.CONVERSATION_KIND_DIRECT, members=[self.bob.user])
        )

    def send(self, copies, conversation=None):
        """A unary Send from alice with `copies` (device → ciphertext) to the direct chat."""
        request = self.relay.session_pb2.SendRequest(
            message_id=str(uuid.uuid4()), conversation_id=conversation or self.chat.id
        )
        for device, ciphertext in copies.items():
            request.copies.add(device=device, ciphertext=ciphertext)
        return lambda: self.alice.stub.Send(request, timeout=60)

    def group(self):
        pb = self.relay.client_pb2
        return self.alice.stub.CreateConversation(
            pb.CreateConversationRequest(kind=pb.CONVERSATION_KIND_GROUP, name="g", members=[self.bob.user])
        )

    # The "Status codes" table, by code.

    def unauthenticated(self):
        stranger = Device(self.relay)  # a key nobody registered
        return [self.relay.status(lambda: stranger.stub.ListConversations(self.relay.client_pb2.ListConversationsRequest()))]

    def permission_denied(self):
        pb = self.relay.client_pb2
        return [
            self.relay.status(lambda: self.carol.stub.GetHistory(pb.GetHistoryRequest(conversation_id=self.chat.id))),
            self.relay.status(lambda: self.carol.stub.GetConversation(pb.GetConversationRequest(conversation_id=self.chat.id))),
        ]

    def invalid_argument(self):
        pb = self.relay.client_pb2
        return [
            self.relay.status(lambda: self.alice.stub.ListDevices(pb.ListDevicesRequest(user="not an address"))),
            self.relay.status(
                lambda: self.alice.stub.Send(self.relay.session_pb2.SendRequest(message_id="nope", conversation_id=self.chat.id))
            ),
        ]

    def not_found(self):
        pb = self.relay.client_pb2
        return [
            self.relay.status(lambda: self.alice.stub.GetConversation(pb.GetConversationRequest(conversation_id=str(uuid.uuid4())))),
            self.relay.status(
                lambda: self.alice.stub.GetPrekeyBundle(pb.GetPrekeyBundleRequest(user=self.bob.user, device_id="nodevice"))
            ),
        ]

    def already_exists(self):
        # A registered key registering again (as a new user).
        user = f"again-{uuid.uuid4().hex[:8]}@{DOMAIN}"
        return [self.relay.status(lambda: self.bob.stub.Register(register_request(self.relay.client_pb2, user, "py")))]

    def failed_precondition(self):
        pb = self.relay.client_pb2
        return [
            self.relay.status(self.send({f"{self.bob.user}/nodevice": b"sealed"})),
            self.relay.status(
                lambda: self.alice.stub.AddMembers(pb.AddMembersRequest(conversation_id=self.chat.id, users=[self.carol.user]))
            ),
        ]

    def out_of_range(self):
        session = self.bob.session()
        session.caught_up()
        session.send(ack=self.relay.session_pb2.Ack(cursor=10**12))
        past_head = session.error_frame("the error for an ack past the mailbox head")
        session.send(read=self.relay.session_pb2.ReadReceipt(conversation_id=self.chat.id, up_to_seq=10**12))
        past_last = session.error_frame("the error for a read past the last seq")
        session.send(ack=self.relay.session_pb2.Ack(cursor=2**63))
        past_int64 = session.error_frame("the error for an ack of 2^63")
        session.close()
        return [past_head, past_last, past_int64]

    def resource_exhausted(self):
        return [self.relay.status(self.send({self.bob.address: bytes(5 * MIB)}))]

    def aborted(self):
        first = self.carol.session()
        first.caught_up()
        second = self.carol.session()
        ended = first.next("the end of the replaced stream", lambda f: f[1] if isinstance(f, tuple) else None)
        second.close()
        return [ended]

    def unavailable(self):
        pb = self.relay.client_pb2
        request = pb.CreateConversationRequest(kind=pb.CONVERSATION_KIND_DIRECT, members=[f"dave@{self.relay.down}"])
        return [self.relay.status(lambda: self.alice.stub.CreateConversation(request, timeout=30))]

    # The "Cases worth knowing" table, by call.

    def without_certificate(self):
        anonymous = Device(self.relay, certificate=False)
        return [self.relay.status(lambda: anonymous.stub.ListConversations(self.relay.client_pb2.ListConversationsRequest(), timeout=30))]

    def register_elsewhere(self):
        again = Device(self.relay)
        return [self.relay.status(lambda: again.stub.Register(register_request(self.relay.client_pb2, "x@elsewhere.example", "py")))]

    def nobody(self):
        pb = self.relay.client_pb2
        user = f"nobody-{uuid.uuid4().hex[:8]}@{DOMAIN}"
        return [
            self.relay.status(lambda: self.alice.stub.ListDevices(pb.ListDevicesRequest(user=user))),
            self.relay.status(lambda: self.alice.stub.GetPrekeyBundle(pb.GetPrekeyBundleRequest(user=user))),
            self.relay.status(
                lambda: self.alice.stub.CreateConversation(
                    pb.CreateConversationRequest(kind=pb.CONVERSATION_KIND_DIRECT, members=[user])
                )
            ),
        ]

    def devices_of_unreachable(self):
        pb = self.relay.client_pb2
        return [self.relay.status(lambda: self.alice.stub.ListDevices(pb.ListDevicesRequest(user=f"dave@{self.relay.down}"), timeout=30))]

    def conversation_with_unreachable(self):
        # "At once" once the link knows the peer is down (the first call may find it still trying):
        # well under the 10 s a call waits for a link otherwise. The fastest of three, so that a
        # moment of load on a busy machine does not count.
        observed = self.unavailable()
        took = []
        for _ in range(3):
            started = time.monotonic()
            observed += self.unavailable()
            took.append(time.monotonic() - started)
        print(f"    a conversation with a user of a relay that is down failed after {', '.join(f'{t:.2f}' for t in took)} s")
        if min(took) > 5:
            raise SystemExit(f"a conversation with a user of a relay that is down failed after {min(took):.1f} s, not at once")
        return observed

    def presence_of_stranger(self):
        session = self.carol.session()
        session.caught_up()
        session.send(presence=self.relay.session_pb2.PresenceSubscribe(users=[self.alice.user]))
        code = session.error_frame("the error for a presence frame naming a stranger")
        if not session.goes_on():
            raise SystemExit("the stream ended after the presence error")
        session.close()
        return [code]

    def remove_oneself(self):
        pb = self.relay.client_pb2
        group = self.group()
        left = self.bob.stub.RemoveMember(pb.RemoveMemberRequest(conversation_id=group.id, user=self.bob.user))
        if left.id != group.id or left != pb.Conversation(id=group.id):
            raise SystemExit(f"RemoveMember of oneself answered more than the conversation's id: {left}")
        return ["OK"]

    def over_frame_limit(self):
        return self.resource_exhausted()

    def over_hard_cap(self):
        return [self.relay.status(self.send({self.bob.address: bytes(9 * MIB)}))]

    def push_without_gateway(self):
        pb = self.relay.client_pb2
        endpoint = pb.PushEndpoint(kind=pb.PUSH_KIND_WEBHOOK, token="device-token")
        return [self.relay.status(lambda: self.bob.stub.SetPushEndpoint(pb.SetPushEndpointRequest(endpoint=endpoint)))]

    def push_bad_endpoint(self):
        pb = self.relay.client_pb2
        bad = [
            pb.PushEndpoint(kind=pb.PUSH_KIND_WEBHOOK, token=""),
            pb.PushEndpoint(kind=pb.PUSH_KIND_WEBHOOK, token="x" * 4097),
            pb.PushEndpoint(kind=pb.PUSH_KIND_WEBHOOK, token="has space"),
            pb.PushEndpoint(kind=pb.PUSH_KIND_UNSPECIFIED, token="t"),
            pb.PushEndpoint(kind=pb.PUSH_KIND_WEBHOOK, token="t", secret=bytes(65)),
        ]
        return [
            self.relay.status(lambda e=e: self.bob.stub.SetPushEndpoint(pb.SetPushEndpointRequest(endpoint=e))) for e in bad
        ]


    def attachment_too_big(self):
        from relay.v1 import attachments_pb2 as ab

        return [self.relay.status(lambda: self.bob.stub.CreateUpload(ab.CreateUploadRequest(size=100 * MIB + 1)))]

    def attachment_unknown(self):
        from relay.v1 import attachments_pb2 as ab

        unknown = f"{uuid.uuid4().hex}@{DOMAIN}"
        return [
            self.relay.status(lambda: self.bob.stub.GetUpload(ab.GetUploadRequest(attachment_id=unknown))),
            self.relay.status(lambda: list(self.bob.stub.Download(ab.DownloadRequest(attachment_id=unknown)))),
        ]

    def attachment_of_another(self):
        from relay.v1 import attachments_pb2 as ab

        upload = self.alice.stub.CreateUpload(ab.CreateUploadRequest(size=10))
        chunk = ab.UploadChunk(attachment_id=upload.attachment_id, offset=0, data=b"x")
        return [
            self.relay.status(lambda: self.bob.stub.GetUpload(ab.GetUploadRequest(attachment_id=upload.attachment_id))),
            self.relay.status(lambda: self.bob.stub.UploadChunks(iter([chunk]))),
        ]

    def attachment_elsewhere(self):
        from relay.v1 import attachments_pb2 as ab

        upload = self.bob.stub.CreateUpload(ab.CreateUploadRequest(size=10))
        chunk = ab.UploadChunk(attachment_id=upload.attachment_id, offset=5, data=b"x")
        return [self.relay.status(lambda: self.bob.stub.UploadChunks(iter([chunk])))]

    def attachment_of_stranger_domain(self):
        from relay.v1 import attachments_pb2 as ab

        foreign = f"{uuid.uuid4().hex}@nowhere.example"
        return [self.relay.status(lambda: list(self.bob.stub.Download(ab.DownloadRequest(attachment_id=foreign))))]

    def attachment_of_unreachable(self):
        from relay.v1 import attachments_pb2 as ab

        remote = f"{uuid.uuid4().hex}@{self.relay.down}"
        request = ab.DownloadRequest(attachment_id=remote)
        return [self.relay.status(lambda: list(self.bob.stub.Download(request, timeout=30)))]

STATUS_CHECKS = {
    "UNAUTHENTICATED": World.unauthenticated,
    "PERMISSION_DENIED": World.permission_denied,
    "INVALID_ARGUMENT": World.invalid_argument,
    "NOT_FOUND": World.not_found,
    "ALREADY_EXISTS": World.already_exists,
    "FAILED_PRECONDITION": World.failed_precondition,
    "OUT_OF_RANGE": World.out_of_range,
    "RESOURCE_EXHAUSTED": World.resource_exhausted,
    "ABORTED": World.aborted,
    "UNAVAILABLE": World.unavailable,
}


CASE_CHECKS = {
    "a connection without a client certificate": World.without_certificate,
    "`Register` for a user of another domain": World.register_elsewhere,
    "`ListDevices`, `GetPrekeyBundle`, `CreateConversation` naming a user nobody registered": World.nobody,
    "`ListDevices` of a user of a peer relay that is unreachable": World.devices_of_unreachable,
    "`CreateConversation` (direct) with a user of a peer relay that is unreachable": World.conversation_with_unreachable,
    "a `presence` frame naming a user one shares no conversation with": World.presence_of_stranger,
    "`RemoveMember` of oneself (leaving)": World.remove_oneself,
    "a gRPC message over `max_frame_bytes` (4 MiB) and up to the transport's hard cap": World.over_frame_limit,
    "a gRPC message over the transport's hard cap (8 MiB; twice `max_frame_bytes`)": World.over_hard_cap,
    "`SetPushEndpoint` on a relay without a push gateway": World.push_without_gateway,
    "`SetPushEndpoint` with no kind, a token that is empty, over 4096 bytes or not printable ASCII, or a secret over 64 bytes": World.push_bad_endpoint,
    "`CreateUpload` of more than `attachments.max_bytes` (100 MiB), or past the user's quota": World.attachment_too_big,
    "`GetUpload` or `Download` of an unknown or expired attachment id": World.attachment_unknown,
    "`GetUpload` or `UploadChunks` of another device's upload": World.attachment_of_another,
    "`UploadChunks` at an offset other than the upload's `committed`": World.attachment_elsewhere,
    "`Download` of an attachment id of a domain this relay does not peer with": World.attachment_of_stranger_domain,
    "`Download` of an attachment of a peer relay that is unreachable, not copied here yet": World.attachment_of_unreachable,
}


def check_table(world, rows, checks, names, label):
    """Runs every row's check; the failures, as lines."""
    failures = []
    documented = {row[0].strip("`") if label == "code" else row[0] for row in rows}
    for key in sorted(set(checks) - documented):
        failures.append(f"the {label} {key!r} has a check but no row in the docs")
    for row in rows:
        key = row[0].strip("`") if label == "code" else row[0]
        check = checks.get(key)
        if check is None:
            failures.append(f"the {label} {key!r} is documented but has no check")
            continue
        expected = {key} if label == "code" else documented_codes(row[1], names)
        observed = check(world)
        wrong = [status for status in observed if status != "OK" and status not in expected]
        unseen = expected and not any(status in expected for status in observed)
        if not observed or wrong or unseen or (not expected and observed != ["OK"] * len(observed)):
            failures.append(f"{key}: the docs say {sorted(expected) or 'OK'}, the relay answered {observed}")
        else:
            print(f"ok  {key}: {observed}")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--relay-cert", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--doc", required=True, help="docs/protocol.md")
    parser.add_argument("--down-domain", required=True, help="a peer domain whose relay is down")
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    args = parser.parse_args()

    generate_stubs(os.path.abspath(args.root), args.work)
    relay = Relay(args)
    with open(args.doc, encoding="utf-8") as f:
        lines = f.read().splitlines()
    names = set(relay.code_names.values())
    world = World(relay)
    failures = check_table(world, markdown_table(lines, "## Status codes"), STATUS_CHECKS, names, "code")
    failures += check_table(world, markdown_table(lines, "Cases worth knowing"), CASE_CHECKS, names, "call")
    if failures:
        print("\n".join(failures))
        raise SystemExit(1)
    print("DOCUMENTED STATUSES OK")


if __name__ == "__main__":
    main()
