import Foundation
import XCTest

/// swift-log is bootstrapped once by `retain`: workflow progress is info (shown on a terminal or
/// with RETAIN_LOG_LEVEL=info), stdout stays clean, and a non-terminal stderr is quiet by default.
final class LoggingCLITests: XCTestCase {
    private func table() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retain-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        var csv = "id,x,y\n"
        for i in 0..<40 { csv += "c\(i),\(Double(i % 7) / 3),\(i % 3 == 0 ? 1 : 0)\n" }
        let path = dir.appendingPathComponent("t.csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testInfoLevelShowsWorkflowProgressOnStderrOnly() throws {
        let path = try table()
        setenv("RETAIN_LOG_LEVEL", "info", 1)
        defer { unsetenv("RETAIN_LOG_LEVEL") }
        let r = try runRetain(["train", "--features", path, "--label", "y", "--id", "id", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("read 40 rows x 2 columns from \(path) in "), r.stderr)
        XCTAssertFalse(r.stdout.contains("read 40 rows"), r.stdout)
    }

    func testNonTerminalStderrIsQuietByDefault() throws {
        let path = try table()
        unsetenv("RETAIN_LOG_LEVEL")
        let r = try runRetain(["train", "--features", path, "--label", "y", "--id", "id", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("read 40 rows"), r.stderr)
    }
}
