internal import CHiredis
internal import NIOCore

/// Commands in RESP, formatted by hiredis's `redisFormatCommandArgv`.
enum RESPCommand {
  static func write(_ arguments: [String], into buffer: inout ByteBuffer) {
    let lengths = arguments.map(\.utf8.count)
    var storage = [CChar]()
    storage.reserveCapacity(lengths.reduce(1, +))
    for argument in arguments { storage.append(contentsOf: argument.utf8.map { CChar(bitPattern: $0) }) }
    storage.append(0)  // never empty, so the base address exists
    storage.withUnsafeBufferPointer { base in
      var offsets = [Int]()
      var offset = 0
      for length in lengths {
        offsets.append(offset)
        offset += length
      }
      var argv: [UnsafePointer<CChar>?] = offsets.map { base.baseAddress! + $0 }
      var target: UnsafeMutablePointer<CChar>?
      let count = argv.withUnsafeMutableBufferPointer { pointers in
        lengths.withUnsafeBufferPointer { sizes in
          redisFormatCommandArgv(&target, Int32(arguments.count), pointers.baseAddress, sizes.baseAddress)
        }
      }
      guard count > 0, let target else { return }
      buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(count)))
      redisFreeCommand(target)
    }
  }
}
