import Foundation
import GRPCCore
import SwiftProtobuf
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("Chat over a real relay (mTLS on loopback)", .timeLimit(Patience.minutes(3)))
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
            let conversation = try await a1.createConversation(
              .with {
                $0.kind = .direct
                $0.members = ["bob@localhost"]
              })
            // Idempotent for the same pair, from either side.
            let again = try await b.createConversation(
              .with {
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

                  let sent = try await phone.sendMessage(
                    conversation.id, to: [bob.address, aliceLaptop.address], text: "hi-bob"
                  ).get()
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
                  bobSession.send(
                    .with {
                      $0.read = .with {
                        $0.conversationID = conversation.id
                        $0.upToSeq = 1
                      }
                    })
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
                  _ = try await bobSession.sendMessage(
                    conversation.id, to: [alicePhone.address, aliceLaptop.address], text: "hi-alice"
                  ).get()
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

extension ChatTests {
  @Test("group of three users: everyone gets each message once, in order; admins manage members")
  func groupChat() async throws {
    try await withRelay { relay in
      let alice = TestDevice("alice@localhost")
      let bob = TestDevice("bob@localhost")
      let carol = TestDevice("carol@localhost")
      try await alice.withClient(relay) { a in
        try await bob.withClient(relay) { b in
          try await carol.withClient(relay) { c in
            try await alice.register(a)
            try await bob.register(b)
            try await carol.register(c)
            let group = try await a.createConversation(
              .with {
                $0.kind = .group
                $0.name = "trio"
                $0.members = ["bob@localhost", "carol@localhost"]
              })
            #expect(group.members.count == 3)
            #expect(group.members.first { $0.user == "alice@localhost" }?.role == .admin)
            // A non-admin may not change members.
            do {
              _ = try await b.removeMember(
                .with {
                  $0.conversationID = group.id
                  $0.user = "carol@localhost"
                })
            } catch let error as RPCError {
              #expect(error.code == .permissionDenied)
            }
            try await withSession(b) { bobSession in
              try await withSession(c) { carolSession in
                _ = try await bobSession.catchUp()
                _ = try await carolSession.catchUp()
                try await withSession(a) { aliceSession in
                  _ = try await aliceSession.catchUp()
                  for index in 1 ... 5 {
                    let sent = try await aliceSession.sendMessage(
                      group.id, to: [bob.address, carol.address], text: "m\(index)"
                    ).get()
                    #expect(sent.seq == UInt64(index))
                  }
                }
                for session in [bobSession, carolSession] {
                  var texts = [String]()
                  for _ in 1 ... 5 { texts.append(openedText(try await session.envelope())) }
                  #expect(texts == ["m1", "m2", "m3", "m4", "m5"])
                }
                // Carol answers everyone.
                _ = try await carolSession.sendMessage(group.id, to: [alice.address, bob.address], text: "hey").get()
                #expect(openedText(try await bobSession.envelope()) == "hey")
              }
            }
            // Carol leaves; sends must now leave her out.
            _ = try await c.leave(.with { $0.conversationID = group.id })
            let after = try await a.getConversation(.with { $0.conversationID = group.id })
            #expect(after.members.map(\.user).sorted() == ["alice@localhost", "bob@localhost"])
            do {
              _ = try await c.getHistory(.with { $0.conversationID = group.id })
              Issue.record("a former member read the history")
            } catch let error as RPCError {
              #expect(error.code == .permissionDenied)
            }
            // History: Bob sees the six envelopes addressed to him, in display order.
            let history = try await b.getHistory(
              .with {
                $0.conversationID = group.id
                $0.pageSize = 4
              })
            #expect(history.envelopes.map(openedText) == ["m1", "m2", "m3", "m4"])
            let rest = try await b.getHistory(
              .with {
                $0.conversationID = group.id
                $0.pageToken = history.nextPageToken
              })
            #expect(rest.envelopes.map(openedText) == ["m5", "hey"])
            #expect(rest.nextPageToken.isEmpty)
          }
        }
      }
    }
  }

  @Test("an offline device catches up after reconnect: everything, in order, in pages, once per cursor")
  func offlineCatchUp() async throws {
    try await withPair(configure: { $0.limits.syncPageSize = 50 }) { _, alice, a, bob, b, chat in
      let count = 230
      try await withSession(a) { session in
        _ = try await session.catchUp()
        for index in 0 ..< count {
          _ = try await session.sendMessage(chat, to: [bob.address], text: "n\(index)").get()
        }
      }
      // Bob connects: all 230 arrive in 5 pages, in order; he acks only the first 100.
      var firstCursors = [UInt64]()
      try await withSession(b) { session in
        let envelopes = try await session.catchUp().map(\.envelope)
        #expect(envelopes.map(openedText) == (0 ..< count).map { "n\($0)" })
        #expect(envelopes.map(\.seq) == (1 ... UInt64(count)).map { $0 })
        firstCursors = envelopes.map(\.cursor)
        #expect(Set(firstCursors).count == count)
        session.send(.with { $0.ack.cursor = envelopes[99].cursor })
      }
      try await Task.sleep(for: .milliseconds(200))
      // Reconnect: exactly the unacked 130 come again, nothing before them.
      try await withSession(b) { session in
        let entries = try await session.catchUp()
        #expect(entries.map(\.envelope.cursor) == Array(firstCursors[100...]))
        session.send(.with { $0.ack.cursor = entries.last!.envelope.cursor })
      }
      try await Task.sleep(for: .milliseconds(200))
      try await withSession(b) { session in
        let entries = try await session.catchUp()
        #expect(entries.isEmpty)
      }
      // Alice (offline meanwhile) finds a delivered receipt for each of Bob's two acks in her mailbox,
      // each covering every message up to its own (receipts are cumulative).
      try await withSession(a) { session in
        let receipts = try await session.catchUp().map(\.receipt)
        #expect(receipts.map(\.seq) == [100, UInt64(count)])
        #expect(receipts.allSatisfy { $0.status == .delivered && $0.by == bob.address })
      }
    }
  }

  @Test("a retried send returns the first result and is delivered once")
  func dedupOnRetry() async throws {
    try await withPair { _, alice, a, bob, b, chat in
      let id = newMessageID()
      let first = try await a.send(sendRequest(chat, to: [bob.address], text: "once", messageID: id))
      #expect(!first.duplicate)
      // The retry: on the unary call, then on the stream, with the id upper-cased.
      let second = try await a.send(sendRequest(chat, to: [bob.address], text: "once", messageID: id))
      #expect(second.duplicate)
      #expect(second.seq == first.seq && second.hlc == first.hlc)
      try await withSession(a) { session in
        _ = try await session.catchUp()
        let third = try await session.sendMessage(chat, to: [bob.address], text: "once", messageID: id.uppercased())
          .get()
        #expect(third.duplicate && third.seq == first.seq)
      }
      try await withSession(b) { session in
        let entries = try await session.catchUp()
        #expect(entries.count == 1)
      }
    }
  }
}
