public import Foundation
internal import Wire

/// Every session with one remote device, the one to send on first.
///
/// Two devices that start sessions with each other at the same time end up
/// each holding both; a message that opens under an older session makes that
/// one current again, so the two sides settle on one.
public struct PeerSessions: Sendable, Codable, Equatable {
  /// How many sessions per remote device are kept; the least recently used goes.
  public static let limit = 5

  public private(set) var sessions: [Session] = []

  public init() {}

  /// The session to send on, if any.
  public var current: Session? { self.sessions.first }

  /// Makes `session` the current one.
  public mutating func insert(_ session: Session) {
    self.sessions.insert(session, at: 0)
    if self.sessions.count > Self.limit { self.sessions.removeLast(self.sessions.count - Self.limit) }
  }

  /// Seals `plaintext` on the current session.
  public mutating func seal(_ plaintext: Data) throws(E2EError) -> Data {
    guard !self.sessions.isEmpty else {
      throw E2EError(code: .noSession, message: "no session with this device; fetch its prekey bundle first")
    }
    return try self.sessions[0].seal(plaintext)
  }

  /// What opening an envelope used up: prekeys the caller must now erase.
  public struct Opened: Sendable {
    public var plaintext: Data
    /// Set when a new session was made from a prekey message.
    public var newSession: Bool
    public var usedOneTimePrekeyID: UInt32?
    public var usedKemPrekeyID: UInt32?
  }

  /// Opens `bytes` from this device. A prekey message for a session not yet
  /// held makes one; on any error nothing changes.
  public mutating func open(
    _ bytes: Data, identity: IdentityKeyPair, prekeys: some PrekeySource,
    limits: RatchetLimits = .defaults, now: Date = Date()
  ) throws(E2EError) -> Opened {
    let envelope = try SealedEnvelopeFormat.parse(bytes)
    if envelope.hasPrekey {
      if let index = self.sessions.firstIndex(where: { $0.baseKey == envelope.prekey.ephemeralKey }) {
        return Opened(plaintext: try self.open(envelope, at: index, limits, now), newSession: false)
      }
      var session = try Self.respond(to: envelope.prekey, identity: identity, prekeys: prekeys)
      let plaintext = try session.open(envelope, limits: limits, now: now)
      self.insert(session)
      return Opened(
        plaintext: plaintext, newSession: true,
        usedOneTimePrekeyID: envelope.prekey.oneTimePrekeyUsed ? envelope.prekey.oneTimePrekeyID : nil,
        usedKemPrekeyID: envelope.prekey.kemPrekeyID)
    }
    var firstError: E2EError?
    for index in self.sessions.indices {
      do {
        return Opened(plaintext: try self.open(envelope, at: index, limits, now), newSession: false)
      } catch {
        firstError = firstError ?? error
      }
    }
    throw firstError ?? E2EError(code: .noSession, message: "a message for a session this device does not hold")
  }

  private mutating func open(
    _ envelope: Relay_V1_SealedEnvelope, at index: Int, _ limits: RatchetLimits, _ now: Date
  ) throws(E2EError) -> Data {
    var session = self.sessions[index]
    let plaintext = try session.open(envelope, limits: limits, now: now)
    self.sessions.remove(at: index)
    self.sessions.insert(session, at: 0)
    return plaintext
  }

  private static func respond(
    to message: Relay_V1_PrekeyMessage, identity: IdentityKeyPair, prekeys: some PrekeySource
  ) throws(E2EError) -> Session {
    func lookup<T>(_ what: String, _ find: () throws -> T?) throws(E2EError) -> T {
      let found: T?
      do { found = try find() } catch {
        throw E2EError(code: .unknownPrekey, message: "looking up the \(what) failed", cause: error)
      }
      guard let found else {
        throw E2EError(code: .unknownPrekey, message: "the \(what) this message names is not held (used or rotated)")
      }
      return found
    }
    let signed = try lookup("signed prekey") { try prekeys.signedPrekey(id: message.signedPrekeyID) }
    let oneTime: OneTimePrekeyPair? =
      message.oneTimePrekeyUsed
      ? try lookup("one-time prekey") { try prekeys.oneTimePrekey(id: message.oneTimePrekeyID) } : nil
    let kem = try lookup("KEM prekey") { try prekeys.kemPrekey(id: message.kemPrekeyID) }
    return try Session.respond(
      identity: identity, message: message, signedPrekey: signed, oneTimePrekey: oneTime, kemPrekey: kem)
  }
}
