import Testing

@testable import RelayTestSupport

/// Every federation suite runs three relay processes per test: they run one
/// test at a time (beside the rest of the suite), so that a 2-core machine is
/// not asked to run a dozen relays at once.
@Suite("Federation", .serialized)
enum FederationSuites {}
