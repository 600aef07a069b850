import Foundation
import GRPCCore
import Testing
import SwiftProtobuf
import Wire

@testable import Relay

@Suite("Chat over a real relay (mTLS on loopback)")
struct ChatTests {
  @Test("two users, three devices: live delivery, multi-device sync, receipts to every sender device")
  func directChat() async throws {
    try await withRelay { relay in
      let alicePhone = TestDevice("alice@localhost", "phone")
      let aliceLaptop = TestDevice("alice@localhost", "laptop")
      let bob = TestDevice("bob@localhost", "phone")
      try await alicePhone.withClient(relay) { a1 in
        try await aliceLaptop.withClient(relay) { a2 in
          try await bob.withClient(relay) { b in
            try await alicePhone.register(a1)
            let link = try await a1.createLinkCode(.init())
            try await aliceLaptop.register(a2, link: link.linkCode)
            try await bob.register(b)
            let conversation = try await a1.createConversation(.with {
              $0.kind = .direct
              $0.members = ["bob@localhost"]
            })
            // Idempotent for the same pair, from either side.
            let again = try await b.createConversation(.with {
              $0.kind = .direct
              $0.members = ["alice@localhost"]
            })
            #expect(again.id == conversation.id)

            try await withSession(a1) { phone in
              try await withSession(a2) { laptop in
                try await withSession(b) { bobSession in
                  _ = try await phone.catchUp()
                  _ = try await laptop.catchUp()
                  _ = try await bobSession.catchUp()

                  let sent = try await phone.sendMessage(conversation.id, to: [bob.address, aliceLaptop.address], text: "hi-bob").get()
                  #expect(sent.seq == 1)
                  #expect(sent.originRelay == "localhost")

                  let atBob = try await bobSession.envelope()
                  #expect(openedText(atBob) == "hi-bob")
                  #expect(atBob.sender == alicePhone.address)
                  #expect(atBob.seq == 1)
                  #expect(atBob.messageID == sent.messageID)
                  let atLaptop = try await laptop.envelope()
                  #expect(openedText(atLaptop) == "hi-bob")

                  // Bob acks (delivered) and reads: both of Alice's devices hear it.
                  bobSession.send(.with { $0.ack.cursor = atBob.cursor })
                  bobSession.send(.with { $0.read = .with { $0.conversationID = conversation.id; $0.upToSeq = 1 } })
                  for session in [phone, laptop] {
                    let delivered = try await session.receipt(.delivered)
                    #expect(delivered.messageID == sent.messageID)
                    #expect(delivered.by == bob.address)
                    let read = try await session.receipt(.read)
                    #expect(read.messageID == sent.messageID)
                  }
                  // Alice's own laptop acking its sync copy makes no receipt.
                  laptop.send(.with { $0.ack.cursor = atLaptop.cursor })

                  // Bob answers; both Alice devices get it.
                  _ = try await bobSession.sendMessage(conversation.id, to: [alicePhone.address, aliceLaptop.address], text: "hi-alice").get()
                  #expect(openedText(try await phone.envelope()) == "hi-alice")
                  #expect(openedText(try await laptop.envelope()) == "hi-alice")
                }
              }
            }
            let listed = try await b.listConversations(.init())
            #expect(listed.conversations.map(\.id) == [conversation.id])
            #expect(listed.conversations.first?.unreadCount == 0)
            let aliceView = try await a1.listConversations(.init())
            #expect(aliceView.conversations.first?.unreadCount == 1)
          }
        }
      }
    }
  }
}
