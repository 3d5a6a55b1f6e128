import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest

/// Inputs that used to crash or exhaust memory: each is now an error naming the file.
final class BadInputCrashTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("crash-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// 17 MiB without a line feed (more than the 16 MiB line limit).
    private static let noLineFeed = [UInt8](repeating: UInt8(ascii: "x"), count: 17 << 20)

    // MARK: A directory given as a file

    func testADirectoryGivenAsAFeatureTableIsAnErrorNotACrash() throws {
        let path = dir.appendingPathComponent("d.csv").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        XCTAssertThrowsError(try FeatureTable.readHeader(path: path)) {
            XCTAssertEqual($0 as? IngestError, .cannotRead(file: path, reason: "it is a directory"))
        }
        XCTAssertThrowsError(try FeatureTable.readCSV(path: path)) {
            XCTAssertEqual($0 as? IngestError, .cannotRead(file: path, reason: "it is a directory"))
        }
    }

    func testADirectoryGivenAsAConfigIsAnErrorNotACrash() throws {
        let path = dir.appendingPathComponent("config.yaml").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        XCTAssertThrowsError(try FeatureConfig.load(path: path)) {
            XCTAssertEqual($0 as? IngestError, .cannotRead(file: path, reason: "it is a directory"))
        }
    }

    // MARK: No line feed

    func testAFeatureTableWithoutALineFeedIsALineTooLongError() throws {
        let path = try file("nolf.csv", Self.noLineFeed)
        let expected = IOError.lineTooLong(path: path, line: 1, limit: 16 << 20)
        XCTAssertThrowsError(try FeatureTable.readCSV(path: path)) { XCTAssertEqual($0 as? IOError, expected) }
        XCTAssertThrowsError(try FeatureTable.readHeader(path: path)) { XCTAssertEqual($0 as? IOError, expected) }
        XCTAssertEqual(expected.description,
                       "\(path) line 1: a line longer than 16 MiB (no line feed?). Give a text file with one record per line (a CSV file, not a device or a binary file).")
    }

    func testAFeatureTableFromADeviceWithoutLineFeedsStopsWithTheLineError() throws {
        // /dev/zero never ends: reading it whole would fill memory; it stops at the line limit.
        let expected = IOError.lineTooLong(path: "/dev/zero", line: 1, limit: 16 << 20)
        XCTAssertThrowsError(try FeatureTable.readHeader(path: "/dev/zero")) { XCTAssertEqual($0 as? IOError, expected) }
        XCTAssertThrowsError(try FeatureTable.readCSV(path: "/dev/zero")) { XCTAssertEqual($0 as? IOError, expected) }
    }

    func testACustomersFileWithoutALineFeedIsALineTooLongError() throws {
        let path = try file("customers.csv", Self.noLineFeed)
        XCTAssertThrowsError(try Customers.read(path: path)) {
            XCTAssertEqual($0 as? IOError, .lineTooLong(path: path, line: 1, limit: 16 << 20))
        }
        // A long line after the header is numbered by the reader.
        let later = try file("customers2.csv", Array("customer_id,signup_date\nc1,2025-01-01\n".utf8) + Self.noLineFeed)
        XCTAssertThrowsError(try Customers.read(path: later)) {
            XCTAssertEqual($0 as? IOError, .lineTooLong(path: later, line: 3, limit: 16 << 20))
        }
    }

    func testTheLineReaderStopsAtTheLineLimitWithLineFeedsAfterIt() throws {
        // A short line, then one over the (lowered) limit, then more lines: the block reader refuses it.
        let text = Array("a\n".utf8) + [UInt8](repeating: 0x62, count: 5000) + Array("\nc\n".utf8)
        let path = try file("lines.txt", text)
        let source = try LineSource(path: path)
        source.lineLimit = 1000
        let block = LineBlock(capacity: 256)
        XCTAssertTrue(try source.nextBlock(block, blockSize: 256))
        XCTAssertEqual(block.count, 2)
        XCTAssertThrowsError(try source.nextBlock(block, blockSize: 256)) {
            XCTAssertEqual($0 as? IOError, .lineTooLong(path: path, line: nil, limit: 1000))
        }
        // Lines within the limit still read whole.
        let ok = try LineSource(path: path)
        ok.lineLimit = 10_000
        var total = 0
        while try ok.nextBlock(block, blockSize: 256) { total += block.count }
        XCTAssertEqual(total, text.count)
    }

    // MARK: Deep nesting and size

    func testADeeplyNestedConfigIsRefusedBeforeParsing() throws {
        let flow = try file("deep.yaml", Array(("roles: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n").utf8))
        XCTAssertThrowsError(try FeatureConfig.load(path: flow)) {
            XCTAssertEqual($0 as? IngestError, .configBeyondLimit(path: flow, problem: .tooDeep(line: 1, limit: 64)))
        }
        // Block nesting by indentation, and by sequence dashes on one line.
        var indented = ""
        for level in 0..<200 { indented += String(repeating: " ", count: level) + "a:\n" }
        let block = try file("indented.yaml", Array(indented.utf8))
        XCTAssertThrowsError(try FeatureConfig.load(path: block)) {
            XCTAssertEqual($0 as? IngestError, .configBeyondLimit(path: block, problem: .tooDeep(line: 65, limit: 64)))
        }
        let dashes = try file("dashes.yaml", Array(("roles:\n  " + String(repeating: "- ", count: 5000) + "x\n").utf8))
        XCTAssertThrowsError(try FeatureConfig.load(path: dashes)) {
            XCTAssertEqual($0 as? IngestError, .configBeyondLimit(path: dashes, problem: .tooDeep(line: 2, limit: 64)))
        }
        let json = try file("deep.json", Array((String(repeating: "{\"a\":", count: 5000) + "1" + String(repeating: "}", count: 5000)).utf8))
        XCTAssertThrowsError(try FeatureConfig.load(path: json)) {
            XCTAssertEqual($0 as? IngestError, .configBeyondLimit(path: json, problem: .tooDeep(line: 1, limit: 64)))
        }
        let message = IngestError.configBeyondLimit(path: "c.yaml", problem: .tooDeep(line: 1, limit: 64)).description
        XCTAssertTrue(message.hasPrefix("c.yaml line 1: nested more than 64 levels deep"), message)
    }

    func testAHugeConfigIsRefusedBeforeParsing() throws {
        let path = try file("huge.yaml", Array(("windows: [" + String(repeating: "7, ", count: 400_000) + "7]\n").utf8))
        XCTAssertThrowsError(try FeatureConfig.load(path: path)) {
            XCTAssertEqual($0 as? IngestError, .configBeyondLimit(path: path, problem: .tooLarge(limit: 1 << 20)))
        }
    }

    func testTheNestingScanIgnoresBracketsInStringsAndComments() {
        let brackets = String(repeating: "[", count: 100)
        for text in ["a: \"\(brackets)\"\n", "a: '\(brackets)'\n", "# \(brackets)\na: 1\n", "a: 1 # \(brackets)\n",
                     "a: [\"x\\\"\(brackets)\", 'it''s \(brackets)']\n", "a: \(String(repeating: "-", count: 100))\n"] {
            XCTAssertNil(NestingLimit.firstLineTooDeep(Array(text.utf8)), text)
        }
        XCTAssertEqual(NestingLimit.firstLineTooDeep(Array("a:\n  b: [[1]]\n".utf8), limit: 3), 2)
        XCTAssertNil(NestingLimit.firstLineTooDeep(Array("a:\n  b: [[1]]\n".utf8), limit: 4))
    }

    func testTheCommittedModelsAndATypicalConfigPassTheNestingScan() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["sample-churn.json", "sample-segments.json", "sample-clv.json"] {
            let bytes = try [UInt8](Data(contentsOf: root.appendingPathComponent("models/\(name)")))
            XCTAssertNil(NestingLimit.check(bytes, yaml: false), name)
            XCTAssertNil(NestingLimit.check(bytes, yaml: true), name)
        }
        let config = """
            # retain config
            columns: {customer_id: user, event_type: kind, timestamp: at}
            roles:
              session: [session_end, 'app_open']
              nps: nps_response   # the survey
            windows: [7, 30, 90]
            churn:
              horizon_days: 30
            custom_features:
              - name: "big_orders_30d"
                aggregate: count
                event_type: purchase
                window: 30
              - name: ratio
                ratio: [a, b]
            """
        XCTAssertNil(NestingLimit.firstLineTooDeep(Array(config.utf8), limit: 4))
    }
}
