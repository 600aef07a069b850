internal import NIOCore

/// Commands in RESP: an array of bulk strings.
enum RESPCommand {
  static func write(_ arguments: [String], into buffer: inout ByteBuffer) {
    buffer.writeString("*\(arguments.count)\r\n")
    for argument in arguments {
      buffer.writeString("$\(argument.utf8.count)\r\n")
      buffer.writeString(argument)
      buffer.writeStaticString("\r\n")
    }
  }
}
