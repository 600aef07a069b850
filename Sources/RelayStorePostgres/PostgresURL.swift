internal import Foundation
internal import NIOSSL
internal import PostgresNIO
internal import RelayCore

/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`,
/// or `postgres:///DATABASE?host=/run/postgresql` for a Unix socket directory.
struct PostgresURL {
  var user: String
  var password: String?
  var host: String
  var port: Int
  var database: String
  var socketDirectory: String?
  var sslMode: String

  init(_ text: String) throws(RelayError) {
    guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? "") else {
      throw RelayError(.invalidArgument, "a PostgreSQL URL looks like postgres://user@host:5432/database")
    }
    let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
    self.user = url.user ?? "postgres"
    self.password = url.password
    self.host = url.host ?? "127.0.0.1"
    self.port = url.port ?? 5432
    self.database = String(url.path.drop { $0 == "/" })
    self.socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
    self.sslMode = query["sslmode"] ?? "disable"
    guard !self.database.isEmpty else {
      throw RelayError(.invalidArgument, "the PostgreSQL URL names no database")
    }
    guard ["disable", "prefer", "require"].contains(self.sslMode) else {
      throw RelayError(.invalidArgument, "sslmode must be disable, prefer or require")
    }
  }

  func clientConfiguration() -> PostgresClient.Configuration {
    if let socketDirectory {
      return .init(
        unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(self.port)", username: self.user, password: self.password,
        database: self.database)
    }
    let tls: PostgresClient.Configuration.TLS =
      switch self.sslMode {
      case "require": .require(.makeClientConfiguration())
      case "prefer": .prefer(.makeClientConfiguration())
      default: .disable
      }
    return .init(
      host: self.host, port: self.port, username: self.user, password: self.password, database: self.database,
      tls: tls)
  }
}
