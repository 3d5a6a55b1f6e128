// swift-tools-version:5.10
import PackageDescription

let package = Package(
    name: "retain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "retain", targets: ["retain"]),
        .library(name: "RetainNumerics", targets: ["RetainNumerics"]),
        .library(name: "RetainFeatures", targets: ["RetainFeatures"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // System OpenBLAS (cblas.h) + LAPACKE (lapacke.h). Only RetainNumerics imports it.
        .systemLibrary(
            name: "CLapack",
            path: "Sources/CLapack",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // System zlib (streaming inflate of .csv.gz) and SQLite (event tables). Only RetainFeatures imports them.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // Prefetch hints for the feature builder's random-access hot loop.
        .target(name: "CRetainSupport", path: "Sources/CRetainSupport"),
        .target(
            name: "RetainNumerics",
            dependencies: ["CLapack"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(name: "RetainFeatures", dependencies: [.product(name: "Yams", package: "Yams"), "CZlib", "CSQLite", "CRetainSupport"]),
        .target(name: "RetainStore", dependencies: ["CSQLite"]),
        .target(name: "RetainScoring", dependencies: ["RetainNumerics", "RetainFeatures", "RetainStore", .product(name: "Yams", package: "Yams")]),
        .target(name: "RetainSample", dependencies: ["RetainNumerics"]),
        .executableTarget(
            name: "retain",
            dependencies: [
                "RetainNumerics", "RetainFeatures", "RetainStore", "RetainScoring", "RetainSample",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // In-process fit timings on the benchmark's raw .bin matrices (never run by `swift test`).
        .executableTarget(name: "retain-bench", dependencies: ["RetainNumerics"], path: "Benchmarks/retain-bench"),
        .testTarget(name: "RetainNumericsTests", dependencies: ["RetainNumerics"], exclude: ["Fixtures"]),
        .testTarget(name: "RetainFeaturesTests", dependencies: ["RetainFeatures"]),
        .testTarget(name: "RetainCLITests", dependencies: ["retain"]),
        .testTarget(name: "RetainSampleTests", dependencies: ["RetainSample"]),
        .testTarget(name: "RetainScoringTests", dependencies: ["RetainScoring"]),
        .testTarget(name: "RetainStoreTests", dependencies: ["RetainStore"]),
    ]
)
