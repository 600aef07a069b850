// swift-tools-version:6.1
import PackageDescription

/// One set of Swift settings for every target: Swift 6 mode and the upcoming
/// features the grpc-swift packages use. With RELAY_STRICT=1 (scripts/test.sh,
/// so CI, sets it) a warning in the package's own code is an error.
let swiftSettings: [SwiftSetting] =
  [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
  ] + (Context.environment["RELAY_STRICT"] == "1" ? [.unsafeFlags(["-warnings-as-errors"])] : [])

let package = Package(
  name: "relay",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "Wire", targets: ["Wire"]),
    .library(name: "RelayCore", targets: ["RelayCore"]),
    .library(name: "Federation", targets: ["Federation"]),
    .library(name: "Relay", targets: ["Relay"]),
    .library(name: "Redis", targets: ["Redis"]),
    .library(name: "E2E", targets: ["E2E"]),
    .library(name: "TLSIdentity", targets: ["TLSIdentity"]),
    .library(name: "RelaySDK", targets: ["RelaySDK"]),
    .executable(name: "relay", targets: ["RelayCLI"]),
    .executable(name: "relay-bench", targets: ["RelayBench"]),
    .executable(name: "relay-client", targets: ["RelayClientCLI"]),
    .executable(name: "relay-fuzz", targets: ["RelayFuzz"]),
  ],
  dependencies: [
    .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
    .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
    .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
    .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
    .package(url: "https://github.com/apple/swift-certificates.git", exact: "1.21.1"),
    .package(url: "https://github.com/apple/swift-asn1.git", exact: "1.7.4"),
    .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
    .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
    .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
    .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
    .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", exact: "0.2.0"),
    .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
  ],
  targets: [
    // The protocol: generated messages and service stubs, addresses and their
    // validation. No transport, no database.
    .target(
      name: "Wire",
      dependencies: [
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: swiftSettings
    ),
    // Key fingerprints and self-signed certificates: how devices and relays
    // identify themselves over TLS. Shared by the relay and the client.
    .target(
      name: "TLSIdentity",
      dependencies: [
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
      ],
      swiftSettings: swiftSettings
    ),
    // The end-to-end cryptography clients run: PQXDH and the Double Ratchet on
    // swift-crypto, the sealed-envelope format, safety numbers. No network.
    .target(
      name: "E2E",
      dependencies: [
        "Wire",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: swiftSettings
    ),
    // The client SDK: a device's keys and state in SQLite (GRDB), its
    // connection to its relay, encryption of every message, the session stream.
    .target(
      name: "RelaySDK",
      dependencies: [
        "E2E",
        "Wire",
        "TLSIdentity",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "GRDB", package: "GRDB.swift"),
      ],
      swiftSettings: swiftSettings
    ),
    // A small non-blocking Redis client on SwiftNIO: a bounded RESP reader,
    // pipelining, pub/sub, reconnect.
    .target(
      name: "Redis",
      dependencies: [
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      swiftSettings: swiftSettings
    ),
    // What every part of the relay agrees on: errors, configuration, the
    // records and the store contract (with the decisions both backends
    // share), federation's rules and events, the message clock, request
    // validation. No NIO, no database.
    .target(
      name: "RelayCore",
      dependencies: [
        "Wire",
        "TLSIdentity",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
        .product(name: "Yams", package: "Yams"),
      ],
      swiftSettings: swiftSettings
    ),
    // The embedded backend: one SQLite file through GRDB.
    .target(
      name: "RelayStoreSQLite",
      dependencies: [
        "RelayCore",
        "Wire",
        "TLSIdentity",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "GRDB", package: "GRDB.swift"),
      ],
      swiftSettings: swiftSettings
    ),
    // The region backend: PostgreSQL through a postgres-nio pool, shared by a region's nodes.
    .target(
      name: "RelayStorePostgres",
      dependencies: [
        "RelayCore",
        "Wire",
        "TLSIdentity",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    // Federation: one link per peer relay (mutual TLS, the outbox sender,
    // anti-entropy, look-ups), the `relay.v1.Federation` service peers call,
    // and presence across relays. Depends on the core only; it talks back to
    // the server's delivery and presence through two protocols it owns.
    .target(
      name: "Federation",
      dependencies: [
        "RelayCore",
        "Wire",
        "TLSIdentity",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
      ],
      swiftSettings: swiftSettings
    ),
    // The relay server: delivery, presence, region, the client service, and
    // the wiring of a whole node.
    .target(
      name: "Relay",
      dependencies: [
        "RelayCore",
        "Federation",
        "RelayStoreSQLite",
        "RelayStorePostgres",
        "Wire",
        "TLSIdentity",
        "Redis",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "RelayCLI",
      dependencies: [
        "CThreadSanitizer",
        "Relay",
        "RelayCore",
        "RelayStoreSQLite",
        "RelayStorePostgres",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ],
      swiftSettings: swiftSettings
    ),
    // `relay-client`: register, send, receive, chat, groups, safety numbers.
    .executableTarget(
      name: "RelayClientCLI",
      dependencies: [
        "CThreadSanitizer",
        "RelaySDK",
        "E2E",
        "Wire",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: swiftSettings
    ),
    // The load generator: devices over mTLS against a relay child process, and
    // the bare echo ceiling on the same transport.
    .executableTarget(
      name: "RelayBench",
      dependencies: [
        "CThreadSanitizer",
        "Relay",
        "RelayCore",
        "TLSIdentity",
        "Wire",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
      ],
      swiftSettings: swiftSettings
    ),
    // The fuzz targets: every decoder reachable from outside, driven by
    // libFuzzer (scripts/fuzz.sh builds it with -sanitize=fuzzer); built
    // plainly, it replays corpora (`relay-fuzz run TARGET DIR`).
    // libFuzzer's driver entry point, declared for RelayFuzz.
    .target(name: "CFuzzer"),
    // Only in binaries built with --sanitize=thread: shows ThreadSanitizer
    // the lock hand-overs of a contended Synchronization.Mutex (see the file).
    .target(name: "CThreadSanitizer"),
    .executableTarget(
      name: "RelayFuzz",
      dependencies: [
        "CFuzzer",
        "Relay",
        "RelayCore",
        "RelayStoreSQLite",
        "E2E",
        "Redis",
        "TLSIdentity",
        "Wire",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "E2ETests",
      dependencies: [
        "E2E",
        "Wire",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "RelayCoreTests",
      dependencies: ["RelayCore", "Wire"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "WireTests",
      dependencies: ["Wire"],
      swiftSettings: swiftSettings
    ),
    // What the relay's test targets share: test relays in process and as
    // `relay serve` processes, devices and sessions, the databases the test
    // script started, patience for a loaded machine. A test target itself
    // (test targets may depend on one under SwiftPM's native build system).
    .testTarget(
      name: "RelayTestSupport",
      dependencies: [
        "Relay",
        "RelayCore",
        "RelayStoreSQLite",
        "RelayStorePostgres",
        "RelaySDK",
        "TLSIdentity",
        "Wire",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: swiftSettings
    ),
    // The store contract, run on both backends, and each backend's migrations.
    .testTarget(
      name: "RelayStoreTests",
      dependencies: [
        "RelayTestSupport",
        "Relay",
        "RelayCore",
        "RelayStoreSQLite",
        "RelayStorePostgres",
        "TLSIdentity",
        "Wire",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: swiftSettings
    ),
    // Relays peered over mTLS, as `relay serve` processes, embedded and on PostgreSQL.
    .testTarget(
      name: "FederationTests",
      dependencies: [
        "RelayTestSupport",
        "Federation",
        "Relay",
        "RelayCore",
        "RelayStoreSQLite",
        "RelayStorePostgres",
        "RelaySDK",
        "TLSIdentity",
        "Wire",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: swiftSettings
    ),
    // The SDK and `relay-client` against `relay serve`.
    .testTarget(
      name: "RelaySDKTests",
      dependencies: [
        "RelayTestSupport",
        "RelaySDK",
        "E2E",
        "TLSIdentity",
        "Wire",
        .product(name: "SwiftASN1", package: "swift-asn1"),
        .product(name: "X509", package: "swift-certificates"),
      ],
      swiftSettings: swiftSettings
    ),
    // The Redis client against a real Redis and against hostile servers.
    .testTarget(
      name: "RedisTests",
      dependencies: [
        "RelayTestSupport",
        "Redis",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    // The server: units, end to end over mTLS, a region of two nodes.
    .testTarget(
      name: "RelayTests",
      dependencies: [
        "RelayTestSupport",
        "CThreadSanitizer",
        "Relay",
        "RelayCore",
        "RelayStoreSQLite",
        "RelayStorePostgres",
        "E2E",
        "RelaySDK",
        "Redis",
        "TLSIdentity",
        "Wire",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOTLS", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      swiftSettings: swiftSettings
    ),
  ]
)
