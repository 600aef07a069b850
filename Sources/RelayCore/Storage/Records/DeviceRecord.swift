public import TLSIdentity
public import Wire

/// A registered device.
public struct DeviceRecord: Sendable, Hashable {
  public var address: DeviceAddress
  public var fingerprint: Fingerprint
  public var registeredAtMs: Int64
  public var identityKey: Relay_V1_IdentityKey

  package init(
    address: DeviceAddress, fingerprint: Fingerprint, registeredAtMs: Int64, identityKey: Relay_V1_IdentityKey
  ) {
    self.address = address
    self.fingerprint = fingerprint
    self.registeredAtMs = registeredAtMs
    self.identityKey = identityKey
  }
}

/// Everything `Register` binds.
public struct Registration: Sendable {
  public var device: DeviceAddress
  public var fingerprint: Fingerprint
  public var identityKey: Relay_V1_IdentityKey
  public var signedPrekey: Relay_V1_SignedPrekey
  public var lastResortKemPrekey: Relay_V1_KemPrekey
  public var oneTimePrekeys: [Relay_V1_OneTimePrekey]
  public var oneTimeKemPrekeys: [Relay_V1_KemPrekey]
  /// Required for a new user under the `invite` policy.
  public var inviteCode: String?
  /// Required to add a device to an existing user.
  public var linkCode: String?
  public var policy: RelayConfiguration.Registration.Policy
  public var maxDevicesPerUser: Int
  /// On a region of a domain with several: the home this registration
  /// claims for a new user, and the other regions to tell. Nil otherwise.
  public var home: HomeRegistration?

  public init(
    device: DeviceAddress, fingerprint: Fingerprint, identityKey: Relay_V1_IdentityKey,
    signedPrekey: Relay_V1_SignedPrekey, lastResortKemPrekey: Relay_V1_KemPrekey,
    oneTimePrekeys: [Relay_V1_OneTimePrekey], oneTimeKemPrekeys: [Relay_V1_KemPrekey], inviteCode: String?,
    linkCode: String?, policy: RelayConfiguration.Registration.Policy, maxDevicesPerUser: Int
  ) {
    self.device = device
    self.fingerprint = fingerprint
    self.identityKey = identityKey
    self.signedPrekey = signedPrekey
    self.lastResortKemPrekey = lastResortKemPrekey
    self.oneTimePrekeys = oneTimePrekeys
    self.oneTimeKemPrekeys = oneTimeKemPrekeys
    self.inviteCode = inviteCode
    self.linkCode = linkCode
    self.policy = policy
    self.maxDevicesPerUser = maxDevicesPerUser
  }
}

public struct PrekeyUpload: Sendable {
  public var oneTimePrekeys: [Relay_V1_OneTimePrekey]
  public var oneTimeKemPrekeys: [Relay_V1_KemPrekey]
  public var signedPrekey: Relay_V1_SignedPrekey?
  public var lastResortKemPrekey: Relay_V1_KemPrekey?
  /// The most one-time prekeys of each kind a device may hold.
  public var maxStored: Int

  package init(
    oneTimePrekeys: [Relay_V1_OneTimePrekey], oneTimeKemPrekeys: [Relay_V1_KemPrekey],
    signedPrekey: Relay_V1_SignedPrekey?, lastResortKemPrekey: Relay_V1_KemPrekey?, maxStored: Int
  ) {
    self.oneTimePrekeys = oneTimePrekeys
    self.oneTimeKemPrekeys = oneTimeKemPrekeys
    self.signedPrekey = signedPrekey
    self.lastResortKemPrekey = lastResortKemPrekey
    self.maxStored = maxStored
  }
}

public struct PrekeyCounts: Sendable, Hashable {
  public var oneTime: Int
  public var oneTimeKem: Int

  package init(oneTime: Int, oneTimeKem: Int) {
    self.oneTime = oneTime
    self.oneTimeKem = oneTimeKem
  }
}
