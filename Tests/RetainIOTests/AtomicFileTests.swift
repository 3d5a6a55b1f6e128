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

    // MARK: devices, FIFOs, symbolic links, modes, failures

    private func fileStatus(_ path: String, following: Bool = true) throws -> stat {
        var st = stat()
        guard (following ? stat(path, &st) : lstat(path, &st)) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return st
    }

    private func mode(_ path: String) throws -> mode_t { try fileStatus(path).st_mode & 0o7777 }

    /// Reads `path` (a FIFO) to its end on another thread; `finish()` returns what was read.
    private final class FIFOReader: @unchecked Sendable {
        private let path: String
        private let done = DispatchSemaphore(value: 0)
        private var data = Data()
        init(_ path: String) {
            self.path = path
            Thread.detachNewThread { [self] in
                if let h = FileHandle(forReadingAtPath: path) { data = h.readDataToEndOfFile(); try? h.close() }
                done.signal()
            }
        }
        /// Waits for the reader; first opens the FIFO for writing (without blocking) so a reader
        /// still waiting in `open` sees an end of file even if nothing was written. `nil` when
        /// the reader is still stuck (the FIFO was replaced).
        func finish() -> Data? {
            let w = open(path, O_WRONLY | O_NONBLOCK)
            if w >= 0 { close(w) }
            return done.wait(timeout: .now() + 30) == .success ? data : nil
        }
    }

    func testWritingToAFIFOWritesInPlaceAndLeavesItAFIFO() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        func piece(_ k: Int) -> [UInt8] { [UInt8](repeating: UInt8(97 + k % 26), count: (k * 7919) % 3001) }
        let writes: [(String, () throws -> Void, Data)] = [
            ("whole", { try AtomicFile.write("id,score\n", to: path, permissions: 0o600) }, Data("id,score\n".utf8)),
            ("pieces", { try AtomicFile.write(to: path, permissions: 0o600, pieces: 40) { k in
                if k % 3 == 0 { usleep(1_000) }
                return piece(k)
            } }, Data((0..<40).flatMap(piece))),
            ("stream", {
                let file = try AtomicFile.Stream(path: path, permissions: 0o600)
                try file.write(Array("a\n".utf8))
                try file.write(Array("b\n".utf8))
                try file.commit()
            }, Data("a\nb\n".utf8)),
        ]
        for (name, write, expected) in writes {
            let reader = FIFOReader(path)
            var failure: Error?
            do { try write() } catch { failure = error }
            let read = reader.finish()
            XCTAssertNil(failure, name)
            XCTAssertEqual(read, expected, name)
            let st = try fileStatus(path, following: false)
            XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO, name)
            XCTAssertEqual(st.st_mode & 0o7777, 0o644, "\(name): a FIFO keeps its own mode")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["pipe"], name)
        }
    }

    func testWritingToDevNullKeepsItTheSameCharacterDevice() throws {
        // Only root can replace /dev/null; for anyone else the test would prove nothing.
        try XCTSkipIf(getuid() != 0, "needs root")
        let before = try fileStatus("/dev/null", following: false)
        XCTAssertEqual(before.st_mode & S_IFMT, S_IFCHR)
        try AtomicFile.write("x\n", to: "/dev/null", permissions: 0o600)
        try AtomicFile.write(parts: [Array("a".utf8), Array("b".utf8)], to: "/dev/null", permissions: 0o600)
        let file = try AtomicFile.Stream(path: "/dev/null", permissions: 0o600)
        try file.write(Array("c\n".utf8))
        try file.commit()
        let abandoned = try AtomicFile.Stream(path: "/dev/null")
        abandoned.abandon()
        let after = try fileStatus("/dev/null", following: false)
        XCTAssertEqual(after.st_mode, before.st_mode)
        XCTAssertEqual(after.st_rdev, before.st_rdev)
        XCTAssertEqual(after.st_ino, before.st_ino)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: "/dev").contains { $0.hasPrefix(".null.tmp-") })
    }

    func testWritingThroughASymlinkReplacesItsTargetAndKeepsTheLink() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data"), links = dir.appendingPathComponent("links")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: links, withIntermediateDirectories: true)
        let target = data.appendingPathComponent("scores.csv").path
        try "old content\n".write(toFile: target, atomically: false, encoding: .utf8)
        // A relative link to a link to the target.
        let inner = links.appendingPathComponent("inner").path, link = links.appendingPathComponent("scores.csv").path
        XCTAssertEqual(symlink("../data/scores.csv", inner), 0)
        XCTAssertEqual(symlink("inner", link), 0)

        try AtomicFile.write("new\n", to: link, permissions: 0o600)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "new\n")
        XCTAssertEqual(try mode(target), 0o600)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "inner")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: inner), "../data/scores.csv")

        let file = try AtomicFile.Stream(path: link, permissions: 0o600)
        try file.write(Array("streamed\n".utf8))
        try file.commit()
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "streamed\n")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "inner")

        // A link to a file not there yet creates the file.
        let dangling = links.appendingPathComponent("new.csv").path
        XCTAssertEqual(symlink("../data/new.csv", dangling), 0)
        try AtomicFile.write(parts: [Array("p".utf8), Array("q\n".utf8)], to: dangling, permissions: 0o600)
        XCTAssertEqual(try String(contentsOfFile: data.appendingPathComponent("new.csv").path, encoding: .utf8), "pq\n")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dangling), "../data/new.csv")

        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: data.path).sorted(), ["new.csv", "scores.csv"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: links.path).sorted(), ["inner", "new.csv", "scores.csv"])
    }

    func testTheModeIsTheOneAskedForWhateverTheUmask() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let saved = umask(0o022)
        defer { umask(saved) }
        let path = dir.appendingPathComponent("features.csv").path
        try AtomicFile.write("id\n", to: path, permissions: 0o600)
        XCTAssertEqual(try mode(path), 0o600)
        let file = try AtomicFile.Stream(path: path, permissions: 0o600)
        try file.write(Array("id\n".utf8))
        try file.commit()
        XCTAssertEqual(try mode(path), 0o600)
        umask(0o077)
        try AtomicFile.write(parts: [Array("{}".utf8)], to: path, permissions: 0o644)
        XCTAssertEqual(try mode(path), 0o644)
    }

    func testFailuresLeaveNoTemporaryFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The target's directory is missing.
        let missing = dir.appendingPathComponent("missing/out.csv").path
        XCTAssertThrowsError(try AtomicFile.write("x\n", to: missing))
        XCTAssertThrowsError(try AtomicFile.write(parts: [[1]], to: missing))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
        // The rename fails: a non-empty directory is in the way.
        let blocked = dir.appendingPathComponent("blocked.csv")
        try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: true)
        try "x".write(to: blocked.appendingPathComponent("inside"), atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try AtomicFile.write("x\n", to: blocked.path)) { e in
            XCTAssertTrue("\(e)".contains(blocked.path), "\(e)")
        }
        XCTAssertThrowsError(try AtomicFile.write(to: blocked.path, pieces: 8) { _ in [1, 2] })
        let file = try AtomicFile.Stream(path: blocked.path)
        try file.write(Array("y".utf8))
        XCTAssertThrowsError(try file.commit())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["blocked.csv"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: blocked.path), ["inside"])
    }
}
