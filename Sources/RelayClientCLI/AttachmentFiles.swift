import Foundation
import RelaySDK

/// Reading, naming and saving attachments' files for `send --file` and
/// `receive --attachments`, with progress on standard error for large ones.
enum AttachmentFiles {
  /// Files past this size report their progress.
  static let progressThreshold = 1 << 20

  /// A content type from the file's extension (the recipient's hint only).
  static func contentType(of path: String) -> String {
    let types = [
      "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "heic": "image/heic",
      "mp4": "video/mp4", "mov": "video/quicktime", "m4a": "audio/mp4", "ogg": "audio/ogg", "mp3": "audio/mpeg",
      "pdf": "application/pdf", "txt": "text/plain", "zip": "application/zip",
    ]
    return types[URL(fileURLWithPath: path).pathExtension.lowercased()] ?? "application/octet-stream"
  }

  /// Prints "what: N%" on standard error each 10% of a large transfer.
  static func progress(_ what: String, size: Int) -> (@Sendable (Int, Int) -> Void)? {
    guard size >= Self.progressThreshold else { return nil }
    return { done, total in
      let before = (done - 1) * 10 / max(total, 1)
      let now = done * 10 / max(total, 1)
      if now != before || done == total {
        FileHandle.standardError.write(Data("\(what): \(done * 100 / max(total, 1))%\n".utf8))
      }
    }
  }

  /// Where to save `name` in `folder`: its last path component only (a
  /// sender's name never leaves the folder), made unique with -1, -2, ….
  static func destination(for name: String, in folder: String) -> String {
    var base = URL(fileURLWithPath: name).lastPathComponent
    if base.isEmpty || base == "." || base == ".." || base.hasPrefix(".") { base = "attachment" + base }
    let url = URL(fileURLWithPath: base)
    let stem = url.deletingPathExtension().lastPathComponent
    let suffix = url.pathExtension.isEmpty ? "" : "." + url.pathExtension
    var candidate = folder + "/" + base
    var index = 1
    while FileManager.default.fileExists(atPath: candidate) {
      candidate = folder + "/\(stem)-\(index)\(suffix)"
      index += 1
    }
    return candidate
  }
}
