import Foundation
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// Two `relay serve` nodes of one region whose wall clocks disagree.
@Suite("A region whose nodes' clocks disagree", .timeLimit(Patience.minutes(4)))
struct RegionClockTests {
  @Test("with n1's clock 10 minutes ahead, a reply made on n2 sorts after the message it answers")
  func replyAfterQuestion() async throws {
    let region = try await TestRegion.make()
    let (port1, port2) = (try await freePort(), try await freePort())
    // One after the other: the first makes the region's certificate in the shared data folder.
    let n1 = try ChildProcess(
      relayExecutable, try region.serveArguments("n1", port: port1), environment: ["RELAY_CLOCK_SKEW_MS": "600000"])
    try await n1.waitForOutput("relay listening")
    let n2 = try ChildProcess(relayExecutable, try region.serveArguments("n2", port: port2))
    try await n2.waitForOutput("relay listening")
    let pem = try String(contentsOfFile: region.dataDirectory + "/relay-cert.pem", encoding: .utf8)
    let node1 = TestRelay(port: port1, dataDirectory: region.dataDirectory, certificatePEM: pem, store: nil) {}
    let node2 = TestRelay(port: port2, dataDirectory: region.dataDirectory, certificatePEM: pem, store: nil) {}
    try await region.chatting(node1, node2) { alice, aliceSession, bob, bobSession, chat in
      let question = try await aliceSession.sendMessage(chat, to: [bob.address], text: "question").get()
      // Bob reads the question from n2 (n1's doorbell through Redis, then n2 reads the mailbox).
      #expect(try await bobSession.envelope().messageID == question.messageID)
      let answer = try await bobSession.sendMessage(chat, to: [alice.address], text: "answer").get()
      // Display order is (hlc, origin relay, origin seq): the answer after the question, everywhere.
      #expect(answer.hlc > question.hlc, "the answer's timestamp \(answer.hlc) follows the question's \(question.hlc)")
    }
    #expect(await n2.stop(SIGTERM) == 0)
    #expect(await n1.stop(SIGTERM) == 0)
  }
}
