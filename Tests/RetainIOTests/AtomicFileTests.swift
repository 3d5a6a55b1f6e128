import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO

final class AtomicFileTests: XCTestCase {
    func testPartsAreWrittenInOrderWithTheGivenMode() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.csv").path
        // Parts of uneven sizes (some empty) so that offsets matter.
        let parts: [[UInt8]] = (0..<37).map { k in [UInt8](repeating: UInt8(65 + k % 26), count: (k * 7919) % 5000) }
        try AtomicFile.write(parts: parts, to: path, permissions: 0o600)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data(parts.joined()))
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        XCTAssertEqual(mode, 0o600)
        // A shorter rewrite leaves no tail of the longer file, and no temporary file stays behind.
        try AtomicFile.write(parts: [Array("a\n".utf8), []], to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "a\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.csv"])
    }

    func testPiecesMadeOnSeveralThreadsLandInOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pieces.csv").path
        // Uneven sizes and uneven making times, so pieces finish out of order.
        func piece(_ k: Int) -> [UInt8] { [UInt8](repeating: UInt8(97 + k % 26), count: (k * 7919) % 3001) }
        try AtomicFile.write(to: path, permissions: 0o600, pieces: 64) { k in
            if k % 3 == 0 { usleep(2_000) }
            return piece(k)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data((0..<64).flatMap(piece)))
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        XCTAssertEqual(mode, 0o600)
    }

    func testAFailedWriteNamesThePathAndKeepsNothing() {
        let path = "/nonexistent-dir-\(UUID().uuidString)/x.csv"
        XCTAssertThrowsError(try AtomicFile.write(parts: [[1, 2, 3]], to: path)) { e in
            XCTAssertTrue("\(e)".contains(path), "\(e)")
        }
    }
}
