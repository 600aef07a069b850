import Crypto
import Foundation
import Testing

@testable import E2E

/// Fixed keys in, fixed bytes out, for this project's own construction. The
/// expected bytes were computed by the independent Python implementation of
/// docs/e2e.md (Tests/Interop/e2e_reference.py), not by this code.
@Suite struct ConstructionVectorTests {
  let sharedSecret = Data(0 ..< 32)
  let associatedData = Data(100 ..< 228)
  let signedPrekey = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Data(repeating: 7, count: 32))
  let ratchetKey = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Data(repeating: 9, count: 32))

  @Test func pqxdhKDF() {
    #expect(KDF.pqxdh(Data(0 ..< 160)).hex == "2e3f4fec2421b8f9dee067b1a9efc46de8c550e4f3da67d98dc3ae04da9c98ca")
  }

  @Test func chains() throws {
    #expect(
      signedPrekey.publicKey.rawRepresentation.hex == "13be4feaeaf204c7fd3358fc9c00721881d174278128227ec674f37f7fe97b6d"
    )
    let (rootKey, chainKey) = KDF.root(sharedSecret, try X25519.agree(ratchetKey, signedPrekey.publicKey))
    #expect(rootKey.hex == "bc4543005e40325f8ee66a125f8efa8bf7bf5c4f8b04d700d88289fbc4b99a43")
    #expect(chainKey.hex == "7cfd9b23e004f09cde5a40bfa4b4e9b25b02aa334cddd5eceda6b795df9cd6e8")
    let (next, messageKey) = KDF.chain(chainKey)
    #expect(messageKey.hex == "5ddd92f7a5df4cd5a52c0ff2bd40032ebae65b0584d1227795ebb4b5d7b3e891")
    #expect(next.hex == "3d42c4c9625298f0ef8cb67a2f4ef18ad6d083c4c73a4df6bbfb1722900582a4")
    let (key, nonce) = KDF.messageKeys(messageKey)
    #expect(key.withUnsafeBytes { Data($0) }.hex == "3bd37f8a50b7e68bc4cfea9225e261204741e778714feeb3a120f391b9a22608")
    #expect(nonce.hex == "4693f3c8b7e191f10f7c65ba")
  }

  @Test func firstRatchetMessage() throws {
    var state = try RatchetState.initiator(
      sharedSecret: sharedSecret, remoteRatchetKey: signedPrekey.publicKey.rawRepresentation, ratchetKey: ratchetKey)
    let (header, ciphertext) = try state.encrypt(Padding.pad(Data("hello".utf8)), associatedData: associatedData)
    #expect(header.hex == "57db4b359f23ae5e146e4e2512056704722506348c150c14753d0c933d04d4210000000000000000")
    #expect(
      ciphertext.hex
        == "babed17b5f7cea0e70afca073cc100c72e4da96bbaa2ef50a0fc090f5569bf318d6e953fcb382cbf0c6c6d01c43af15f14f37195dcd5c5e4aed823419cec7593ce9e8bbef04907ce41f60fe532aed61bff8dcce1f504d65ef9e2b1d28f611a1a0065d46893d098ab1d10a4c0dc0bc4cc948f2e504e46140e6d49d11e43022d0e5224243f1672a7acc7cce0bf5b86dc86d71e3aeeae6ddca047532e782896d9ae100e012a6d745e3e2303795cdc5bf032"
    )
    // And the responder opens it.
    var bob = RatchetState.responder(sharedSecret: sharedSecret, signedPrekey: signedPrekey)
    let opened = try bob.decrypt(header: header, ciphertext: ciphertext, associatedData: associatedData)
    #expect(try Padding.unpad(opened) == Data("hello".utf8))
  }

  @Test func safetyNumberHalf() {
    let key = IdentityPublicKey(signing: Data(0 ..< 32), agreement: Data(32 ..< 64))
    #expect(SafetyNumber.half(user: "alice@a.test", keys: [key]) == "909113539427987856122376065489")
    let number = SafetyNumber(local: ("alice@a.test", [key]), remote: ("bob@b.test", [key]))
    let reversed = SafetyNumber(local: ("bob@b.test", [key]), remote: ("alice@a.test", [key]))
    #expect(number == reversed, "both people see the same number")
    #expect(number.description.split(separator: " ").count == 12)
  }

  @Test func padding() throws {
    #expect(Padding.pad(Data()).count == 160)
    #expect(Padding.pad(Data(count: 159)).count == 160)
    #expect(Padding.pad(Data(count: 160)).count == 320)
    #expect(try Padding.unpad(Padding.pad(Data([0, 0x80, 0]))) == Data([0, 0x80, 0]))
    #expect(throws: E2EError.self) { try Padding.unpad(Data(count: 160)) }
  }
}
