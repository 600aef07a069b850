public import E2E
public import Foundation
internal import GRPCCore
internal import SwiftProtobuf
internal import Wire

extension RelayDevice {
  /// `user`'s current devices and their identity keys, fetched from the relay
  /// (and remembered for sending).
  @discardableResult
  public func devices(of user: String) async throws(ClientError) -> [String: IdentityPublicKey] {
    let response = try await Self.call("listing the devices of \(user)") {
      try await self.relay.listDevices(.with { $0.user = user })
    }
    let devices = Dictionary(
      response.devices.map { ($0.device, $0.identityKey.identity) }, uniquingKeysWith: { first, _ in first })
    try self.database.setKnownDevices(of: user, devices)
    return devices
  }

  /// A code another device of this user registers with (`register(link:)`); valid 10 minutes, once.
  public func linkCode() async throws(ClientError) -> (code: String, expiresAt: Date) {
    let response = try await Self.call("creating a link code") { try await self.relay.createLinkCode(.init()) }
    return (response.linkCode, Date(timeIntervalSince1970: Double(response.expiresAtMs) / 1000))
  }

  /// The number this user and `user` compare to check their keys.
  public func safetyNumber(with user: String) async throws(ClientError) -> SafetyNumber {
    let mine = try await self.devices(of: self.user)
    let theirs = try await self.devices(of: user)
    return SafetyNumber(local: (self.user, Array(mine.values)), remote: (user, Array(theirs.values)))
  }

  /// How many unclaimed one-time prekeys (of the scarcer kind) the relay holds for this device.
  public func prekeysLeft() async throws(ClientError) -> Int {
    let counts = try await Self.call("counting prekeys") { try await self.relay.uploadPrekeys(.init()) }
    return Int(min(counts.oneTimePrekeysLeft, counts.oneTimeKemPrekeysLeft))
  }

  /// Publishes another batch of one-time prekeys when the relay holds fewer
  /// than the threshold; how many of each kind it holds afterwards.
  @discardableResult
  public func replenishPrekeys() async throws(ClientError) -> Int {
    let left = try await self.prekeysLeft()
    guard left < self.configuration.prekeyBatch, left < self.configuration.prekeyThreshold else { return left }
    let next = try self.database.device().nextPrekeyID
    let batch = PrekeyBatch(count: self.configuration.prekeyBatch, firstID: next, signedBy: self.local.identity)
    // Kept before they are published: a key the relay hands out is always one this device holds.
    try self.database.add(batch)
    let after = try await Self.call("uploading prekeys") {
      try await self.relay.uploadPrekeys(
        .with {
          $0.oneTimePrekeys = batch.oneTime.map { .init($0) }
          $0.oneTimeKemPrekeys = batch.kem.map { .init($0) }
        })
    }
    return Int(min(after.oneTimePrekeysLeft, after.oneTimeKemPrekeysLeft))
  }
}
