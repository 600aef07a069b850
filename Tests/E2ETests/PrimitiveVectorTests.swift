import Crypto
import Foundation
import Testing

@testable import E2E

/// Published known answers for the primitives the construction composes.
@Suite struct PrimitiveVectorTests {
  @Test func x25519RFC7748() throws {
    // RFC 7748 section 6.1.
    let alice = try Curve25519.KeyAgreement.PrivateKey(
      rawRepresentation: Data(hex: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    let bob = try Curve25519.KeyAgreement.PrivateKey(
      rawRepresentation: Data(hex: "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
    #expect(alice.publicKey.rawRepresentation.hex == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    #expect(bob.publicKey.rawRepresentation.hex == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    let shared = try X25519.agree(alice, bob.publicKey)
    #expect(shared.hex == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    #expect(try X25519.agree(bob, alice.publicKey) == shared)
  }

  @Test func x25519RefusesLowOrderPoint() throws {
    let zero = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: Data(count: 32))
    #expect(throws: E2EError.self) { try X25519.agree(.init(), zero) }
  }

  @Test(arguments: [
    // RFC 5869 test case 1 (SHA-256).
    (
      "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    ),
    // RFC 5869 test case 3: no salt, no info.
    (
      "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    ),
  ])
  func hkdfRFC5869(ikm: String, salt: String, info: String, okm: String) {
    #expect(KDF.hkdf(ikm: Data(hex: ikm), salt: Data(hex: salt), info: Data(hex: info), count: 42).hex == okm)
  }

  @Test func ed25519RFC8032() throws {
    // RFC 8032 section 7.1, test 1 (empty message).
    let key = try Curve25519.Signing.PrivateKey(
      rawRepresentation: Data(hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
    #expect(key.publicKey.rawRepresentation.hex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    let expected =
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    #expect(try key.signature(for: Data()).hex == expected)
    #expect(key.publicKey.isValidSignature(Data(hex: expected), for: Data()))
  }

  @Test func hmacRFC4231() {
    // RFC 4231 test case 2.
    let mac = HMAC<SHA256>.authenticationCode(
      for: Data("what do ya want for nothing?".utf8), using: SymmetricKey(data: Data("Jefe".utf8)))
    #expect(Data(mac).hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
  }
}
