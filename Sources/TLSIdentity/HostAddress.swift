internal import Foundation

#if canImport(Glibc)
internal import Glibc
#endif

/// A host as written in `HOST:PORT` or a certificate's names: an IPv4 or
/// IPv6 literal (connected to as such, no SNI; an IP subject alternative
/// name) or a name to resolve. Brackets around an IPv6 literal are dropped.
///
/// ```swift
/// HostAddress("[::1]")      // .ipv6("::1")
/// HostAddress("relay.example") // .name("relay.example")
/// ```
public enum HostAddress: Hashable, Sendable {
  case ipv4(String)
  case ipv6(String)
  case name(String)

  public init(_ host: String) {
    let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    if Self.bytes(bare, family: AF_INET) != nil {
      self = .ipv4(bare)
    } else if Self.bytes(bare, family: AF_INET6) != nil {
      self = .ipv6(bare)
    } else {
      self = .name(host)
    }
  }

  /// The address's 4 or 16 bytes in network order; nil for a name.
  public var ipBytes: [UInt8]? {
    switch self {
    case .ipv4(let text): Self.bytes(text, family: AF_INET)
    case .ipv6(let text): Self.bytes(text, family: AF_INET6)
    case .name: nil
    }
  }

  private static func bytes(_ text: String, family: Int32) -> [UInt8]? {
    if family == AF_INET {
      var v4 = in_addr()
      return inet_pton(AF_INET, text, &v4) == 1 ? withUnsafeBytes(of: &v4) { Array($0) } : nil
    }
    var v6 = in6_addr()
    return inet_pton(AF_INET6, text, &v6) == 1 ? withUnsafeBytes(of: &v6) { Array($0) } : nil
  }
}
