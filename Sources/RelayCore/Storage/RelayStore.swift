internal import Foundation
public import TLSIdentity
public import Wire

/// Where a relay keeps its truth: the directory (users, devices, public keys),
/// conversations, messages and the per-device mailboxes.
///
/// Every backend (the embedded SQLite store; PostgreSQL for a region) passes
/// the one contract suite in `Tests/RelayStoreTests`. Methods throw
/// ``RelayError`` for anything a client did wrong, with nothing written; any
/// other error is the backend's and surfaces as `internal` or `unavailable`.
public protocol RelayStore: PushStore, AttachmentStore {
  // MARK: Directory

  /// Adds operator-made invite codes.
  func createInvites(_ codes: [String], nowMs: Int64) async throws
  /// Binds a fingerprint to a new device (and, for a new user, creates the user).
  func register(_ registration: Registration, nowMs: Int64) async throws -> DeviceRecord
  /// Lets one more device join `user` with `code` until `expiresAtMs`.
  func createLinkCode(_ code: String, for user: UserAddress, expiresAtMs: Int64) async throws
  func device(fingerprint: Fingerprint) async throws -> DeviceRecord?
  func devices(of user: UserAddress) async throws -> [DeviceRecord]
  /// The user's home in the directory of a domain with several regions (docs/regions.md); nil when none is recorded.
  func home(of user: UserAddress) async throws -> HomeClaim?
  /// The user of a device registered in another region of this domain, by its key (docs/regions.md).
  func regionDevice(fingerprint: Fingerprint) async throws -> UserAddress?
  /// Adds one-time prekeys and optionally rotates the signed ones.
  func uploadPrekeys(_ upload: PrekeyUpload, for device: DeviceAddress) async throws -> PrekeyCounts
  /// One bundle per device (or for the one device named), each one-time
  /// prekey claimed atomically: no two callers ever get the same one.
  func claimPrekeyBundles(user: UserAddress, deviceID: String?) async throws -> [Relay_V1_PrekeyBundle]

  // MARK: Conversations

  /// A direct conversation is idempotent for the same pair.
  func createConversation(_ new: NewConversation) async throws -> ConversationRecord
  /// The conversation as `viewer` sees it; `permissionDenied` if not a member.
  func conversation(id: String, viewer: UserAddress) async throws -> ConversationRecord
  /// The conversation after the change, or nil when the actor is no longer a member.
  func changeMembers(_ change: MembershipChange) async throws -> ConversationRecord?
  /// Most recent activity first.
  func conversations(of user: UserAddress, page: PageRequest) async throws -> Page<ConversationRecord>
  /// The envelopes addressed to `device`, in display order.
  func history(conversationID: String, device: DeviceAddress, page: PageRequest) async throws -> Page<Relay_V1_Envelope>
  func sharesConversation(_ a: UserAddress, _ b: UserAddress) async throws -> Bool

  // MARK: Messages and mailboxes

  /// Commits a batch of sends in one transaction (group commit). Each send
  /// succeeds or fails alone; a failed one writes nothing.
  func commit(_ sends: [SendCommand], clock: HybridLogicalClock) async throws -> [Result<SendOutcome, RelayError>]
  /// Mailbox entries of `device` after `cursor`, in cursor order.
  func mailbox(of device: DeviceAddress, after cursor: UInt64, limit: Int) async throws -> [Relay_V1_MailboxEntry]
  /// The last cursor `device` acknowledged.
  func ackedCursor(of device: DeviceAddress) async throws -> UInt64
  /// Commits a batch of acks in one transaction (group commit): each
  /// acknowledges its device's mailbox up to its cursor, prunes it, and writes
  /// `delivered` receipts to the senders' devices. Each ack succeeds or fails
  /// alone (a refused one writes nothing); acks of one device apply in order.
  func acknowledge(_ acks: [AckCommand]) async throws -> [Result<[Doorbell], RelayError>]
  /// Marks messages up to `seq` read and writes `read` receipts to their senders' devices.
  func markRead(device: DeviceAddress, conversationID: String, upToSeq: UInt64, nowMs: Int64) async throws -> [Doorbell]
  /// Mailbox entries written but not yet acknowledged, across all devices.
  func mailboxDepth() async throws -> Int64

  // MARK: Capabilities
  // What the relay asks of a backend instead of asking which backend it is.

  /// Whether commits may run in several transactions at once (PostgreSQL's
  /// pool), or one writer holds the database (SQLite).
  var takesConcurrentCommits: Bool { get }
  /// Whether the database lives outside the process, shared by the nodes of
  /// a region: the relay then watches it (``ping()``) to report its health.
  var isShared: Bool { get }
  /// Brings the schema up to date, waiting up to `wait` for the database to
  /// answer; the migrations applied, none when it was up to date.
  func migrate(waitingUpTo wait: Duration) async throws -> [String]
  /// Whether the database answers now.
  func ping() async -> Bool
  /// The connections of the store's pool in use, nil for a store without one.
  var connectionsInUse: Int? { get }
}

extension RelayStore {
  /// Brings the schema up to date, waiting up to 30 s for the database.
  public func migrate() async throws -> [String] { try await self.migrate(waitingUpTo: .seconds(30)) }

  /// One ack, alone in its batch.
  public func acknowledge(device: DeviceAddress, upTo cursor: UInt64, nowMs: Int64) async throws -> [Doorbell] {
    let results = try await self.acknowledge([AckCommand(device: device, upTo: cursor, atMs: nowMs)])
    guard let result = results.first else { throw RelayError(.internal, "an ack batch answered nothing") }
    return try result.get()
  }
}

/// "Device D has mailbox entries up to cursor C" — with the entry itself when
/// the backend has it at hand, so a live session can skip reading it back.
public struct Doorbell: Sendable, Hashable {
  public var device: DeviceAddress
  public var cursor: UInt64
  public var entry: Relay_V1_MailboxEntry?

  public init(device: DeviceAddress, cursor: UInt64, entry: Relay_V1_MailboxEntry? = nil) {
    self.device = device
    self.cursor = cursor
    self.entry = entry
  }
}

public struct PageRequest: Sendable, Hashable {
  public var size: Int
  public var token: String
  public init(size: Int, token: String) {
    self.size = size
    self.token = token
  }
}

public struct Page<Item: Sendable>: Sendable {
  public var items: [Item]
  public var nextToken: String

  package init(items: [Item], nextToken: String) {
    self.items = items
    self.nextToken = nextToken
  }
}
