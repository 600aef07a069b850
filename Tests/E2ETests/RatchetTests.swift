import Foundation
import SwiftProtobuf
import Testing
import Wire

@testable import E2E

/// The Double Ratchet's properties through whole sessions started with PQXDH.
@Suite struct RatchetTests {
  let alice = TestPeer()
  let bob = TestPeer()

  @Test func conversationBothWays() throws {
    var (a, b) = try startedSession(alice: alice, bob: bob)
    #expect(try b.openText(a.seal("hello bob"), as: bob) == "hello bob")
    #expect(try a.openText(b.seal("hi alice"), as: alice) == "hi alice")
    for round in 0 ..< 5 {
      #expect(try b.openText(a.seal("a\(round)"), as: bob) == "a\(round)")
      #expect(try b.openText(a.seal("a\(round)'"), as: bob) == "a\(round)'")
      #expect(try a.openText(b.seal("b\(round)"), as: alice) == "b\(round)")
    }
  }

  @Test func prekeysUsedOnceAndPrekeyMessageStopsAfterReply() throws {
    var (a, b) = try startedSession(alice: alice, bob: bob)
    let first = try a.seal("one")
    #expect(try SealedEnvelopeFormat.parse(first).hasPrekey)
    #expect(try b.openText(first, as: bob) == "one")
    #expect(bob.oneTime.count == 2, "the one-time prekey is erased once used")
    #expect(try SealedEnvelopeFormat.parse(a.seal("two")).hasPrekey, "still no reply")
    _ = try a.openText(b.seal("reply"), as: alice)
    #expect(try !SealedEnvelopeFormat.parse(a.seal("three")).hasPrekey)
  }

  @Test func outOfOrderAndLostMessages() throws {
    var (a, b) = try startedSession(alice: alice, bob: bob)
    _ = try b.openText(a.seal("start"), as: bob)
    let batch = try (0 ..< 6).map { try a.seal("m\($0)") }
    // Delivered backwards, and m2 never arrives.
    for index in [5, 4, 3, 1, 0] { #expect(try b.openText(batch[index], as: bob) == "m\(index)") }
    // Across a ratchet step: messages from an earlier chain still open.
    let early = try a.seal("early")
    _ = try a.openText(b.seal("turn"), as: alice)
    let late = try a.seal("late")
    #expect(try b.openText(late, as: bob) == "late")
    #expect(try b.openText(early, as: bob) == "early")
  }

  @Test func replayRejected() throws {
    var (a, b) = try startedSession(alice: alice, bob: bob)
    let first = try a.seal("first")
    _ = try b.openText(first, as: bob)
    let second = try a.seal("second")
    _ = try b.openText(second, as: bob)
    let before = b
    #expect(throws: E2EError.self) { try b.openText(second, as: bob) }
    #expect(b == before, "a refused message changes nothing")
    // The prekey message again: it names the same session, whose key is gone.
    #expect(throws: E2EError.self) { try b.openText(first, as: bob) }
    // An out-of-order message opens once, then is a replay.
    let skippedOver = try a.seal("x")
    let next = try a.seal("y")
    _ = try b.openText(next, as: bob)
    _ = try b.openText(skippedOver, as: bob)
    #expect(throws: E2EError.self) { try b.openText(skippedOver, as: bob) }
  }

  @Test func tamperedHeaderOrCiphertextRejected() throws {
    var (a, b) = try startedSession(alice: alice, bob: bob)
    _ = try b.openText(a.seal("start"), as: bob)
    let good = try SealedEnvelopeFormat.parse(a.seal("secret"))
    var flippedCiphertext = good
    flippedCiphertext.ciphertext[flippedCiphertext.ciphertext.startIndex] ^= 1
    var flippedHeader = good
    flippedHeader.header[39] ^= 1  // message number
    var flippedKey = good
    flippedKey.header[3] ^= 1  // ratchet key
    var otherVersion = good
    otherVersion.version = 2
    for bad in [flippedCiphertext, flippedHeader, flippedKey] {
      #expect(throws: E2EError.self) { try b.openText(bad.serializedBytes(), as: bob) }
    }
    #expect(throws: E2EError(code: .unsupportedVersion, message: "sealed-envelope version 2 is not 1")) {
      try b.openText(otherVersion.serializedBytes(), as: bob)
    }
    #expect(try b.openText(good.serializedBytes(), as: bob) == "secret", "refusals changed nothing")
  }

  @Test func skippedKeyBoundEnforced() throws {
    var (a, b) = try startedSession(alice: alice, bob: bob)
    _ = try b.openText(a.seal("start"), as: bob)
    let limits = RatchetLimits.defaults { $0.maxSkip = 10 }
    for _ in 0 ..< 11 { _ = try a.seal("lost") }
    let far = try SealedEnvelopeFormat.parse(a.seal("far"))
    var session = b.current!
    #expect(throws: E2EError.self) { try session.open(far, limits: limits) }
    // Within the bound it opens, and the store never holds more than its limit.
    let stored = RatchetLimits.defaults {
      $0.maxSkip = 20
      $0.maxStoredSkippedKeys = 4
    }
    #expect(try session.open(far, limits: stored) == Data("far".utf8))
    #expect(session.ratchet.skipped.count == 4)
  }

  @Test func skippedKeysExpire() throws {
    var (a, b) = try startedSession(alice: alice, bob: bob)
    _ = try b.openText(a.seal("start"), as: bob)
    let lost = try a.seal("late")
    _ = try b.openText(a.seal("next"), as: bob)
    let month = Date().addingTimeInterval(31 * 86_400)
    #expect(throws: E2EError.self) { try b.openText(lost, as: bob, now: month) }
  }

  @Test func compromisedChainKeyDoesNotOpenEarlierMessages() throws {
    var (a, b) = try startedSession(alice: alice, bob: bob)
    let earlier = try (0 ..< 3).map { try a.seal("before \($0)") }
    for message in earlier { _ = try b.openText(message, as: bob) }
    // An attacker who takes Bob's whole state now (chain keys included)...
    var stolen = b
    for message in earlier {
      #expect(throws: E2EError.self) { try stolen.openText(message, as: bob) }
    }
    // ...and the chain key alone, run forward, never meets an earlier message key.
    let chainKey = try #require(b.current?.ratchet.receivingChainKey)
    var key = chainKey
    let header = try RatchetHeader(bytes: SealedEnvelopeFormat.parse(earlier[0]).header)
    for _ in 0 ..< 10 {
      let (next, messageKey) = KDF.chain(key)
      let envelope = try SealedEnvelopeFormat.parse(earlier[0])
      #expect(throws: E2EError.self) {
        try MessageCipher.open(
          envelope.ciphertext, messageKey: messageKey, associatedData: b.current!.associatedData + header.bytes)
      }
      key = next
    }
  }

  @Test func simultaneousInitiationSettlesOnOneSession() throws {
    var a = PeerSessions()
    var b = PeerSessions()
    a.insert(try Session.initiate(identity: alice.identity, bundle: bob.bundle()))
    b.insert(try Session.initiate(identity: bob.identity, bundle: alice.bundle()))
    let fromAlice = try a.seal("from alice")
    let fromBob = try b.seal("from bob")
    #expect(try b.openText(fromAlice, as: bob) == "from alice")
    #expect(try a.openText(fromBob, as: alice) == "from bob")
    for round in 0 ..< 3 {
      #expect(try b.openText(a.seal("a\(round)"), as: bob) == "a\(round)")
      #expect(try a.openText(b.seal("b\(round)"), as: alice) == "b\(round)")
    }
  }

  @Test func bundleWithBadSignatureRefused() throws {
    var bundle = bob.bundle()
    bundle.kemPrekeySignature[0] ^= 1
    #expect(throws: E2EError.self) { try Session.initiate(identity: alice.identity, bundle: bundle) }
    bundle = bob.bundle()
    bundle.signedPrekey = TestPeer().signed.publicKey
    #expect(throws: E2EError.self) { try Session.initiate(identity: alice.identity, bundle: bundle) }
  }

  @Test func withoutOneTimePrekeysTheLastResortKeyServes() throws {
    let lonely = TestPeer(oneTimeKeys: 0)
    var (a, b) = try startedSession(alice: alice, bob: lonely)
    #expect(try b.openText(a.seal("hi"), as: lonely) == "hi")
    #expect(lonely.kem[lonely.lastResortKemID] != nil, "the last-resort key is kept")
  }

  @Test func sessionStateSurvivesEncoding() throws {
    var (a, b) = try startedSession(alice: alice, bob: bob)
    _ = try b.openText(a.seal("one"), as: bob)
    let pending = try a.seal("two")
    var restored = try JSONDecoder().decode(PeerSessions.self, from: JSONEncoder().encode(b))
    #expect(restored == b)
    #expect(try restored.openText(pending, as: bob) == "two")
  }
}
