extension RelayConfiguration {
  /// Attachments' ciphertext stored for devices (docs/attachments.md).
  public struct Attachments: Sendable, Hashable {
    /// The largest attachment, in bytes (100 MiB by default).
    public var maxBytes: Int64
    /// What one user's unexpired attachments may hold together (1 GiB by default).
    public var quotaBytes: Int64
    /// The largest chunk of an upload, and of a download (1 MiB by default).
    public var maxChunkBytes: Int
    /// How long an attachment is kept after its upload begins (30 days by default).
    public var lifetime: Duration
    /// How often expired attachments are deleted.
    public var sweepInterval: Duration
    /// How long fetching a peer relay's attachment may take (5 minutes by
    /// default); a fetch cut short resumes where it stopped on the next download.
    public var fetchTimeout: Duration
    /// How many attachments this relay fetches from peers at once (16 by
    /// default); a download that would be one more is refused `RESOURCE_EXHAUSTED`.
    public var maxConcurrentFetches: Int

    public static var defaults: Self {
      Self(
        maxBytes: 100 << 20, quotaBytes: 1 << 30, maxChunkBytes: 1 << 20, lifetime: .seconds(30 * 86_400),
        sweepInterval: .seconds(600), fetchTimeout: .seconds(300), maxConcurrentFetches: 16)
    }
  }
}

extension RelayConfiguration.Attachments {
  package mutating func apply(_ file: ConfigFile.Attachments) throws(RelayError) {
    typealias C = RelayConfiguration
    if let v = file.max_bytes { self.maxBytes = try C.positive(v, "attachments.max_bytes") }
    if let v = file.quota_bytes { self.quotaBytes = try C.positive(v, "attachments.quota_bytes") }
    if let v = file.max_chunk_bytes {
      guard (1 ... (4 << 20)).contains(v) else {
        throw RelayError(.invalidArgument, "config 'attachments.max_chunk_bytes' must be 1 to 4194304")
      }
      self.maxChunkBytes = v
    }
    if let v = file.lifetime_days { self.lifetime = .seconds(try C.positive(v, "attachments.lifetime_days") * 86_400) }
    if let v = file.sweep_interval_seconds {
      self.sweepInterval = .seconds(try C.positive(v, "attachments.sweep_interval_seconds"))
    }
    if let v = file.fetch_timeout_seconds {
      self.fetchTimeout = .seconds(try C.positive(v, "attachments.fetch_timeout_seconds"))
    }
    if let v = file.max_concurrent_fetches {
      self.maxConcurrentFetches = try C.positive(v, "attachments.max_concurrent_fetches")
    }
  }
}
