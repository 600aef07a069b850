import Testing

@testable import Relay

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
    let statements = PostgresMigrations.all.flatMap { PostgresMigrations.statements($0.sql) }
    #expect(statements.filter { $0.hasPrefix("CREATE TABLE") }.count == 11)
    #expect(statements.allSatisfy { !$0.hasSuffix(";") })
  }
}
