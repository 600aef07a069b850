#!/usr/bin/env python3
"""Regions of one domain (docs/regions.md), from Python grpcio: the relay under
test is region `eu` of its domain, with region `us` configured (this script
holds us's certificate and key). As `us`, it replicates a home claim for a
new user; then, as a new device, it registers that user in `eu` and checks
the redirect a client sees: FAILED_PRECONDITION with the `relay-home-region`,
`relay-home-address` and `relay-home-fingerprint` trailers.

Usage: region_redirect.py --port P --relay-cert PEM --work DIR --root REPO
  --domain D --sibling-cert PEM --sibling-key PEM --sibling-address HOST:PORT --sibling-fingerprint HEX
Exit 0 and a last line "REGION REDIRECT OK" on success.
"""
import argparse
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relay_stubs import generate_stubs, make_identity, register_request  # noqa: E402


def channel(grpc, args, cert_pem, key_pem):
    with open(args.relay_cert, "rb") as f:
        root = f.read()
    credentials = grpc.ssl_channel_credentials(root_certificates=root, private_key=key_pem, certificate_chain=cert_pem)
    return grpc.secure_channel(f"localhost:{args.port}", credentials)


def main():
    parser = argparse.ArgumentParser()
    names = ["port", "relay-cert", "work", "root", "domain", "sibling-cert", "sibling-key", "sibling-address"]
    for name in names + ["sibling-fingerprint"]:
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    generate_stubs(os.path.abspath(args.root), args.work, federation=True)
    import grpc
    from relay.v1 import client_pb2, client_pb2_grpc, federation_pb2, federation_pb2_grpc

    user = f"carol-{uuid.uuid4().hex[:8]}@{args.domain}"
    with open(args.sibling_cert, "rb") as f:
        sibling_cert = f.read()
    with open(args.sibling_key, "rb") as f:
        sibling_key = f.read()

    # As region us: the claim, over Replicate, acked as applied.
    claim = federation_pb2.FederationEvent(
        home_claim=federation_pb2.HomeClaim(user=user, region="us", claimed_hlc=1 << 16, version=1)
    )
    batch = federation_pb2.ReplicationBatch(events=[federation_pb2.OutboxEvent(id=1, event=claim)])
    with channel(grpc, args, sibling_cert, sibling_key) as sibling:
        federation = federation_pb2_grpc.FederationStub(sibling)
        acks = list(federation.Replicate(iter([batch]), timeout=30))
    if len(acks) != 1 or acks[0].through_id != 1 or acks[0].rejected != 0:
        raise SystemExit(f"the claim was not applied: {acks}")

    # As a new device of that user, in eu: redirected to us.
    cert_pem, key_pem, _ = make_identity()
    with channel(grpc, args, cert_pem, key_pem) as device:
        client = client_pb2_grpc.ClientStub(device)
        try:
            client.Register(register_request(client_pb2, user, "phone"), timeout=30)
            raise SystemExit("Register of a user homed in another region succeeded")
        except grpc.RpcError as error:
            trailers = dict(error.trailing_metadata() or ())
            expected = {
                "relay-home-region": "us",
                "relay-home-address": args.sibling_address,
                "relay-home-fingerprint": args.sibling_fingerprint,
            }
            if error.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise SystemExit(f"expected FAILED_PRECONDITION, got {error.code()}: {error.details()}")
            if error.details() != f"{user} is homed in region us: connect there":
                raise SystemExit(f"unexpected message: {error.details()}")
            for key, value in expected.items():
                if trailers.get(key) != value:
                    raise SystemExit(f"trailer {key}: expected {value!r}, got {trailers.get(key)!r} ({trailers})")
    print("REGION REDIRECT OK")


if __name__ == "__main__":
    main()
