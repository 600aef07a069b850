#!/usr/bin/env python3
"""A second, independent implementation of docs/e2e.md (sealed envelope v1),
written from that page with Python's `cryptography`, to prove the page is
enough. One shot: `e2e_reference.py JOB ANSWER` reads a JSON job, writes a JSON answer.

Job:
  {"bob": {identity_signing, identity_agreement, signed_prekey: {id, private},
           one_time_prekeys: [{id, private}], kem_prekeys: [{id, seed}]},
   "envelopes": [hex, ...],           # sealed to bob by another implementation, in arrival order
   "reply": "text",                   # bob's answer on the session the first envelope opened
   "bundle": {identity_signing, identity_agreement, signed_prekey_id, signed_prekey,
              signed_prekey_signature, one_time_prekey_id, one_time_prekey,
              kem_prekey_id, kem_prekey, kem_prekey_signature},
   "initiate": "text",                # a new session from "bob"'s identity to that bundle
   "safety": {"local": [user, [identity hex...]], "remote": [user, [...]]},
   "attachment": {"key", "sealed",     # an attachment sealed by the other implementation
                  "reply_key", "reply"}} # a plaintext to seal under reply_key
Answer: {"plaintexts": [...], "reply": hex, "initiated": hex, "safety_number": digits,
         "attachment_opened": hex, "attachment_sealed": hex}
All byte strings are hex; identity keys are signing || agreement (64 bytes).
"""
import hashlib, hmac, json, sys
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization

RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def hkdf(salt, ikm, info, length):
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out, i = out + block, i + 1
    return out[:length]


def dh(private, public_bytes):
    out = private.exchange(X25519PublicKey.from_public_bytes(public_bytes))
    assert any(out), "low-order point"
    return out


def pub(private):
    return private.public_key().public_bytes(*RAW)


def kdf_rk(rk, dh_out):
    out = hkdf(rk, dh_out, b"Relay_Ratchet_Root_v1", 64)
    return out[:32], out[32:]


def kdf_ck(ck):
    return hmac.new(ck, b"\x02", hashlib.sha256).digest(), hmac.new(ck, b"\x01", hashlib.sha256).digest()


def aead(mk):
    keys = hkdf(bytes(32), mk, b"Relay_Message_Keys_v1", 44)
    return AESGCM(keys[:32]), keys[32:]


def pad(p):
    p += b"\x80"
    return p + bytes(-len(p) % 160)


def unpad(p):
    p = p.rstrip(b"\x00")
    assert p.endswith(b"\x80"), "bad padding"
    return p[:-1]


# --- the few protobuf messages of sealed.proto and keys.proto, by hand ---
def varint(n):
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def field(number, value):
    if isinstance(value, bytes):
        return varint(number << 3 | 2) + varint(len(value)) + value if value else b""
    return varint(number << 3) + varint(int(value)) if value else b""


def parse(data):
    fields, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        if key & 7 == 0:
            value, i = read_varint(data, i)
        elif key & 7 == 2:
            length, i = read_varint(data, i)
            value, i = data[i:i + length], i + length
        else:
            raise ValueError("wire type %d" % (key & 7))
        fields[key >> 3] = value
    return fields


def read_varint(data, i):
    n = shift = 0
    while True:
        byte = data[i]
        i, n, shift = i + 1, n | (byte & 0x7F) << shift, shift + 7
        if not byte & 0x80:
            return n, i


def content(text):
    return field(1, text.encode())


class Session:
    def __init__(self, ad, rk, dhs, dhr=None, cks=None, prekey=None):
        self.ad, self.rk, self.dhs, self.dhr, self.cks = ad, rk, dhs, dhr, cks
        self.ckr, self.ns, self.nr, self.pn, self.skipped, self.prekey = None, 0, 0, 0, {}, prekey

    def seal(self, plaintext):
        self.cks, mk = kdf_ck(self.cks)
        header = pub(self.dhs) + self.pn.to_bytes(4, "big") + self.ns.to_bytes(4, "big")
        self.ns += 1
        cipher, nonce = aead(mk)
        c = cipher.encrypt(nonce, pad(plaintext), self.ad + header)
        return field(1, 1) + field(2, self.prekey or b"") + field(3, header) + field(4, c)

    def open(self, header, c):
        key, pn, n = header[:32], int.from_bytes(header[32:36], "big"), int.from_bytes(header[36:40], "big")
        if (key, n) in self.skipped:
            return self.decrypt(self.skipped.pop((key, n)), header, c)
        if key != self.dhr or self.ckr is None:
            if self.ckr is not None:
                self.skip(pn)
            self.pn, self.ns, self.nr, self.dhr = self.ns, 0, 0, key
            self.rk, self.ckr = kdf_rk(self.rk, dh(self.dhs, key))
            self.dhs = X25519PrivateKey.generate()
            self.rk, self.cks = kdf_rk(self.rk, dh(self.dhs, key))
        elif n < self.nr:
            raise ValueError("replay")
        self.skip(n)
        self.ckr, mk = kdf_ck(self.ckr)
        self.nr += 1
        return self.decrypt(mk, header, c)

    def skip(self, until):
        assert until - self.nr <= 1000, "too many skipped"
        while self.nr < until:
            self.ckr, mk = kdf_ck(self.ckr)
            self.skipped[(self.dhr, self.nr)] = mk
            self.nr += 1

    def decrypt(self, mk, header, c):
        cipher, nonce = aead(mk)
        return unpad(cipher.decrypt(nonce, c, self.ad + header))


def pqxdh_kdf(km):
    return hkdf(bytes(32), b"\xff" * 32 + km, b"Relay_PQXDH_X25519_SHA-256_ML-KEM-768_v1", 32)


def respond(bob, prekey_message):
    m = parse(prekey_message)
    identity = parse(m[1])
    ik_a_sig, ik_a_dh, ek_a = identity[1], identity[2], m[2]
    spk = X25519PrivateKey.from_private_bytes(bytes.fromhex(bob["signed_prekey"]["private"]))
    assert m.get(3, 0) == bob["signed_prekey"]["id"]
    ik_b = X25519PrivateKey.from_private_bytes(bytes.fromhex(bob["identity_agreement"]))
    km = dh(spk, ik_a_dh) + dh(ik_b, ek_a) + dh(spk, ek_a)
    if m.get(4, 0):
        opk = next(k for k in bob["one_time_prekeys"] if k["id"] == m.get(5, 0))
        km += dh(X25519PrivateKey.from_private_bytes(bytes.fromhex(opk["private"])), ek_a)
    kem = next(k for k in bob["kem_prekeys"] if k["id"] == m.get(6, 0))
    km += MLKEM768PrivateKey.from_seed_bytes(bytes.fromhex(kem["seed"])).decapsulate(m[7])
    ad = ik_a_sig + ik_a_dh + identity_bytes(bob)
    return Session(ad, pqxdh_kdf(km), spk)


def identity_bytes(party):
    signing = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(party["identity_signing"]))
    agreement = X25519PrivateKey.from_private_bytes(bytes.fromhex(party["identity_agreement"]))
    return signing.public_key().public_bytes(*RAW) + pub(agreement)


def initiate(me, bundle, text):
    b = {k: bytes.fromhex(v) if isinstance(v, str) else v for k, v in bundle.items()}
    ik_b_sig = Ed25519PublicKey.from_public_bytes(b["identity_signing"])
    ik_b_sig.verify(b["signed_prekey_signature"], b["signed_prekey"])
    ik_b_sig.verify(b["kem_prekey_signature"], b["kem_prekey"])
    ek = X25519PrivateKey.generate()
    ss, ct = MLKEM768PublicKey.from_public_bytes(b["kem_prekey"]).encapsulate()
    ik_a = X25519PrivateKey.from_private_bytes(bytes.fromhex(me["identity_agreement"]))
    km = dh(ik_a, b["signed_prekey"]) + dh(ek, b["identity_agreement"]) + dh(ek, b["signed_prekey"])
    has_opk = bool(b.get("one_time_prekey"))
    if has_opk:
        km += dh(ek, b["one_time_prekey"])
    km += ss
    mine = identity_bytes(me)
    prekey = (field(1, field(1, mine[:32]) + field(2, mine[32:])) + field(2, pub(ek))
              + field(3, b["signed_prekey_id"]) + field(4, has_opk) + field(5, b.get("one_time_prekey_id", 0))
              + field(6, b["kem_prekey_id"]) + field(7, ct))
    dhs = X25519PrivateKey.generate()
    rk, cks = kdf_rk(pqxdh_kdf(km), dh(dhs, b["signed_prekey"]))
    session = Session(mine + b["identity_signing"] + b["identity_agreement"], rk, dhs, b["signed_prekey"], cks, prekey)
    return session.seal(content(text))


def safety_half(user, keys):
    keys = b"".join(sorted(bytes.fromhex(k) for k in keys))
    h = hashlib.sha512(b"\x00\x01" + keys + user.encode()).digest()
    for _ in range(5200):
        h = hashlib.sha512(h + keys).digest()
    return "".join("%05d" % (int.from_bytes(h[i * 5:i * 5 + 5], "big") % 100000) for i in range(6))


ATTACHMENT_CHUNK = 65536


def attachment_cipher(key):
    """docs/e2e.md, Attachments: AES-256-GCM and the 7-byte nonce prefix from HKDF."""
    out = hkdf(bytes(32), key, b"Relay_Attachment_v1", 39)
    return AESGCM(out[:32]), out[32:]


def attachment_chunks(data, size):
    """(index, chunk, last) over `data` in chunks of `size`; the final one is shorter, maybe empty."""
    index, start = 0, 0
    while True:
        chunk = data[start:start + size]
        last = len(chunk) < size
        yield index, chunk, last
        if last:
            return
        index, start = index + 1, start + size


def attachment_nonce(prefix, index, last):
    return prefix + index.to_bytes(4, "big") + bytes([1 if last else 0])


def attachment_seal(key, plaintext):
    aes, prefix = attachment_cipher(key)
    return b"".join(
        aes.encrypt(attachment_nonce(prefix, i, last), chunk, None)
        for i, chunk, last in attachment_chunks(plaintext, ATTACHMENT_CHUNK)
    )


def attachment_open(key, sealed):
    aes, prefix = attachment_cipher(key)
    return b"".join(
        aes.decrypt(attachment_nonce(prefix, i, last), chunk, None)
        for i, chunk, last in attachment_chunks(sealed, ATTACHMENT_CHUNK + 16)
    )


def main():
    with open(sys.argv[1]) as f:
        job, answer = json.load(f), {"plaintexts": []}
    sessions = []
    for hex_envelope in job["envelopes"]:
        envelope = parse(bytes.fromhex(hex_envelope))
        assert envelope.get(1) == 1, "version"
        if not sessions:
            sessions.append(respond(job["bob"], envelope[2]))
        plaintext = sessions[0].open(envelope[3], envelope.get(4, b""))
        answer["plaintexts"].append(parse(plaintext).get(1, b"").decode())
    answer["reply"] = sessions[0].seal(content(job["reply"])).hex()
    answer["initiated"] = initiate(job["bob"], job["bundle"], job["initiate"]).hex()
    local, remote = job["safety"]["local"], job["safety"]["remote"]
    a, b = safety_half(*local), safety_half(*remote)
    answer["safety_number"] = min(a, b) + max(a, b)
    attachment = job["attachment"]
    answer["attachment_opened"] = attachment_open(bytes.fromhex(attachment["key"]), bytes.fromhex(attachment["sealed"])).hex()
    answer["attachment_sealed"] = attachment_seal(bytes.fromhex(attachment["reply_key"]), bytes.fromhex(attachment["reply"])).hex()
    with open(sys.argv[2], "w") as f:
        json.dump(answer, f)


if __name__ == "__main__":
    main()
