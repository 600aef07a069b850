/// Bounds on what a session keeps for out-of-order messages.
public struct RatchetLimits: Sendable, Equatable {
  /// The most message keys one received message may skip over in a chain.
  public var maxSkip: Int
  /// The most skipped message keys a session keeps; the oldest go first.
  public var maxStoredSkippedKeys: Int
  /// How long a skipped message key is kept.
  public var skippedKeyLifetime: Duration

  public static var defaults: RatchetLimits {
    RatchetLimits(maxSkip: 1_000, maxStoredSkippedKeys: 1_000, skippedKeyLifetime: .seconds(30 * 86_400))
  }

  public static func defaults(configure: (inout RatchetLimits) -> Void) -> RatchetLimits {
    var limits = Self.defaults
    configure(&limits)
    return limits
  }
}
