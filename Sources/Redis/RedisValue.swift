/// One reply from Redis, as the RESP reader parses it.
public enum RedisValue: Sendable, Hashable {
  case string([UInt8])
  case status(String)
  case integer(Int64)
  case array([RedisValue])
  case null
  /// An error reply (`-ERR ...`): the command failed, the connection is fine.
  case error(String)

  /// A bulk or status string as text; nil for anything else.
  public var text: String? {
    switch self {
    case .string(let bytes): String(decoding: bytes, as: UTF8.self)
    case .status(let text): text
    default: nil
    }
  }

  public var integer: Int64? {
    if case .integer(let value) = self { return value }
    return nil
  }

  public var array: [RedisValue]? {
    if case .array(let values) = self { return values }
    return nil
  }
}
