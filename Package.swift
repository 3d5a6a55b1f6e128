// swift-tools-version:5.10
import PackageDescription

// Modules follow the data flow (DESIGN.md, "Modules"); each imports only modules above it:
//   RetainCore ─► RetainNumerics, RetainIO ─► RetainIngest ─► RetainFeatures ─► RetainScoring ─► RetainStore ─► retain (CLI)
let optimized: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "retain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "retain", targets: ["retain"]),
        .library(name: "RetainCore", targets: ["RetainCore"]),
        .library(name: "RetainNumerics", targets: ["RetainNumerics"]),
        .library(name: "RetainIO", targets: ["RetainIO"]),
        .library(name: "RetainIngest", targets: ["RetainIngest"]),
        .library(name: "RetainFeatures", targets: ["RetainFeatures"]),
        .library(name: "RetainScoring", targets: ["RetainScoring"]),
        .library(name: "RetainStore", targets: ["RetainStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // System OpenBLAS (cblas.h) + LAPACKE (lapacke.h). Only RetainNumerics imports it.
        .systemLibrary(
            name: "CLapack",
            path: "Sources/CLapack",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // System zlib (.csv.gz) and SQLite. Only RetainIO imports them (LineSource, SQLiteDatabase).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // Prefetch hints and the powers-of-five table for number parsing.
        .target(name: "CRetainSupport", path: "Sources/CRetainSupport"),

        // What every layer shares: the parallel helper, civil days, the seeded generator, hashing.
        .target(name: "RetainCore", dependencies: [.product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")], swiftSettings: optimized),
        // Matrices and the only BLAS/LAPACK caller: logistic regression, k-means, metrics, CLV fitters.
        .target(
            name: "RetainNumerics",
            dependencies: ["CLapack", "RetainCore"],
            swiftSettings: [.unsafeFlags(["-Ounchecked", "-cross-module-optimization"], .when(configuration: .release))]
        ),
        // CSV reading core and number parsing, CSV writing, atomic files, gzip and SQLite access.
        .target(name: "RetainIO", dependencies: ["RetainCore", "CZlib", "CSQLite", "CRetainSupport"], swiftSettings: optimized),
        // Event logs, customers, prepared feature tables, config and roles, bad rows.
        .target(name: "RetainIngest", dependencies: ["RetainCore", "RetainIO", "CRetainSupport", .product(name: "Yams", package: "Yams")], swiftSettings: optimized),
        // Point-in-time features, labels, KPIs, cohorts (no file code).
        .target(name: "RetainFeatures", dependencies: ["RetainCore", "RetainIO", "RetainIngest", "RetainNumerics", "CRetainSupport"], swiftSettings: optimized),
        // Workflows (train, segment, CLV, daily scoring), bundles, scoring, actions, reasons, drift.
        .target(name: "RetainScoring", dependencies: ["RetainCore", "RetainIO", "RetainIngest", "RetainFeatures", "RetainNumerics", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")], swiftSettings: optimized),
        // Score history and list exports.
        .target(name: "RetainStore", dependencies: ["RetainCore", "RetainIO", "RetainIngest", "RetainFeatures", "RetainScoring", .product(name: "Logging", package: "swift-log")], swiftSettings: optimized),
        // The deterministic sample-log generator behind `retain generate` (gzip output through RetainIO).
        .target(name: "RetainSample", dependencies: ["RetainCore", "RetainIO"], swiftSettings: optimized),
        .executableTarget(
            name: "retain",
            dependencies: [
                "RetainCore", "RetainIO", "RetainIngest", "RetainNumerics", "RetainFeatures", "RetainScoring", "RetainStore", "RetainSample",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // In-process fit timings on the benchmark's raw .bin matrices (never run by `swift test`).
        .executableTarget(name: "retain-bench", dependencies: ["RetainNumerics", "RetainCore"], path: "Benchmarks/retain-bench"),
        .testTarget(name: "RetainCoreTests", dependencies: ["RetainCore"]),
        .testTarget(name: "RetainIOTests", dependencies: ["RetainIO"]),
        .testTarget(name: "RetainIngestTests", dependencies: ["RetainIngest"]),
        .testTarget(name: "RetainNumericsTests", dependencies: ["RetainNumerics"], exclude: ["Fixtures"]),
        .testTarget(name: "RetainFeaturesTests", dependencies: ["RetainFeatures"]),
        .testTarget(name: "RetainScoringTests", dependencies: ["RetainScoring"]),
        .testTarget(name: "RetainStoreTests", dependencies: ["RetainStore"]),
        .testTarget(name: "RetainSampleTests", dependencies: ["RetainSample"]),
        .testTarget(name: "RetainCLITests", dependencies: ["retain"]),
    ]
)
