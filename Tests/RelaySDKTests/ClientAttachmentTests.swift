import Foundation
import RelaySDK
import Synchronization
import Testing

@testable import RelayTestSupport

/// Attachments through the SDK and a real relay (`relay serve`): encrypted
/// on the sender's device, stored and served as ciphertext, opened on the
/// recipient's (docs/e2e.md, "Attachments").
@Suite("Client SDK: attachments", .timeLimit(Patience.minutes(5)))
struct ClientAttachmentTests {
  @Test(
    "a 3 MiB file goes up encrypted, its pointer travels sealed, and it comes down intact; the relay holds none of it")
  func sealedRoundTrip() async throws {
    try await ServedRelay.with { relay in
      let alice = try await Home.register("alice@localhost", "laptop", on: relay)
      let bob = try await Home.register("bob@localhost", "phone", on: relay)
      // A file whose every 64 KiB holds the marker many times over: any plaintext stored shows.
      let marker = "a photo of the harbour at dawn, never seen by the relay. "
      var file = Data()
      while file.count < 3 * 1_048_576 + 5 { file.append(Data(marker.utf8)) }
      let uploaded = Mutex([Int]())
      let reference = try await alice.open { device in
        try await device.uploadAttachment(file, contentType: "image/jpeg", fileName: "harbour.jpg") { stored, _ in
          uploaded.withLock { $0.append(stored) }
        }
      }
      #expect(reference.size == UInt64(file.count) && reference.key.count == 32 && reference.digest.count == 32)
      #expect(uploaded.withLock { $0.last } == Int(reference.size) + 16 * (file.count / 65_536 + 1))
      // It travels sealed, in a message; bob's device finds it there.
      _ = try await alice.open { device in
        try await device.send(reference, to: try await device.conversationID(for: "bob@localhost"))
      }
      let message = try #require(try await bob.collect { $0.messages.count >= 1 }.messages.first)
      #expect(message.attachment == reference && message.text.isEmpty && message.from == "alice@localhost")
      let received = try await bob.open { try await $0.downloadAttachment(message.attachment!) }
      #expect(received == file)
      #expect(try relay.filesContaining(marker) == [])
      // What the relay holds is the ciphertext, whole.
      let folder = relay.directory + "/attachments/localhost"
      let sizes = try FileManager.default.contentsOfDirectory(atPath: folder).map {
        try FileManager.default.attributesOfItem(atPath: folder + "/" + $0)[.size] as? Int
      }
      #expect(sizes == [Int(reference.size) + 16 * (file.count / 65_536 + 1)])
      // Another key, or a digest that does not match, is refused before anything is returned.
      var forged = reference
      forged.digest[0] ^= 1
      await #expect(throws: ClientError.self) { try await bob.open { try await $0.downloadAttachment(forged) } }
      // A size past what a device can hold (a hostile sender's pointer) is refused, not trapped on.
      var huge = reference
      huge.size = .max
      await #expect(throws: ClientError.self) { try await bob.open { try await $0.downloadAttachment(huge) } }
    }
  }
}
