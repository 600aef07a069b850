import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("Region hints: Redis payloads and the doorbell backlog")
struct RegionHintTests {
  @Test("region events round-trip through their payloads; malformed ones are ignored")
  func events() throws {
    let alice = try DeviceAddress(parsing: "alice@localhost/phone")
    let bob = try UserAddress(parsing: "bob@localhost")
    let cases: [(String, RegionEvent)] = [
      ("doorbell:n1", .doorbell(alice, cursor: 42)),
      ("relay:events", .presence(bob, online: true, lastSeenMs: 7)),
      ("relay:events", .typing(node: "n2", conversationID: "c1", user: bob, typing: false, audience: [bob])),
      ("relay:events", .resync),
    ]
    for (channel, event) in cases {
      #expect(RegionEvent(channel: channel, payload: Array(event.payload.utf8)) == event)
    }
    for (channel, payload) in [
      ("doorbell:n1", "alice@localhost/phone"), ("relay:events", "resync\tx"), ("relay:events", ""),
    ] {
      #expect(RegionEvent(channel: channel, payload: Array(payload.utf8)) == nil)
    }
  }

  @Test("undelivered doorbells: the highest cursor per device, then everyone past the limit")
  func backlog() throws {
    let phone = try DeviceAddress(parsing: "alice@localhost/phone")
    let laptop = try DeviceAddress(parsing: "alice@localhost/laptop")
    var backlog = UndeliveredDoorbells(limit: 2)
    #expect(backlog.take() == .none)
    backlog.add([Doorbell(device: phone, cursor: 3), Doorbell(device: phone, cursor: 9)])
    backlog.add([Doorbell(device: laptop, cursor: 1), Doorbell(device: phone, cursor: 5)])
    guard case .doorbells(let bells) = backlog.take() else {
      Issue.record("expected doorbells")
      return
    }
    #expect(Dictionary(uniqueKeysWithValues: bells.map { ($0.device, $0.cursor) }) == [phone: 9, laptop: 1])
    #expect(backlog.take() == .none)

    let third = try DeviceAddress(parsing: "bob@localhost/phone")
    backlog.add([
      Doorbell(device: phone, cursor: 1), Doorbell(device: laptop, cursor: 1), Doorbell(device: third, cursor: 1),
    ])
    #expect(backlog.take() == .everyone)
    #expect(backlog.take() == .none)

    // What could not be sent after all is put back as it was.
    backlog.putBack(.everyone)
    #expect(backlog.take() == .everyone)
    backlog.putBack(.doorbells([Doorbell(device: phone, cursor: 4)]))
    #expect(backlog.take() == .doorbells([Doorbell(device: phone, cursor: 4)]))
  }
}
