public import Foundation

/// Hides a plaintext's exact length: append 0x80, then zero bytes up to a
/// multiple of 160 bytes (as Signal pads its messages).
public enum Padding {
  public static let block = 160

  public static func pad(_ data: Data) -> Data {
    var out = data
    out.append(0x80)
    let remainder = out.count % block
    if remainder != 0 { out.append(Data(count: block - remainder)) }
    return out
  }

  public static func unpad(_ data: Data) throws(E2EError) -> Data {
    guard let marker = data.lastIndex(where: { $0 != 0 }), data[marker] == 0x80 else {
      throw E2EError(code: .malformed, message: "the plaintext's padding is not 0x80 then zero bytes")
    }
    return Data(data[data.startIndex ..< marker])
  }
}
