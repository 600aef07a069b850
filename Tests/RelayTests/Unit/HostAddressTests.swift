import TLSIdentity
import Testing

@testable import RelayTestSupport

@Suite("Host addresses: literals and names")
struct HostAddressTests {
  @Test("IPv4 and IPv6 literals (brackets dropped) are told from names, with their bytes")
  func literals() {
    #expect(HostAddress("127.0.0.1") == .ipv4("127.0.0.1"))
    #expect(HostAddress("127.0.0.1").ipBytes == [127, 0, 0, 1])
    #expect(HostAddress("[::1]") == .ipv6("::1"))
    #expect(HostAddress("::1").ipBytes == Array(repeating: 0, count: 15) + [1])
    #expect(HostAddress("relay.example") == .name("relay.example"))
    #expect(HostAddress("1234.5.6.7") == .name("1234.5.6.7"))
    #expect(HostAddress("relay.example").ipBytes == nil)
  }
}
