internal import Foundation
internal import RelayCore
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

/// The embedded store's attachment bytes: `<domain>/<key>.part` while an
/// upload runs, `<domain>/<key>` once complete, under one folder of the data
/// directory (a folder per domain: a domain is at most 253 bytes, a file name 255).
///
/// A chunk is written at its offset, the file cut there, and fsynced before
/// the store counts it; the last one is followed by a rename (and an fsync of
/// the folder), so a complete file is never torn. One chunk of an attachment
/// is written at a time in this process, whichever store instance writes it.
final class AttachmentFiles: Sendable {
  let directory: String
  /// The partial files being written now.
  private static let writing = Mutex(Set<String>())

  init(directory: String) { self.directory = directory }

  private func folder(_ id: AttachmentID) -> String { "\(self.directory)/\(id.domain)" }

  private func path(_ id: AttachmentID, partial: Bool) -> String {
    "\(self.folder(id))/\(id.key)\(partial ? ".part" : "")"
  }

  /// Writes `data` at `offset` of the partial file and makes it durable; when
  /// `completes`, the file becomes the complete one.
  func write(_ id: AttachmentID, offset: Int64, _ data: Data, completes: Bool) throws(RelayError) {
    let partial = self.path(id, partial: true)
    guard Self.writing.withLock({ $0.insert(partial).inserted }) else {
      throw RelayError(.aborted, "another chunk of this attachment is being written")
    }
    defer { _ = Self.writing.withLock { $0.remove(partial) } }
    let complete = self.path(id, partial: false)
    do {
      try FileManager.default.createDirectory(atPath: self.folder(id), withIntermediateDirectories: true)
      // A crash after the rename and before the store counted the last chunk: write it again.
      if !FileManager.default.fileExists(atPath: partial), FileManager.default.fileExists(atPath: complete) {
        try Self.check(rename(complete, partial), "renaming")
      }
      if !FileManager.default.fileExists(atPath: partial) {
        guard FileManager.default.createFile(atPath: partial, contents: nil) else {
          throw RelayError(.internal, "cannot create an attachment file")
        }
      }
      let handle = try FileHandle(forUpdating: URL(fileURLWithPath: partial))
      defer { try? handle.close() }
      try handle.truncate(atOffset: UInt64(offset))
      try handle.seek(toOffset: UInt64(offset))
      try handle.write(contentsOf: data)
      try handle.synchronize()
      if completes {
        try Self.check(rename(partial, complete), "renaming")
        try Self.syncFolder(self.folder(id))
      }
    } catch let error as RelayError {
      throw error
    } catch {
      throw RelayError(.internal, "writing an attachment failed", cause: error)
    }
  }

  /// Up to `length` bytes of the complete file from `offset`.
  func read(_ id: AttachmentID, offset: Int64, length: Int) throws(RelayError) -> Data {
    do {
      let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: self.path(id, partial: false)))
      defer { try? handle.close() }
      try handle.seek(toOffset: UInt64(offset))
      return try handle.read(upToCount: length) ?? Data()
    } catch {
      throw RelayError(.internal, "reading an attachment failed", cause: error)
    }
  }

  /// Removes both files of the attachment, if there are any.
  func remove(_ id: AttachmentID) {
    for partial in [true, false] { unlink(self.path(id, partial: partial)) }
  }

  private static func syncFolder(_ folder: String) throws(RelayError) {
    let descriptor = open(folder, O_RDONLY | O_DIRECTORY)
    guard descriptor >= 0 else { throw RelayError(.internal, "cannot open the attachments folder") }
    defer { close(descriptor) }
    try Self.check(fsync(descriptor), "syncing the attachments folder")
  }

  private static func check(_ result: Int32, _ what: String) throws(RelayError) {
    guard result == 0 else { throw RelayError(.internal, "\(what) failed (errno \(errno))") }
  }
}
