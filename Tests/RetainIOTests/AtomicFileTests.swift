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

    private func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func testStreamCommitReplacesTheFileWithTheGivenModeAndLeavesNoTemporaryFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("rejects.csv").path
        try "old content that is longer\n".write(toFile: path, atomically: false, encoding: .utf8)
        let file = try AtomicFile.Stream(path: path, permissions: 0o600)
        try file.write(Array("line,reason\n".utf8))
        // Before the commit the target is untouched and the data sit in one temporary file.
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old content that is longer\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).count, 2)
        try file.write(Array("3,bad\n".utf8))
        try file.write([])
        try file.commit()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "line,reason\n3,bad\n")
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        XCTAssertEqual(mode, 0o600)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["rejects.csv"])
        file.abandon()  // after a commit: nothing happens
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "line,reason\n3,bad\n")
    }

    func testStreamAbandonLeavesTheOldFileAndNoTemporaryFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.csv").path
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        let file = try AtomicFile.Stream(path: path)
        try file.write(Array("new\n".utf8))
        file.abandon()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.csv"])
    }

    func testStreamDroppedWithoutCommitIsAbandoned() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("never.csv").path
        do {
            let file = try AtomicFile.Stream(path: path)
            try file.write(Array("partial".utf8))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    func testStreamInAMissingDirectoryThrowsWriteFailedNamingThePath() {
        let path = "/nonexistent-dir-\(UUID().uuidString)/x.csv"
        XCTAssertThrowsError(try AtomicFile.Stream(path: path)) { e in
            guard case IOError.writeFailed(let p, let reason)? = e as? IOError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, path)
            XCTAssertEqual("\(e)", "could not write \(path): \(reason). Check that the directory exists and is writable.")
        }
    }
}
