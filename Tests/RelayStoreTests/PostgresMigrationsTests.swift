import Testing

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("PostgreSQL migrations")
struct PostgresMigrationsTests {
  @Test("a migration file splits into statements at the semicolons that end them")
  func splitsStatements() {
    let sql = """
      -- a comment; not a statement end
      CREATE TABLE a (x text DEFAULT ';');
      DO $$
      BEGIN
        PERFORM 1; PERFORM 2;
      END $$;
      INSERT INTO a VALUES ('it''s; fine')
      """
    let statements = PostgresMigrations.statements(sql)
    #expect(statements.count == 3)
    #expect(statements[0] == "CREATE TABLE a (x text DEFAULT ';')")
    #expect(
      statements[1].hasPrefix("DO $$") && statements[1].contains("PERFORM 2;") && statements[1].hasSuffix("END $$"))
    #expect(statements[2] == "INSERT INTO a VALUES ('it''s; fine')")
  }

  @Test("the region schema splits into the statements it holds")
  func schemaSplits() {
    let tables = PostgresMigrations.all.map { migration in
      PostgresMigrations.statements(migration.sql).filter { $0.hasPrefix("CREATE TABLE") }.count
    }
    #expect(
      tables == [11, 4, 1, 2, 1, 2, 2, 3],
      "0001: core tables; 0002: federation's; 0003: push endpoints; 0004: attachments, chunks; 0005: homes; 0006: region devices, syncs; 0007: moves, move covers; 0008: move drains, held copies, transfer parts"
    )
    let statements = PostgresMigrations.all.flatMap { PostgresMigrations.statements($0.sql) }
    #expect(statements.allSatisfy { !$0.hasSuffix(";") })
  }
}
