/// What went wrong talking to Redis.
public struct RedisError: Error, Sendable, CustomStringConvertible {
  public struct Code: Hashable, Sendable {
    let name: String
    /// No connection to Redis right now (it is down, or reconnecting).
    public static let unavailable = Code(name: "unavailable")
    /// The connection closed or timed out with the command in flight.
    public static let connectionLost = Code(name: "connectionLost")
    /// Redis answered with an error reply.
    public static let commandFailed = Code(name: "commandFailed")
    /// The bytes from the server are not RESP.
    public static let protocolError = Code(name: "protocolError")
    /// The URL is not `redis://HOST[:PORT][/DB]`.
    public static let invalidURL = Code(name: "invalidURL")
  }

  public var code: Code
  public var message: String
  public var cause: (any Error)?

  public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
    self.code = code
    self.message = message
    self.cause = cause
  }

  public var description: String { "\(self.code.name): \(self.message)" }
}
