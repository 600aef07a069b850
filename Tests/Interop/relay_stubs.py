"""What the Python checks share: Relay's gRPC stubs generated at run time
from schema/proto with grpcio-tools, and a device identity of its own (a P-256
key and a self-signed certificate, as any client makes)."""
import datetime
import hashlib
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def generate_stubs(root, work, federation=False):
    from grpc_tools import protoc

    proto_root = os.path.join(root, "schema", "proto")
    files = [
        "relay/v1/attachments.proto",
        "relay/v1/keys.proto",
        "relay/v1/session.proto",
        "relay/v1/client.proto",
    ] + (["relay/v1/federation.proto"] if federation else [])
    code = protoc.main(
        ["protoc", f"-I{proto_root}", f"--python_out={work}", f"--grpc_python_out={work}"] + files
    )
    if code != 0:
        raise SystemExit(f"protoc failed with {code}")
    sys.path.insert(0, work)


def make_identity():
    """A new key and its self-signed certificate: (certificate PEM, key PEM, key fingerprint)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "python interop device")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem, hashlib.sha256(spki).hexdigest()


def queued_frames(outbound):
    """The client frames put on `outbound`, as a request iterator for Connect; None ends the stream."""
    while True:
        frame = outbound.get()
        if frame is None:
            return
        yield frame


def register_request(client_pb2, user, device):
    """A Register request with keys of the right sizes (the relay checks sizes, not signatures)."""
    request = client_pb2.RegisterRequest(user=user, device_id=device)
    request.identity_key.signing_key = os.urandom(32)
    request.identity_key.agreement_key = os.urandom(32)
    request.signed_prekey.key_id = 1
    request.signed_prekey.public_key = os.urandom(32)
    request.signed_prekey.signature = os.urandom(64)
    request.last_resort_kem_prekey.key_id = 1
    request.last_resort_kem_prekey.public_key = os.urandom(1184)
    request.last_resort_kem_prekey.signature = os.urandom(64)
    return request
