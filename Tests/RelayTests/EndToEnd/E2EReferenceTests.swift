import Crypto
import E2E
import Foundation
import SwiftProtobuf
import Testing
import Wire

@testable import RelayTestSupport

/// The construction in docs/e2e.md, checked against a second implementation
/// written from that page alone (Tests/Interop/e2e_reference.py, Python
/// `cryptography`): each opens what the other sealed, both ways.
@Suite("E2E against an independent implementation", .timeLimit(Patience.minutes(3)))
struct E2EReferenceTests {
  @Test(
    "Python opens Swift's sealed envelopes (out of order), replies, starts its own session, and opens and seals attachments"
  )
  func pythonReference() async throws {
    let alice = IdentityKeyPair()
    let bob = MemoryPrekeys(oneTime: true)
    let carol = MemoryPrekeys(oneTime: false)
    var toBob = PeerSessions()
    toBob.insert(try Session.initiate(identity: alice, bundle: bob.bundle))
    let texts = ["first", "second ✓", String(repeating: "long ", count: 100), "fourth"]
    let sealed = try texts.map { try toBob.seal(Content.text($0)) }
    let arrival = [0, 2, 1, 3]
    // An attachment of three full chunks and a part, each way.
    let attachment = AttachmentCipher.random()
    let file = Data((0 ..< 3 * 65_536 + 1_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
    let replyCipher = AttachmentCipher.random()
    let replyFile = Data((0 ..< 65_536).map { UInt8(truncatingIfNeeded: $0 &* 5) })

    let job: [String: Any] = [
      "bob": bob.privateJSON,
      "envelopes": arrival.map { sealed[$0].hexString },
      "reply": "hello from python",
      "bundle": carol.bundleJSON,
      "initiate": "python starts a session",
      "attachment": [
        "key": attachment.key.hexString, "sealed": attachment.seal(file).hexString,
        "reply_key": replyCipher.key.hexString, "reply": replyFile.hexString,
      ],
      "safety": [
        "local": ["alice@a.test", [alice.publicKey.bytes.hexString]],
        "remote": ["bob@b.test", [bob.identity.publicKey.bytes.hexString, carol.identity.publicKey.bytes.hexString]],
      ],
    ]
    let work = makeTemporaryDirectory()
    try JSONSerialization.data(withJSONObject: job).write(to: URL(fileURLWithPath: work + "/job.json"))
    let python = ProcessInfo.processInfo.environment["RELAY_PYTHON"] ?? "python3"
    let result = try await runProgram(
      python, [packageRoot + "/Tests/Interop/e2e_reference.py", work + "/job.json", work + "/answer.json"])
    try #require(result.status == 0, "\(result.output)")
    let answer = try #require(
      JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/answer.json")))
        as? [String: Any])

    #expect(answer["plaintexts"] as? [String] == arrival.map { texts[$0] })
    #expect(Data(hex: answer["attachment_opened"] as! String) == file)
    #expect(try replyCipher.open(Data(hex: answer["attachment_sealed"] as! String)) == replyFile)
    let reply = try toBob.open(
      Data(hex: answer["reply"] as! String), identity: alice, prekeys: MemoryPrekeys(oneTime: false))
    #expect(try Content.text(of: reply.plaintext) == "hello from python")

    var fromPython = PeerSessions()
    let opened = try fromPython.open(
      Data(hex: answer["initiated"] as! String), identity: carol.identity, prekeys: carol)
    #expect(opened.newSession)
    #expect(try Content.text(of: opened.plaintext) == "python starts a session")
    #expect(fromPython.current?.remoteIdentity == bob.identity.publicKey)

    let safety = SafetyNumber(
      local: ("alice@a.test", [alice.publicKey]),
      remote: ("bob@b.test", [carol.identity.publicKey, bob.identity.publicKey]))
    #expect(answer["safety_number"] as? String == safety.digits)
    #expect(safety.digits.count == 60)
  }
}

/// A device's private prekeys in memory.
struct MemoryPrekeys: PrekeySource {
  let identity = IdentityKeyPair()
  let signed: SignedPrekeyPair
  let oneTime: OneTimePrekeyPair?
  let kem: KemPrekeyPair

  init(oneTime: Bool) {
    self.signed = SignedPrekeyPair(id: 3, signedBy: self.identity)
    self.oneTime = oneTime ? OneTimePrekeyPair(id: 40) : nil
    self.kem = KemPrekeyPair(id: 77, signedBy: self.identity)
  }

  var bundle: PrekeyBundle {
    PrekeyBundle(
      identity: self.identity.publicKey, signedPrekeyID: self.signed.id, signedPrekey: self.signed.publicKey,
      signedPrekeySignature: self.signed.signature, oneTimePrekey: self.oneTime.map { ($0.id, $0.publicKey) },
      kemPrekeyID: self.kem.id, kemPrekey: self.kem.publicKey, kemPrekeySignature: self.kem.signature)
  }

  var privateJSON: [String: Any] {
    [
      "identity_signing": self.identity.signing.rawRepresentation.hexString,
      "identity_agreement": self.identity.agreement.rawRepresentation.hexString,
      "signed_prekey": ["id": self.signed.id, "private": self.signed.privateKey.rawRepresentation.hexString],
      "one_time_prekeys": self.oneTime.map { [["id": $0.id, "private": $0.privateKey.rawRepresentation.hexString]] }
        ?? [],
      "kem_prekeys": [["id": self.kem.id, "seed": self.kem.seed.hexString]],
    ]
  }

  var bundleJSON: [String: Any] {
    var json: [String: Any] = [
      "identity_signing": self.identity.publicKey.signing.hexString,
      "identity_agreement": self.identity.publicKey.agreement.hexString,
      "signed_prekey_id": self.signed.id, "signed_prekey": self.signed.publicKey.hexString,
      "signed_prekey_signature": self.signed.signature.hexString,
      "kem_prekey_id": self.kem.id, "kem_prekey": self.kem.publicKey.hexString,
      "kem_prekey_signature": self.kem.signature.hexString,
    ]
    if let oneTime = self.oneTime {
      json["one_time_prekey_id"] = oneTime.id
      json["one_time_prekey"] = oneTime.publicKey.hexString
    }
    return json
  }

  func signedPrekey(id: UInt32) -> SignedPrekeyPair? { id == self.signed.id ? self.signed : nil }
  func oneTimePrekey(id: UInt32) -> OneTimePrekeyPair? { id == self.oneTime?.id ? self.oneTime : nil }
  func kemPrekey(id: UInt32) -> KemPrekeyPair? { id == self.kem.id ? self.kem : nil }
}

enum Content {
  static func text(_ text: String) throws -> Data {
    try Relay_V1_Content.with { $0.text = text }.serializedBytes()
  }

  static func text(of plaintext: Data) throws -> String {
    try Relay_V1_Content(serializedBytes: plaintext).text
  }
}

extension Data {
  init(hex: String) {
    var bytes = [UInt8]()
    var index = hex.startIndex
    while index < hex.endIndex {
      let next = hex.index(index, offsetBy: 2)
      bytes.append(UInt8(hex[index ..< next], radix: 16)!)
      index = next
    }
    self.init(bytes)
  }

  var hexString: String { self.map { String(format: "%02x", $0) }.joined() }
}
