import Foundation
import GRPCCore
import RelaySDK
import SwiftProtobuf
import Testing
import Wire

@testable import RelayTestSupport

extension FederationSuites {
  /// Attachments across relays (docs/attachments.md, "Across relays"): the
  /// recipient's relay fetches the ciphertext from the sender's relay once,
  /// keeps a copy, and its devices never connect to a foreign relay.
  @Suite("Federation: attachments", .timeLimit(Patience.minutes(5)))
  struct FederationAttachmentTests {
    @Test(
      "a recipient on another relay gets an attachment through its own relay, fetched once and kept when the sender's relay is cut off",
      arguments: [Set<String>(), ["c.test"]])
    func attachmentAcrossRelays(onPostgres: Set<String>) async throws {
      try await RelayMesh.with(postgres: onPostgres) { mesh in
        let alice = try await Home.register("alice@a.test", "phone", on: mesh.a.relay)
        let carol = try await Home.register("carol@c.test", "phone", on: mesh.c.relay)
        let tablet = try await Home.register("carol@c.test", "tablet", on: mesh.c.relay, link: carol)
        let marker = "the minutes of the harbour board, for carol only. "
        var file = Data()
        while file.count < 5 * 1_048_576 + 3 { file.append(Data(marker.utf8)) }
        let reference = try await alice.open { device in
          let reference = try await device.uploadAttachment(file, contentType: "application/pdf", fileName: "m.pdf")
          _ = try await device.send(reference, to: try await device.conversationID(for: "carol@c.test"))
          return reference
        }
        #expect(reference.id.hasSuffix("@a.test"))
        var pointers = [AttachmentReference]()
        for home in [carol, tablet] {
          let message = try #require(try await home.collect { $0.messages.count >= 1 }.messages.first)
          pointers.append(try #require(message.attachment))
        }
        #expect(pointers == [reference, reference])
        // Both of carol's devices ask c at once: c fetches it from a once, and both get it whole.
        let received = try await withThrowingTaskGroup(of: Data.self) { group in
          for home in [carol, tablet] {
            group.addTask { try await home.open { try await $0.downloadAttachment(reference) } }
          }
          return try await group.reduce(into: [Data]()) { $0.append($1) }
        }
        #expect(received == [file, file])
        #expect(try await Self.fetches(of: mesh.c) == 1)
        // With a out of reach, c serves its copy.
        await mesh.cutAC()
        #expect(try await carol.open { try await $0.downloadAttachment(reference) } == file)
        #expect(try await Self.fetches(of: mesh.c) == 1)
        try await mesh.healAC()
        for member in [mesh.a, mesh.c] {
          #expect(try await !member.holds(marker), "\(member.domain) holds no plaintext of the attachment")
        }
      }
    }

    @Test(
      "a peer fetches only the called relay's own attachments; an unknown one is NOT_FOUND, a stranger UNAUTHENTICATED")
    func fetchRules() async throws {
      try await RelayMesh.with { mesh in
        let alice = try await Home.register("alice@a.test", "phone", on: mesh.a.relay)
        let content = Data((0 ..< 3_000).map { UInt8(truncatingIfNeeded: $0) })
        let reference = try await alice.open {
          try await $0.uploadAttachment(content, contentType: "a/b", fileName: "b")
        }
        let cases: [(String, UInt64, RPCError.Code)] = [
          ("0123456789abcdef0123456789abcdef@a.test", 0, .notFound),
          ("0123456789abcdef0123456789abcdef@c.test", 0, .invalidArgument),
          ("not an id", 0, .invalidArgument),
          (reference.id, 1 << 40, .outOfRange),
          (reference.id, .max, .outOfRange),
        ]
        try await mesh.b.asClient.withConnection(port: mesh.a.relay.port, relayCertificatePEM: mesh.a.certificatePEM) {
          let federation = FederationClient(wrapping: $0)
          // b may fetch it, from any offset inside it.
          let tail = try await federation.fetchAttachment(
            .with {
              $0.attachmentID = reference.id
              $0.offset = 1_000
            }
          ) { response in
            try await response.messages.reduce(into: Data()) { $0.append($1.data) }
          }
          // The ciphertext: the content and a 16-byte tag per 64 KiB chunk.
          #expect(tail.count == content.count + 16 - 1_000)
          for (id, offset, code) in cases {
            let error = await #expect(throws: RPCError.self, "\(id) at \(offset)") {
              try await federation.fetchAttachment(
                .with {
                  $0.attachmentID = id
                  $0.offset = offset
                }
              ) { response in for try await _ in response.messages {} }
            }
            #expect(error?.code == code, "\(id) at \(offset): \(error?.message ?? "")")
          }
        }
        // Through c, for a device of c: an unknown id of a is NOT_FOUND, and so is one of a domain c does not peer with.
        let carol = try await Home.register("carol@c.test", "phone", on: mesh.c.relay)
        for domain in ["a.test", "z.test"] {
          var unknown = reference
          unknown.id = "0123456789abcdef0123456789abcdef@" + domain
          let error = await #expect(throws: ClientError.self) {
            _ = try await carol.open { try await $0.downloadAttachment(unknown) }
          }
          #expect((error?.cause as? RPCError)?.code == .notFound, "\(domain): \(String(describing: error))")
        }
        let stranger = TestDevice("mallory@d.test", "relay")
        try await stranger.withConnection(port: mesh.a.relay.port, relayCertificatePEM: mesh.a.certificatePEM) {
          client in
          let error = await #expect(throws: RPCError.self) {
            try await FederationClient(wrapping: client).fetchAttachment(.with { $0.attachmentID = reference.id }) {
              response in for try await _ in response.messages {}
            }
          }
          #expect(error?.code == .unauthenticated)
        }
      }
    }

    /// How many attachments `member` fetched from its peers (its metrics).
    static func fetches(of member: RelayMesh.Member) async throws -> Int {
      try await member.counter("relay_federation_attachment_fetches_total")
    }
  }
}
