/// Everything a relay needs to run, as nested `Sendable` structs.
///
/// ``defaults`` is the embedded default: domain `localhost`, data under
/// `./relay-data`, listening on `127.0.0.1:7443`, open registration, a
/// self-signed certificate generated on first start.
///
/// ```swift
/// let config = RelayConfiguration.defaults { config in
///   config.listen.port = 0
///   config.limits.sendsPerSecond = 5
/// }
/// ```
public struct RelayConfiguration: Sendable {
  /// This relay's domain: users are `name@domain`.
  public var domain: String
  /// Where the embedded database, certificates and keys live.
  public var dataDirectory: String
  public var listen: Listen
  public var tls: TLS
  public var registration: Registration
  public var limits: Limits
  public var presence: Presence
  public var connection: Connection
  public var region: Region
  public var metrics: Metrics
  public var federation: Federation
  public var push: Push
  public var attachments: Attachments

  public static var defaults: Self {
    Self(
      domain: "localhost",
      dataDirectory: "./relay-data",
      listen: .defaults,
      tls: .defaults,
      registration: .defaults,
      limits: .defaults,
      presence: .defaults,
      connection: .defaults,
      region: .defaults,
      metrics: .defaults,
      federation: .defaults,
      push: .defaults,
      attachments: .defaults
    )
  }

  public static func defaults(configure: (inout Self) -> Void) -> Self {
    var config = Self.defaults
    configure(&config)
    return config
  }
}

extension RelayConfiguration {
  public struct Listen: Sendable, Hashable {
    public var host: String
    public var port: Int

    public static var defaults: Self { Self(host: "127.0.0.1", port: 7443) }

    /// Parses `HOST:PORT` (`[::1]:7443` for IPv6).
    public init(parsing text: String) throws(RelayError) {
      guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
        (0 ... 65535).contains(port)
      else { throw RelayError(.invalidArgument, "listen address must be HOST:PORT") }
      var host = String(text[..<colon])
      if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
      guard !host.isEmpty else { throw RelayError(.invalidArgument, "listen address must be HOST:PORT") }
      self.init(host: host, port: port)
    }

    public init(host: String, port: Int) {
      self.host = host
      self.port = port
    }
  }

  /// The relay's own certificate. Both `nil`: generate one on first start and
  /// keep it in the data directory.
  public struct TLS: Sendable, Hashable {
    public var certificateChainPath: String?
    public var privateKeyPath: String?

    public static var defaults: Self { Self(certificateChainPath: nil, privateKeyPath: nil) }
  }

  public struct Registration: Sendable, Hashable {
    public enum Policy: String, Sendable, Hashable, Codable {
      /// Anyone who can reach the relay may register a new user.
      case open
      /// A new user needs an operator-made invite code (`relay invite`).
      case invite
    }
    public var policy: Policy
    /// How long a device link code stays valid.
    public var linkCodeLifetime: Duration

    public static var defaults: Self { Self(policy: .open, linkCodeLifetime: .seconds(600)) }
  }
}
