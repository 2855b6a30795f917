// swift-tools-version:6.1
import PackageDescription

// Layering (a lower layer never imports a higher one):
//   Checkpoint (GRDB, system SQLite: schema, migrations, ledgers)
//   CArchive (system libarchive) + Checkpoint → Ingest (archive walking, content-addressed store)
//   CArchive is also read by Symbols, only to expand a symbol store's CAB-compressed `.pd_` files
//   Ingest + Checkpoint → Pipeline → crashsift (executable: argument parsing and wiring only)
let package = Package(
  name: "crashsift",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "crashsift", targets: ["crashsift"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    // The symbol-server client (HTTP/1.1 and 2, TLS, redirects, proxies, streamed bodies); only
    // SymbolServer links it, and its NIO and NIOSSL serve the loopback test server.
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
  ],
  targets: [
    .systemLibrary(
      name: "CArchive",
      pkgConfig: "libarchive",
      providers: [.apt(["libarchive-dev"])]
    ),
    // Declarations of glibc functions that Swift's Glibc module hides behind _GNU_SOURCE.
    .systemLibrary(name: "CPosix"),
    // The git commit a release was built from, set by scripts/package.sh with -Xcc -D….
    .target(name: "CBuildInfo", exclude: ["README.md"]),
    // The public interface: build versions and the schema ids every JSON document carries.
    .target(name: "Interface", dependencies: ["CBuildInfo"], exclude: ["README.md"]),
    // Formats layer: bounds-checked reads over memory-mapped files; pure parsing.
    .target(name: "ByteReader", exclude: ["README.md"]),
    // Windows CONTEXT layouts (x86, AMD64, ARM64), shared by minidumps and kernel dumps.
    .target(name: "CPUContexts", dependencies: ["ByteReader"], exclude: ["README.md"]),
    // CodeView records (RSDS/NB10 → debug id), shared by minidumps and PE images.
    .target(name: "CodeView", dependencies: ["ByteReader"], exclude: ["README.md"]),
    .target(
      name: "Minidump", dependencies: ["ByteReader", "CPUContexts", "CodeView"],
      exclude: ["README.md"]),
    .target(name: "PEImage", dependencies: ["ByteReader", "CodeView"], exclude: ["README.md"]),
    .target(name: "PDB", dependencies: ["ByteReader", "CodeView"], exclude: ["README.md"]),
    // Symbol tables and Breakpad .sym import/export.
    .target(
      name: "Symbols",
      dependencies: ["PEImage", "PDB", "CodeView", "ByteReader", "CArchive", "CPosix"],
      exclude: ["README.md"]),
    // Symbol servers over HTTP(S), symsrv's protocol: the only target that links an HTTP client,
    // so readers, fuzzers and the offline paths stay network-free.
    .target(
      name: "SymbolServer",
      dependencies: [
        "Symbols", "PDB", "PEImage", "ByteReader",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ], exclude: ["README.md"]),
    .target(
      name: "KernelDump", dependencies: ["ByteReader", "CPUContexts"], exclude: ["README.md"]),
    .target(
      name: "Unwind", dependencies: ["CPUContexts", "PEImage", "Symbols", "ByteReader"],
      exclude: ["README.md"]),
    // Writes synthetic kernel dumps (tests now; the crash forge later).
    .target(name: "DumpSynth", exclude: ["README.md"]),
    .target(
      name: "Reports",
      dependencies: [
        "Checkpoint", "CPosix", "Interface", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Mustache", package: "swift-mustache"),
        // SHA-256 of the inline style and script for the pages' Content-Security-Policy.
        .product(name: "Crypto", package: "swift-crypto"),
      ], exclude: ["README.md"]),
    .target(
      name: "Forge",
      dependencies: ["DumpSynth", "PEImage", "PDB", "Symbols", "Unwind", "ByteReader"],
      exclude: ["README.md"]),
    // Crash model: bug-check tables, fault location, reports of one dump.
    .target(
      name: "Analysis",
      dependencies: [
        "KernelDump", "Minidump", "CPUContexts", "Symbols", "Unwind", "PEImage", "PDB",
        "ByteReader", .product(name: "Crypto", package: "swift-crypto"),
      ], exclude: ["README.md"]),
    .target(
      name: "Checkpoint",
      dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
      exclude: ["README.md"],
      // Fault-injection hooks (FaultInjection) exist only in debug builds, the ones tests run.
      swiftSettings: [.define("CRASHSIFT_TEST_HOOKS", .when(configuration: .debug))]
    ),
    .target(
      name: "Ingest",
      dependencies: [
        "CArchive",
        "CPosix",
        "Checkpoint",
        .product(name: "Crypto", package: "swift-crypto"),
      ], exclude: ["README.md"]),
    .target(
      name: "Pipeline",
      dependencies: [
        "Checkpoint",
        "Interface",
        "Ingest",
        "Minidump",
        "KernelDump",
        "Analysis",
        "Symbols",
        "SymbolServer",
        "ByteReader",
        .product(name: "GRDB", package: "GRDB.swift"),
        // The writer's hot insert binds and steps its cached statements directly (StageRows).
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
      ], exclude: ["README.md"]),
    // Past one machine: shard plans, shard runs and the merge of shard workspaces. Above
    // Pipeline; the single-machine engine never imports it.
    .target(
      name: "Cluster",
      dependencies: [
        "Pipeline", "Checkpoint", "Ingest", "Interface",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ], exclude: ["README.md"]),
    .executableTarget(
      name: "crashsift",
      dependencies: [
        "Cluster",
        "Pipeline",
        "Checkpoint",
        "Minidump",
        "KernelDump",
        "Analysis",
        "Symbols",
        "SymbolServer",
        "ByteReader",
        "Forge",
        "Reports",
        "Interface",
        "CPosix",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ], exclude: ["README.md"]),
    // Benchmark driver used by scripts/bench-*.sh; not installed for users.
    .executableTarget(
      name: "crashsift-bench",
      dependencies: [
        "Minidump", "KernelDump", "DumpSynth", "Symbols", "PDB", "ByteReader", "Analysis",
        "CPosix",
      ], exclude: ["README.md"]),
    .target(
      name: "CrashsiftTestSupport",
      dependencies: ["CArchive", "DumpSynth", .product(name: "GRDB", package: "GRDB.swift")],
      path: "Tests/CrashsiftTestSupport"
    ),
    .testTarget(
      name: "MinidumpTests",
      dependencies: ["Minidump", "ByteReader", "CPUContexts", "CrashsiftTestSupport"]
    ),
    .testTarget(
      name: "KernelDumpTests",
      dependencies: [
        "KernelDump", "Analysis", "ByteReader", "DumpSynth", "CrashsiftTestSupport",
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .testTarget(
      name: "SymbolsTests",
      dependencies: ["Symbols", "PEImage", "PDB", "CodeView", "ByteReader", "CrashsiftTestSupport"]
    ),
    .testTarget(
      name: "SymbolServerTests",
      dependencies: [
        "SymbolServer", "Symbols", "CrashsiftTestSupport", "crashsift",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      exclude: ["certs"]
    ),
    .testTarget(
      name: "UnwindTests",
      dependencies: [
        "Unwind", "Analysis", "Minidump", "KernelDump", "Symbols", "PEImage", "CPUContexts",
        "ByteReader",
        "Forge", "CrashsiftTestSupport",
      ]
    ),
    .testTarget(
      name: "AnalysisTests",
      dependencies: [
        "Analysis", "Forge", "KernelDump", "Minidump", "Symbols", "ByteReader",
        "CrashsiftTestSupport",
      ]
    ),
    .testTarget(
      name: "ReportsTests",
      dependencies: ["Reports", "CrashsiftTestSupport"]
    ),
    .testTarget(
      name: "IngestTests",
      dependencies: ["Ingest", "CrashsiftTestSupport"]
    ),
    .testTarget(
      name: "ClusterTests",
      dependencies: [
        "Cluster", "Pipeline", "CrashsiftTestSupport", "crashsift",
        .product(name: "GRDB", package: "GRDB.swift"),
      ]
    ),
    .testTarget(
      name: "PipelineTests",
      dependencies: [
        "Pipeline", "Checkpoint", "Ingest", "Interface", "CrashsiftTestSupport", "DumpSynth",
        .product(name: "GRDB", package: "GRDB.swift"),
      ]
    ),
    .testTarget(
      name: "CLITests",
      dependencies: [
        "crashsift", "Pipeline", "CrashsiftTestSupport", "DumpSynth",
        .product(name: "GRDB", package: "GRDB.swift"),
      ],
      exclude: ["golden"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
