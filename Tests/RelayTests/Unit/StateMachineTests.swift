import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("State machines, driven by a fake clock")
struct StateMachineTests {
  let alicePhone = try! DeviceAddress(parsing: "alice@localhost/phone")
  let aliceLaptop = try! DeviceAddress(parsing: "alice@localhost/laptop")
  var alice: UserAddress { self.alicePhone.user }

  @Test("token bucket: burst, then the rate")
  func tokenBucket() {
    var bucket = TokenBucket(rate: 2, burst: 3, now: .zero)
    func takes(_ count: Int, at now: Duration) -> [Bool] { (0 ..< count).map { _ in bucket.take(now: now) } }
    #expect(takes(4, at: .zero) == [true, true, true, false])
    #expect(takes(1, at: .milliseconds(400)) == [false])
    #expect(takes(2, at: .milliseconds(500)) == [true, false])
    // Never more than the burst, however long the pause.
    #expect(takes(4, at: .seconds(100)) == [true, true, true, false])
  }

  @Test("hybrid logical clock: never backwards, ties broken by the counter, remote times observed")
  func hlc() {
    var clock = HybridLogicalClock.State()
    let ticks = [clock.tick(wallMs: 1000), clock.tick(wallMs: 1000), clock.tick(wallMs: 999), clock.tick(wallMs: 1001)]
    // The third: the wall clock stepped back, the HLC did not.
    #expect(ticks == [1000 << 16, 1000 << 16 + 1, 1000 << 16 + 2, 1001 << 16])
    clock.observe(5000 << 16 | 7, wallMs: 1002, maxDriftMs: 10_000)
    let afterRemote = clock.tick(wallMs: 1002)
    #expect(afterRemote == 5000 << 16 | 8)
  }

  @Test("hybrid logical clock: a remote time past the drift bound moves the clock only to the bound")
  func hlcDriftBound() {
    var clock = HybridLogicalClock.State()
    // A peer claiming the end of time (or a clock far ahead) pulls this one 60 s ahead at most.
    clock.observe(.max, wallMs: 1000, maxDriftMs: 60_000)
    #expect(clock.tick(wallMs: 1000) == (61_000 << 16 | 0xFFFF) + 1)
    // Ticks stay ordered and nothing overflows, even from the top of the range.
    var top = HybridLogicalClock.State()
    top.observe(.max, wallMs: .max, maxDriftMs: .max)
    let first = top.tick(wallMs: .max)
    #expect(top.tick(wallMs: 0) > first)
  }

  @Test("presence: online with any device, offline with last-seen when the last goes or expires")
  func presence() {
    var machine = PresenceStateMachine(ttl: .seconds(60))
    let first = machine.connected(self.alicePhone, now: .zero)
    let second = machine.connected(self.aliceLaptop, now: .seconds(1))
    let phoneGone = machine.disconnected(self.alicePhone, wallMs: 5)
    #expect(first == .online(self.alice) && second == nil && phoneGone == nil)
    #expect(machine.isOnline(self.alice))
    let laptopBeat = machine.heartbeat(self.aliceLaptop, now: .seconds(50))
    let phoneBeat = machine.heartbeat(self.alicePhone, now: .seconds(50))
    #expect(laptopBeat && !phoneBeat)
    // 60 s after the last heartbeat, not before.
    let early = machine.expire(now: .seconds(109), wallMs: 9)
    #expect(early.actions.isEmpty && early.expired.isEmpty)
    let expired = machine.expire(now: .seconds(110), wallMs: 1234)
    #expect(expired.actions == [.offline(self.alice, lastSeenMs: 1234)])
    #expect(expired.expired == [self.aliceLaptop])
    #expect(!machine.isOnline(self.alice))
    #expect(machine.lastSeenMs(self.alice) == 1234)
    let back = machine.connected(self.alicePhone, now: .seconds(200))
    #expect(back == .online(self.alice) && machine.lastSeenMs(self.alice) == 0)
    let gone = machine.disconnected(self.alicePhone, wallMs: 2000)
    #expect(gone == .offline(self.alice, lastSeenMs: 2000))
  }

  @Test("typing: one broadcast per change, ends by itself after the TTL")
  func typing() {
    var machine = TypingStateMachine(ttl: .seconds(5))
    let key = TypingStateMachine.Key(conversationID: "c", user: self.alice)
    let start = machine.update(key, typing: true, audience: [self.alice], now: .zero)
    let repeated = machine.update(key, typing: true, audience: [self.alice], now: .seconds(3))
    #expect(start && !repeated)
    let early = machine.expire(now: .seconds(7))  // refreshed at 3 s
    let due = machine.expire(now: .seconds(8))
    #expect(early.isEmpty && due.map(\.key) == [key])
    let stopAfterExpiry = machine.update(key, typing: false, audience: [], now: .seconds(9))
    let restart = machine.update(key, typing: true, audience: [], now: .seconds(10))
    let stop = machine.update(key, typing: false, audience: [], now: .seconds(11))
    #expect(!stopAfterExpiry && restart && stop)
  }

  @Test("stream admission: per address whatever the connection, then the relay's total; idle addresses forgotten")
  func streamAdmission() {
    let limits = StreamAdmission.Limits(
      perAddressRate: 10, perAddressBurst: 20, globalRate: 100, globalBurst: 30, maxAddresses: 4)
    var admission = StreamAdmission(limits, now: .zero)
    // One address: its burst of 20, then refused until its bucket refills.
    let first = (0 ..< 21).map { _ in admission.admit("10.0.0.1", now: .zero) }
    #expect(first.prefix(20).allSatisfy { $0 == nil } && first[20] == .address)
    #expect(admission.admit("10.0.0.1", now: .milliseconds(100)) == nil)
    // Other addresses still get in, up to the relay's total: 30 at once, 10 more 100 ms later, 21 taken.
    let others = (0 ..< 20).map { admission.admit("10.0.1.\($0)", now: .milliseconds(100)) }
    #expect(others.prefix(19).allSatisfy { $0 == nil } && others[19] == .global)
    // However many addresses come, no more than maxAddresses are remembered.
    #expect(admission.trackedAddresses <= 4)
    #expect(admission.admit("10.0.2.1", now: .seconds(60)) == nil)
    #expect(admission.trackedAddresses <= 4)
  }
}
