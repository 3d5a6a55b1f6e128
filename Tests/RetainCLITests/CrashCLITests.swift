import Foundation
import XCTest

/// Inputs that used to kill `retain` with a signal (or fill memory, or hang) now exit 1 with a
/// message naming the file.
final class CrashCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = root.appendingPathComponent("datasets/sample")
    static let churn = root.appendingPathComponent("models/sample-churn.json").path
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("crash-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func assertFails(_ r: CLIResult, mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(text), r.stderr, file: file, line: line)
    }

    func testScoringADirectoryAsAFeatureTableIsAnErrorNotACrash() throws {
        let table = dir.appendingPathComponent("d.csv").path
        try FileManager.default.createDirectory(atPath: table, withIntermediateDirectories: false)
        let r = try runRetain(["score", "--features", table, "--model", Self.churn, "--as-of", "2025-12-01",
                               "--out", dir.appendingPathComponent("s.csv").path])
        assertFails(r, mentioning: "cannot read \(table): it is a directory.")
    }

    func testADeeplyNestedConfigOrRulesFileIsAnErrorNotAStackOverflow() throws {
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        let config = dir.appendingPathComponent("config.yaml").path
        try ("roles: " + deep).write(toFile: config, atomically: false, encoding: .utf8)
        let rules = dir.appendingPathComponent("rules.yaml").path
        try ("rules: " + deep).write(toFile: rules, atomically: false, encoding: .utf8)
        let events = Self.sample.appendingPathComponent("events.csv").path
        let out = dir.appendingPathComponent("out.csv").path
        assertFails(try runRetain(["features", "--events", events, "--config", config, "--as-of", "2025-12-01", "--out", out]),
                    mentioning: "\(config) line 1: nested more than 64 levels deep")
        assertFails(try runRetain(["score", "--events", events, "--model", Self.churn, "--config", config, "--as-of", "2025-12-01", "--out", out]),
                    mentioning: "\(config) line 1: nested more than 64 levels deep")
        assertFails(try runRetain(["score", "--events", events, "--model", Self.churn, "--rules", rules, "--as-of", "2025-12-01", "--out", out]),
                    mentioning: "\(rules) line 1: nested more than 64 levels deep")
    }

    func testEventsWithoutALineFeedAreALineTooLongErrorNotAMemoryBlowUp() throws {
        let events = dir.appendingPathComponent("events.csv").path
        try Data("customer_id,event_type,timestamp\n".utf8 + [UInt8](repeating: 0x78, count: 17 << 20)).write(to: URL(fileURLWithPath: events))
        let r = try runRetain(["features", "--events", events, "--as-of", "2025-12-01", "--out", dir.appendingPathComponent("f.csv").path])
        assertFails(r, mentioning: "\(events) line 2: a line longer than 16 MiB (no line feed?)")
    }

    func testDevZeroAsAnInputStopsWithTheLineErrorInsteadOfHanging() throws {
        // Each run reads about 16 MiB of /dev/zero and stops; a watchdog kills a hung run.
        let out = dir.appendingPathComponent("o.csv").path
        let runs: [[String]] = [
            ["features", "--events", "/dev/zero", "--as-of", "2025-12-01", "--out", out],
            ["features", "--events", Self.sample.appendingPathComponent("events.csv").path, "--customers", "/dev/zero", "--as-of", "2025-12-01", "--out", out],
            ["score", "--features", "/dev/zero", "--model", Self.churn, "--as-of", "2025-12-01", "--out", out],
            ["train", "--features", "/dev/zero", "--label", "churned", "--out", out],
        ]
        for arguments in runs {
            let r = try runRetain(arguments, timeout: 60)
            assertFails(r, mentioning: "/dev/zero line 1: a line longer than 16 MiB (no line feed?)")
        }
    }
}

/// `runRetain` with a watchdog: the test fails (instead of hanging) after `timeout` seconds.
private func runRetain(_ arguments: [String], timeout: TimeInterval) throws -> CLIResult {
    final class Box: @unchecked Sendable {   // written before `done` is signalled, read after
        var result: Result<CLIResult, Error>?
        let done = DispatchSemaphore(value: 0)
    }
    let box = Box()
    Thread {
        box.result = Result { try runRetain(arguments) }
        box.done.signal()
    }.start()
    guard box.done.wait(timeout: .now() + timeout) == .success, let result = box.result else {
        XCTFail("retain \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        throw CocoaError(.userCancelled)
    }
    return try result.get()
}
