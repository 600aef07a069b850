internal import GRDB
internal import RelayCore

/// The embedded schema, versioned: `schema/sqlite/NNNN_name.sql`, applied in
/// order, each once (GRDB's migrator records them in `grdb_migrations`).
/// `scripts/generate.sh` turns the SQL files into ``all``.
enum SQLiteMigrations {
  static func migrator() -> DatabaseMigrator {
    var migrator = DatabaseMigrator()
    for migration in Self.all {
      migrator.registerMigration(migration.identifier) { db in
        try db.execute(sql: migration.sql)
      }
    }
    return migrator
  }
}
