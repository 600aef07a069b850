internal import Federation
internal import GRPCCore
internal import Logging
internal import RelayCore
internal import Wire

/// The `relay.v1.Client` service: a device and its home relay.
///
/// Every method first finds the calling device from its client certificate
/// (``Authenticator``); only `Register` accepts an unregistered key.
struct ClientService: Relay_V1_Client.SimpleServiceProtocol {
  let configuration: RelayConfiguration
  let store: any RelayStore
  let authenticator: Authenticator
  /// Sends, group-committed.
  let committer: SendCommitter
  /// Acks, group-committed apart from the sends.
  let acks: AckCommitter
  /// The relay's message clock (the committers' writers observe it too).
  let clock: HybridLogicalClock
  let sessions: SessionRegistry
  /// Rings the devices a commit wrote to and wakes the peer links.
  let dispatcher: CommitDispatcher
  let presence: any PresenceTracker
  let rateLimiter: RateLimiter<DeviceAddress>
  let metrics: RelayMetrics
  let wallClock: @Sendable () -> Int64
  let logger: Logger
  /// The peer links, when this relay has peers.
  var federator: Federator? = nil
  /// Copies attachments of peer relays for this relay's devices, when it has peers.
  var attachmentFetcher: AttachmentFetcher? = nil

  var limits: RelayConfiguration.Limits { self.configuration.limits }
  var regions: RegionDirectory { self.authenticator.regions }
  var frameRules: ClientFrameRules { ClientFrameRules(self.configuration) }
}
