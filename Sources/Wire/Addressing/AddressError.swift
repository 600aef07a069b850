/// Why a user address, device address or message id did not parse.
///
/// The description names the rule that was broken, never the input itself.
public struct AddressError: Error, Hashable, Sendable, CustomStringConvertible {
  public struct Code: Hashable, Sendable {
    enum Wrapped: Hashable, Sendable {
      case missingDomain, invalidUserName, invalidDomain, missingDeviceID, invalidDeviceID
      case invalidMessageID
    }
    let wrapped: Wrapped

    public static let missingDomain = Code(wrapped: .missingDomain)
    public static let invalidUserName = Code(wrapped: .invalidUserName)
    public static let invalidDomain = Code(wrapped: .invalidDomain)
    public static let missingDeviceID = Code(wrapped: .missingDeviceID)
    public static let invalidDeviceID = Code(wrapped: .invalidDeviceID)
    public static let invalidMessageID = Code(wrapped: .invalidMessageID)
  }

  public let code: Code

  public init(_ code: Code) { self.code = code }

  public var description: String {
    switch self.code.wrapped {
    case .missingDomain: "a user address is name@domain"
    case .invalidUserName: "a user name is 1-64 characters of a-z, 0-9, '.', '_' or '-'"
    case .invalidDomain: "a domain is a DNS host name of at most 253 characters, lower case"
    case .missingDeviceID: "a device address is name@domain/device-id"
    case .invalidDeviceID: "a device id is 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'"
    case .invalidMessageID: "a message id is a UUID in its 36-character text form"
    }
  }
}
