import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO

/// `AtomicFile.Stream.write(pieces:produce:)`: the parallel piece writer on a stream that is
/// committed or abandoned later.
final class AtomicFileStreamPiecesTests: XCTestCase {
    func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retain-stream-pieces-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func testPiecesFollowEarlierBytesInOrderAndLaterWritesAppend() throws {
        let path = try directory().appendingPathComponent("out.csv").path
        let pieces = (0..<200).map { k in Array("piece \(k) ".utf8) + Array(repeating: UInt8(ascii: "x"), count: k % 7) }
        let file = try AtomicFile.Stream(path: path, permissions: 0o600)
        try file.write(Array("head\n".utf8))
        try file.write(pieces: pieces.count) { pieces[$0] }
        try file.write(Array("tail\n".utf8))
        try file.sync()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing at the path before commit")
        try file.commit()
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), Array("head\n".utf8) + pieces.flatMap { $0 } + Array("tail\n".utf8))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int, 0o600)
    }

    func testAbandonedPiecesLeaveTheOldFileAndNoTemporaryFile() throws {
        let dir = try directory()
        let path = dir.appendingPathComponent("out.csv").path
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: path))
        let file = try AtomicFile.Stream(path: path)
        try file.write(pieces: 10) { Array("new \($0)\n".utf8) }
        file.abandon()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.csv"])
    }
}
