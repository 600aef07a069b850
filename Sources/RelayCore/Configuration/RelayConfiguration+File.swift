internal import Foundation
internal import TLSIdentity
internal import Wire

extension RelayConfiguration {
  /// Applies a config file over this configuration.
  /// Relative paths in the file (`data_dir`, `tls.certificate`, `tls.key`, `push.gateway_ca`)
  /// are relative to the file's own folder, not to the working directory.
  public mutating func apply(configFile path: String) throws(RelayError) {
    let file = try ConfigFile.load(path: path)
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
    let resolved = { (relative: String) in URL(fileURLWithPath: relative, relativeTo: folder).standardizedFileURL.path }
    if let domain = file.domain {
      guard (try? UserAddress(name: "x", domain: domain)) != nil else {
        throw RelayError(.invalidArgument, "config 'domain' must be a lower-case DNS host name")
      }
      self.domain = domain
    }
    if let dir = file.data_dir { self.dataDirectory = resolved(dir) }
    if let listen = file.listen { self.listen = try Listen(parsing: listen) }
    if let tls = file.tls {
      self.tls.certificateChainPath = tls.certificate.map(resolved)
      self.tls.privateKeyPath = tls.key.map(resolved)
      guard (tls.certificate == nil) == (tls.key == nil) else {
        throw RelayError(.invalidArgument, "config 'tls' needs both 'certificate' and 'key'")
      }
    }
    if let registration = file.registration {
      if let policy = registration.policy { self.registration.policy = policy }
      if let seconds = registration.link_code_lifetime_seconds {
        self.registration.linkCodeLifetime = .seconds(try Self.positive(seconds, "link_code_lifetime_seconds"))
      }
    }
    if let limits = file.limits { try self.limits.apply(limits) }
    if let presence = file.presence {
      if let s = presence.heartbeat_seconds {
        self.presence.heartbeatInterval = .seconds(try Self.positive(s, "heartbeat_seconds"))
      }
      if let s = presence.ttl_seconds { self.presence.ttl = .seconds(try Self.positive(s, "ttl_seconds")) }
      if let s = presence.typing_ttl_seconds {
        self.presence.typingTTL = .seconds(try Self.positive(s, "typing_ttl_seconds"))
      }
    }
    if let region = file.region {
      if let name = region.name { self.region.name = name }
      if let url = region.postgres_url { self.region.postgresURL = url }
      if let url = region.redis_url { self.region.redisURL = url }
      if let id = region.node_id { self.region.nodeID = id }
      if let n = region.postgres_pool_size { self.region.postgresPoolSize = try Self.positive(n, "postgres_pool_size") }
      if let ms = region.postgres_lease_timeout_ms {
        self.region.postgresLeaseTimeout = .milliseconds(try Self.positive(ms, "postgres_lease_timeout_ms"))
      }
      if let ms = region.postgres_statement_timeout_ms {
        self.region.postgresStatementTimeout = .milliseconds(try Self.positive(ms, "postgres_statement_timeout_ms"))
      }
      if let migrate = region.migrate_on_start { self.region.migrateOnStart = migrate }
      if let n = region.commit_lanes { self.region.commitLanes = try Self.positive(n, "commit_lanes") }
      if let s = region.session_ttl_seconds {
        self.region.sessionTTL = .seconds(try Self.positive(s, "session_ttl_seconds"))
      }
    }
    if let federation = file.federation { try self.federation.apply(federation) }
    if let push = file.push { try self.push.apply(push, resolved: resolved) }
    if let attachments = file.attachments { try self.attachments.apply(attachments) }
    if let listen = file.metrics?.listen { self.metrics.listen = try Listen(parsing: listen) }
    if let connection = file.connection {
      if let s = connection.handshake_timeout_seconds {
        self.connection.handshakeTimeout = .seconds(try Self.positive(s, "handshake_timeout_seconds"))
      }
      if let s = connection.idle_timeout_seconds {
        self.connection.idleTimeout = .seconds(try Self.positive(s, "idle_timeout_seconds"))
      }
      if let s = connection.shutdown_grace_seconds {
        self.connection.shutdownGracePeriod = .seconds(try Self.positive(s, "shutdown_grace_seconds"))
      }
      if let n = connection.max_concurrent_streams {
        self.connection.maxConcurrentStreams = try Self.positive(n, "max_concurrent_streams")
      }
      if let rate = connection.streams_per_second_per_address {
        self.connection.streamsPerSecondPerAddress = try Self.positive(rate, "streams_per_second_per_address")
      }
      if let rate = connection.streams_per_second {
        self.connection.streamsPerSecond = try Self.positive(rate, "streams_per_second")
      }
    }
  }

  package static func positive<N: Numeric & Comparable>(_ value: N, _ key: String) throws(RelayError) -> N {
    guard value > 0 else { throw RelayError(.invalidArgument, "config '\(key)' must be positive") }
    return value
  }
}

extension RelayConfiguration.Limits {
  package mutating func apply(_ file: ConfigFile.Limits) throws(RelayError) {
    typealias C = RelayConfiguration
    if let v = file.max_envelope_bytes { self.maxEnvelopeBytes = try C.positive(v, "max_envelope_bytes") }
    if let v = file.max_copies_per_send { self.maxCopiesPerSend = try C.positive(v, "max_copies_per_send") }
    if let v = file.max_group_members { self.maxGroupMembers = try C.positive(v, "max_group_members") }
    if let v = file.max_devices_per_user { self.maxDevicesPerUser = try C.positive(v, "max_devices_per_user") }
    if let v = file.max_prekeys_per_upload { self.maxPrekeysPerUpload = try C.positive(v, "max_prekeys_per_upload") }
    if let v = file.max_stored_prekeys { self.maxStoredPrekeys = try C.positive(v, "max_stored_prekeys") }
    if let v = file.sends_per_second { self.sendsPerSecond = try C.positive(v, "sends_per_second") }
    if let v = file.send_burst { self.sendBurst = try C.positive(v, "send_burst") }
    if let v = file.max_frame_bytes { self.maxFrameBytes = try C.positive(v, "max_frame_bytes") }
    if let v = file.max_in_flight_sends_per_stream {
      self.maxInFlightSendsPerStream = try C.positive(v, "max_in_flight_sends_per_stream")
    }
    if let v = file.max_sends_per_commit { self.maxSendsPerCommit = try C.positive(v, "max_sends_per_commit") }
    if let v = file.sync_page_size { self.syncPageSize = try C.positive(v, "sync_page_size") }
    if let v = file.max_page_size { self.maxPageSize = try C.positive(v, "max_page_size") }
  }
}

extension RelayConfiguration.Federation {
  package mutating func apply(_ file: ConfigFile.Federation) throws(RelayError) {
    typealias C = RelayConfiguration
    if let peers = file.peers {
      self.peers = try peers.map { (peer) throws(RelayError) in
        guard (try? UserAddress(name: "x", domain: peer.domain)) != nil else {
          throw RelayError(.invalidArgument, "config peer domain '\(peer.domain)' is not a lower-case DNS host name")
        }
        guard let fingerprint = Fingerprint(hex: peer.fingerprint) else {
          throw RelayError(.invalidArgument, "config peer \(peer.domain): fingerprint must be 64 hex digits (SHA-256)")
        }
        return Peer(domain: peer.domain, address: try C.Listen(parsing: peer.address), fingerprint: fingerprint)
      }
    }
    if let regions = file.regions {
      self.regions = try regions.map { (region) throws(RelayError) in
        guard let fingerprint = Fingerprint(hex: region.fingerprint) else {
          throw RelayError(
            .invalidArgument, "config region \(region.name): fingerprint must be 64 hex digits (SHA-256)")
        }
        return Region(name: region.name, address: try C.Listen(parsing: region.address), fingerprint: fingerprint)
      }
    }
    if let gateway = file.gateway { self.gateway = gateway }
    if let v = file.max_batch_events { self.maxBatchEvents = try C.positive(v, "max_batch_events") }
    if let v = file.max_batches_per_second { self.maxBatchesPerSecond = try C.positive(v, "max_batches_per_second") }
    if let v = file.reconcile_interval_seconds {
      self.reconcileInterval = .seconds(try C.positive(v, "reconcile_interval_seconds"))
    }
  }
}
