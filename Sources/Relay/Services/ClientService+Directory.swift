internal import Federation
internal import Foundation
internal import GRPCCore
internal import Logging
internal import RelayCore
import TLSIdentity
internal import Wire

extension ClientService {
  func register(request: Relay_V1_RegisterRequest, context: ServerContext) async throws -> Relay_V1_RegisterResponse {
    let fingerprint = try PeerIdentity.fingerprint(of: context)
    let user = try RequestValidation.user(request.user, field: "user")
    guard user.domain == self.configuration.domain else {
      throw RelayError(.invalidArgument, "user must be homed on this relay (domain \(self.configuration.domain))")
    }
    let device: DeviceAddress
    do {
      device = try DeviceAddress(user: user, deviceID: request.deviceID)
    } catch {
      throw RelayError(.invalidArgument, "device_id: \(error)")
    }
    guard request.hasIdentityKey, request.hasSignedPrekey, request.hasLastResortKemPrekey else {
      throw RelayError(.invalidArgument, "identity_key, signed_prekey and last_resort_kem_prekey are required")
    }
    try RequestValidation.identityKey(request.identityKey)
    _ = try RequestValidation.code(request.inviteCode, field: "invite_code")
    _ = try RequestValidation.code(request.linkCode, field: "link_code")
    try RequestValidation.signedPrekey(request.signedPrekey, field: "signed_prekey")
    try RequestValidation.kemPrekey(request.lastResortKemPrekey, field: "last_resort_kem_prekey")
    try RequestValidation.oneTimePrekeys(
      request.oneTimePrekeys, request.oneTimeKemPrekeys, limit: self.limits.maxPrekeysPerUpload)

    var registration = Registration(
      device: device,
      fingerprint: fingerprint,
      identityKey: request.identityKey,
      signedPrekey: request.signedPrekey,
      lastResortKemPrekey: request.lastResortKemPrekey,
      oneTimePrekeys: request.oneTimePrekeys,
      oneTimeKemPrekeys: request.oneTimeKemPrekeys,
      inviteCode: request.inviteCode.isEmpty ? nil : request.inviteCode,
      linkCode: request.linkCode.isEmpty ? nil : request.linkCode,
      policy: self.configuration.registration.policy,
      maxDevicesPerUser: self.limits.maxDevicesPerUser
    )
    registration.home = self.regions.registration(of: user, hlc: self.clock.now().hlc)
    let record: DeviceRecord
    do {
      record = try await self.store.register(registration, nowMs: self.wallClock())
    } catch let error as RelayError {
      throw self.regions.located(error)
    }
    self.logger.info("device registered", metadata: ["fingerprint": "\(record.fingerprint)"])
    var response = Relay_V1_RegisterResponse()
    response.device = record.address.description
    response.fingerprint = record.fingerprint.description
    return response
  }

  func createLinkCode(
    request: Relay_V1_CreateLinkCodeRequest, context: ServerContext
  ) async throws -> Relay_V1_CreateLinkCodeResponse {
    let caller = try await self.authenticator.device(of: context)
    let code = RandomHex.bits128()
    let lifetime = self.configuration.registration.linkCodeLifetime.components.seconds
    let expires = self.wallClock() + lifetime * 1000
    try await self.store.createLinkCode(code, for: caller.address.user, expiresAtMs: expires)
    var response = Relay_V1_CreateLinkCodeResponse()
    response.linkCode = code
    response.expiresAtMs = expires
    return response
  }

  func uploadPrekeys(
    request: Relay_V1_UploadPrekeysRequest, context: ServerContext
  ) async throws -> Relay_V1_UploadPrekeysResponse {
    let caller = try await self.authenticator.device(of: context)
    try RequestValidation.oneTimePrekeys(
      request.oneTimePrekeys, request.oneTimeKemPrekeys, limit: self.limits.maxPrekeysPerUpload)
    if request.hasSignedPrekey { try RequestValidation.signedPrekey(request.signedPrekey, field: "signed_prekey") }
    if request.hasLastResortKemPrekey {
      try RequestValidation.kemPrekey(request.lastResortKemPrekey, field: "last_resort_kem_prekey")
    }
    let upload = PrekeyUpload(
      oneTimePrekeys: request.oneTimePrekeys,
      oneTimeKemPrekeys: request.oneTimeKemPrekeys,
      signedPrekey: request.hasSignedPrekey ? request.signedPrekey : nil,
      lastResortKemPrekey: request.hasLastResortKemPrekey ? request.lastResortKemPrekey : nil,
      maxStored: self.limits.maxStoredPrekeys
    )
    let counts = try await self.store.uploadPrekeys(upload, for: caller.address)
    var response = Relay_V1_UploadPrekeysResponse()
    response.oneTimePrekeysLeft = UInt32(counts.oneTime)
    response.oneTimeKemPrekeysLeft = UInt32(counts.oneTimeKem)
    return response
  }

  func getPrekeyBundle(
    request: Relay_V1_GetPrekeyBundleRequest, context: ServerContext
  ) async throws -> Relay_V1_GetPrekeyBundleResponse {
    _ = try await self.authenticator.device(of: context)
    let user = try RequestValidation.user(request.user, field: "user")
    if !request.deviceID.isEmpty, !DeviceAddress.isValidDeviceID(request.deviceID) {
      throw RelayError(.invalidArgument, "device_id: \(AddressError(.invalidDeviceID))")
    }
    let deviceID = request.deviceID.isEmpty ? nil : request.deviceID
    var response = Relay_V1_GetPrekeyBundleResponse()
    if let relay = try await self.regions.relay(of: user, store: self.store) {
      response.bundles = try await self.remote(user).lookup(user, on: relay, deviceID: deviceID, claim: true).bundles
    } else {
      response.bundles = try await self.store.claimPrekeyBundles(user: user, deviceID: deviceID)
    }
    return response
  }

  func listDevices(
    request: Relay_V1_ListDevicesRequest, context: ServerContext
  ) async throws -> Relay_V1_ListDevicesResponse {
    _ = try await self.authenticator.device(of: context)
    let user = try RequestValidation.user(request.user, field: "user")
    var response = Relay_V1_ListDevicesResponse()
    guard let relay = try await self.regions.relay(of: user, store: self.store) else {
      response.devices = try await self.store.devices(of: user).map(\.info)
      // As GetPrekeyBundle and CreateConversation say it: a user with no device is not a user here.
      guard !response.devices.isEmpty else { throw RelayError(.notFound, "no such user on this relay") }
      return response
    }
    do {
      // Fresh from their relay; if it does not answer within 2 s, the devices
      // known here (kept current by its announcements, and what a send is
      // checked against) serve, so a send to a known user never waits long on a peer that is down.
      let known = try await self.store.devices(of: user).map(\.info)
      do {
        let patience: Duration? = known.isEmpty ? nil : .seconds(2)
        response.devices = try await self.remote(user).lookup(
          user, on: relay, deviceID: nil, claim: false, patience: patience
        ).devices
      } catch let error as RelayError where error.code == .unavailable && !known.isEmpty {
        response.devices = known
      }
    }
    return response
  }

  /// Makes sure a user named in a request is known here (a remote user is
  /// looked up on its relay and remembered); true when it was remote.
  @discardableResult
  func lookUpAndCache(_ user: UserAddress) async throws -> Bool {
    guard let relay = try await self.regions.relay(of: user, store: self.store) else { return false }
    _ = try await self.remote(user).lookup(user, on: relay, deviceID: nil, claim: false)
    return true
  }

  /// The peer links, for a user of another domain.
  func remote(_ user: UserAddress) throws(RelayError) -> Federator {
    guard let federator = self.federator else {
      throw RelayError(.notFound, "users of other relays are not reachable from this one (no federation peers)")
    }
    return federator
  }
}
