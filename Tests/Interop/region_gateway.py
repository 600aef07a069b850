#!/usr/bin/env python3
"""Other domains through a region (docs/regions.md, "Other domains"), from
Python grpcio: the relay under test is region `eu` of its domain and its
gateway, with region `us` and peer `other.test` configured. This script
holds both their certificates and keys and listens as `us`. As `us`, it
replicates a home claim for carol; as `other.test`, a conversation with
carol and a message to her device; then it checks, as `us`, that the
gateway passed both on over its own Replicate stream: the state, then the
message with other.test's origin and carol's copy only.

Usage: region_gateway.py --port P --relay-cert PEM --work DIR --root REPO --domain D
  --sibling-cert PEM --sibling-key PEM --sibling-port P --other-cert PEM --other-key PEM
Exit 0 and a last line "REGION GATEWAY OK" on success.
"""
import argparse
import os
import sys
import threading
import time
import uuid
from concurrent import futures

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relay_stubs import generate_stubs  # noqa: E402


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    parser = argparse.ArgumentParser()
    names = ["port", "relay-cert", "work", "root", "domain", "sibling-cert", "sibling-key", "sibling-port"]
    for name in names + ["other-cert", "other-key"]:
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    generate_stubs(os.path.abspath(args.root), args.work, federation=True)
    import grpc
    from relay.v1 import federation_pb2, federation_pb2_grpc

    relay_cert = read(args.relay_cert)
    received = []
    arrived = threading.Condition()

    class Sibling(federation_pb2_grpc.FederationServicer):
        """Region us, as the gateway sees it: acks every batch and keeps its events."""

        def Replicate(self, request_iterator, context):
            for batch in request_iterator:
                with arrived:
                    received.extend(entry.event for entry in batch.events)
                    arrived.notify_all()
                if batch.events:
                    yield federation_pb2.ReplicationAck(through_id=batch.events[-1].id)

        def Reconcile(self, request, context):
            return federation_pb2.ReconcileResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    federation_pb2_grpc.add_FederationServicer_to_server(Sibling(), server)
    credentials = grpc.ssl_server_credentials(
        [(read(args.sibling_key), read(args.sibling_cert))], root_certificates=relay_cert, require_client_auth=True
    )
    server.add_secure_port(f"127.0.0.1:{args.sibling_port}", credentials)
    server.start()

    def replicate(cert, key, events):
        credentials = grpc.ssl_channel_credentials(
            root_certificates=relay_cert, private_key=read(key), certificate_chain=read(cert)
        )
        batch = federation_pb2.ReplicationBatch(
            events=[federation_pb2.OutboxEvent(id=index + 1, event=event) for index, event in enumerate(events)]
        )
        with grpc.secure_channel(f"localhost:{args.port}", credentials) as channel:
            acks = list(federation_pb2_grpc.FederationStub(channel).Replicate(iter([batch]), timeout=30))
        if len(acks) != 1 or acks[0].through_id != len(events) or acks[0].rejected != 0 or acks[0].deferred:
            raise SystemExit(f"the batch was not applied: {acks}")

    carol = f"carol-{uuid.uuid4().hex[:8]}@{args.domain}"
    # As us: carol is homed there.
    claim = federation_pb2.FederationEvent(
        home_claim=federation_pb2.HomeClaim(user=carol, region="us", claimed_hlc=1 << 16, version=1)
    )
    replicate(args.sibling_cert, args.sibling_key, [claim])

    # As other.test: dave's conversation with carol, and his message to her phone.
    conversation = str(uuid.uuid4())
    from relay.v1 import client_pb2, session_pb2

    state = federation_pb2.FederationEvent(
        conversation=federation_pb2.ConversationState(
            id=conversation,
            kind=client_pb2.CONVERSATION_KIND_DIRECT,
            home_relay="other.test",
            created_by="dave@other.test",
            created_at_ms=int(time.time() * 1000),
            members=[client_pb2.Member(user=user) for user in ["dave@other.test", carol]],
            version=1,
        )
    )
    message_id = str(uuid.uuid4())
    message = federation_pb2.FederationEvent(
        message=federation_pb2.ReplicatedMessage(
            conversation_id=conversation,
            message_id=message_id,
            sender="dave@other.test/phone",
            hlc=(int(time.time() * 1000) << 16),
            origin_relay="other.test",
            origin_seq=1,
            sent_at_ms=int(time.time() * 1000),
            copies=[session_pb2.SealedCopy(device=f"{carol}/phone", ciphertext=b"sealed for carol")],
        )
    )
    replicate(args.other_cert, args.other_key, [state, message])

    # As us: the gateway passes both on, in order.
    deadline = time.time() + 60
    with arrived:
        while not any(e.WhichOneof("event") == "message" and e.message.message_id == message_id for e in received):
            if not arrived.wait(timeout=max(0.0, deadline - time.time())):
                raise SystemExit(f"the gateway passed nothing on within 60 s: {received}")
    kinds = [(e.WhichOneof("event"), e) for e in received]
    states = [i for i, (kind, e) in enumerate(kinds) if kind == "conversation" and e.conversation.id == conversation]
    messages = [i for i, (kind, e) in enumerate(kinds) if kind == "message" and e.message.message_id == message_id]
    if len(states) != 1 or len(messages) != 1 or states[0] > messages[0]:
        raise SystemExit(f"expected the state, then the message, once each: {received}")
    passed = received[messages[0]].message
    if passed.origin_relay != "other.test" or passed.sender != "dave@other.test/phone" or passed.origin_seq != 1:
        raise SystemExit(f"the message changed on the way: {passed}")
    if [(c.device, c.ciphertext) for c in passed.copies] != [(f"{carol}/phone", b"sealed for carol")]:
        raise SystemExit(f"unexpected copies: {passed.copies}")
    server.stop(0)
    print("REGION GATEWAY OK")


if __name__ == "__main__":
    main()
