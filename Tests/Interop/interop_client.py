"""A second gRPC stack talking to Relay: Python grpcio, stubs generated from
schema/proto at run time with grpcio-tools.

It makes its own P-256 key and self-signed certificate, registers over mutual
TLS, checks that the relay's idea of its identity is the SHA-256 of its public
key, sends a sealed envelope to a Swift device, waits for the reply, acks it,
and checks the standard health service.

Usage: interop_client.py --port P --relay-cert PEM --peer USER --work DIR
Exit 0 and a last line "INTEROP OK" on success.
"""
import argparse
import os
import queue
import sys
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relay_stubs import generate_stubs, make_identity, queued_frames, register_request  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--relay-cert", required=True)
    parser.add_argument("--peer", required=True, help="the Swift user, user@domain")
    parser.add_argument("--work", required=True)
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    args = parser.parse_args()

    generate_stubs(os.path.abspath(args.root), args.work)
    import grpc
    # The standard health service, through the official grpcio-health-checking stubs.
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from relay.v1 import client_pb2, client_pb2_grpc, session_pb2

    cert_pem, key_pem, fingerprint = make_identity()
    with open(args.relay_cert, "rb") as f:
        relay_cert = f.read()
    credentials = grpc.ssl_channel_credentials(
        root_certificates=relay_cert, private_key=key_pem, certificate_chain=cert_pem
    )
    channel = grpc.secure_channel(f"localhost:{args.port}", credentials)
    stub = client_pb2_grpc.ClientStub(channel)

    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="relay.v1.Client"))
    assert health.status == health_pb2.HealthCheckResponse.SERVING, health

    # Unregistered: everything but Register is UNAUTHENTICATED.
    try:
        stub.ListConversations(client_pb2.ListConversationsRequest())
        raise SystemExit("an unregistered key was let in")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED, error

    me = "python@localhost"
    registered = stub.Register(register_request(client_pb2, me, "laptop"))
    assert registered.device == me + "/laptop", registered
    assert registered.fingerprint == fingerprint, (registered.fingerprint, fingerprint)

    peer_devices = [d.device for d in stub.ListDevices(client_pb2.ListDevicesRequest(user=args.peer)).devices]
    chat = stub.CreateConversation(
        client_pb2.CreateConversationRequest(kind=client_pb2.CONVERSATION_KIND_DIRECT, members=[args.peer])
    )

    # A bad send gets its precise status from a second stack too.
    try:
        stub.Send(session_pb2.SendRequest(message_id="nope", conversation_id=chat.id))
        raise SystemExit("a bad send was accepted")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error

    outbound = queue.Queue()
    responses = stub.Connect(queued_frames(outbound))
    message_id = str(uuid.uuid4())
    send = session_pb2.SendRequest(message_id=message_id, conversation_id=chat.id)
    for device in peer_devices:
        send.copies.add(device=device, ciphertext=b"sealed:from-python:for:" + device.encode())
    outbound.put(session_pb2.ClientFrame(send=send))

    got_sent = got_reply = synced = heartbeat_sent = False
    result = {}
    timer = threading.Timer(30, lambda: responses.cancel())
    timer.start()
    for frame in responses:
        kind = frame.WhichOneof("frame")
        if kind == "sent" and frame.sent.message_id == message_id:
            got_sent = True
            result["seq"] = frame.sent.seq
        elif kind == "error":
            raise SystemExit(f"error frame: {frame.error}")
        elif kind == "envelope":
            text = frame.envelope.ciphertext.decode()
            assert text == "sealed:from-swift:for:" + me + "/laptop", text
            outbound.put(session_pb2.ClientFrame(ack=session_pb2.Ack(cursor=frame.envelope.cursor)))
            got_reply = True
        elif kind == "sync":
            for entry in frame.sync.entries:
                if entry.WhichOneof("entry") == "envelope":
                    text = entry.envelope.ciphertext.decode()
                    assert text == "sealed:from-swift:for:" + me + "/laptop", text
                    outbound.put(session_pb2.ClientFrame(ack=session_pb2.Ack(cursor=entry.envelope.cursor)))
                    got_reply = True
        elif kind == "heartbeat" and frame.heartbeat.client_time_ms == 7:
            # Frames are handled in order: the ack before this heartbeat is applied.
            synced = True
            break
        if got_sent and got_reply and not heartbeat_sent:
            heartbeat_sent = True
            outbound.put(session_pb2.ClientFrame(heartbeat=session_pb2.Heartbeat(client_time_ms=7)))
    timer.cancel()
    outbound.put(None)
    assert got_sent and got_reply and synced, (got_sent, got_reply, synced)
    print(f"sent seq {result['seq']} in {chat.id}; reply received and acked")
    print("INTEROP OK")


if __name__ == "__main__":
    main()
