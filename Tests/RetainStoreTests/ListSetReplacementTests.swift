import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainScoring
@testable import RetainStore

/// `retain export` replaces the list set as a whole: old set or new set, never a mix.
final class ListSetReplacementTests: XCTestCase {
    private let fm = FileManager.default

    /// Two scored days whose lists differ (day 2 adds a customer and the `win_back_offer` action).
    private func seeded() throws -> (ScoreHistory, URL) {
        let dir = try temporaryDirectory(self)
        let h = try ScoreHistory(path: dir.appendingPathComponent("h.sqlite").path)
        try h.write([
            record("a", "2025-10-01", p: 0.7, flags: ["at_risk"], action: "loyalty_reward", segment: "At risk"),
            record("b", "2025-10-01", p: 0.1, flags: ["high_value"], action: "loyalty_reward", segment: "Loyal"),
        ], date: "2025-10-01", modelID: "m1")
        try h.write([
            record("a", "2025-10-02", p: 0.8, flags: ["at_risk"], action: "win_back_offer", segment: "At risk"),
            record("b", "2025-10-02", p: 0.1, flags: ["high_value"], action: "loyalty_reward", segment: "Loyal"),
            record("c", "2025-10-02", p: 0.6, flags: ["at_risk"], action: "win_back_offer", segment: "At risk"),
        ], date: "2025-10-02", modelID: "m2")
        return (h, dir.appendingPathComponent("out"))
    }

    /// Every entry of `dir` (hidden ones too) with its bytes.
    private func snapshot(_ dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try fm.contentsOfDirectory(atPath: dir.path) {
            out[name] = try Data(contentsOf: dir.appendingPathComponent(name))
        }
        return out
    }

    /// The hidden siblings `.NAME.retain-new-*` beside `dir`.
    private func siblings(of dir: URL) throws -> [String] {
        try fm.contentsOfDirectory(atPath: dir.deletingLastPathComponent().path)
            .filter { $0.hasPrefix("." + dir.lastPathComponent + ".retain-new-") }
    }

    /// Asserts that `dir` holds exactly a manifest and the files it lists, each matching its
    /// checksum (computed here from the bytes), all of day `date`; returns the manifest.
    @discardableResult
    private func assertCompleteSet(_ dir: URL, date: String, file: StaticString = #filePath, line: UInt = #line) throws -> ExportManifest {
        let m = try JSONDecoder().decode(ExportManifest.self, from: Data(contentsOf: dir.appendingPathComponent("manifest.json")))
        XCTAssertEqual(m.date, date, file: file, line: line)
        XCTAssertEqual(Set(try fm.contentsOfDirectory(atPath: dir.path)), Set(m.lists.map(\.file) + ["manifest.json"]), file: file, line: line)
        for e in m.lists {
            let data = try Data(contentsOf: dir.appendingPathComponent(e.file))
            XCTAssertEqual(e.checksum, "sha256:" + SHA256.hex(data), e.file, file: file, line: line)
            XCTAssertEqual(e.date, date, file: file, line: line)
        }
        return m
    }

    private func mode(_ path: String) throws -> Int? {
        (try fm.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }

    func testAFailureMidwayLeavesTheOldSetByteForByte() throws {
        let (h, out) = try seeded()
        try ListExport().write(from: h, date: "2025-10-01", to: out.path)
        let before = try snapshot(out)
        // Day 2 has 5 lists: fail the second list file, then the manifest (the sixth write).
        for failing in [1, 5] {
            var export = ListExport()
            export.failingWrite = failing
            XCTAssertThrowsError(try export.write(from: h, date: "2025-10-02", to: out.path)) {
                XCTAssertTrue("\($0)".contains("No space left on device"), "\($0)")
            }
            XCTAssertEqual(try snapshot(out), before, "failing write \(failing)")
            XCTAssertEqual(try siblings(of: out), [], "the half-written set is removed")
        }
        try assertCompleteSet(out, date: "2025-10-01")
    }

    func testAKillBeforeTheSwapLeavesTheOldSetAndTheNextExportCleansUp() throws {
        let (h, out) = try seeded()
        try ListExport().write(from: h, date: "2025-10-01", to: out.path)
        let before = try snapshot(out)
        var export = ListExport()
        export.killPoint = .beforeSwap
        XCTAssertThrowsError(try export.write(from: h, date: "2025-10-02", to: out.path)) {
            XCTAssertTrue($0 is AtomicFile.Directory.SimulatedKill, "\($0)")
        }
        XCTAssertEqual(try snapshot(out), before)
        let left = try siblings(of: out)
        XCTAssertEqual(left.count, 1, "the killed run's complete new set stays beside OUT")
        try assertCompleteSet(out.deletingLastPathComponent().appendingPathComponent(left[0]), date: "2025-10-02")

        let m = try ListExport().write(from: h, date: "2025-10-02", to: out.path)
        XCTAssertEqual(try siblings(of: out), [])
        XCTAssertEqual(try assertCompleteSet(out, date: "2025-10-02"), m)
    }

    func testAKillAfterTheSwapLeavesTheNewSetAndTheNextExportCleansUp() throws {
        let (h, out) = try seeded()
        let old = try ListExport().write(from: h, date: "2025-10-01", to: out.path)
        var export = ListExport()
        export.killPoint = .afterSwap
        XCTAssertThrowsError(try export.write(from: h, date: "2025-10-02", to: out.path))
        let new = try assertCompleteSet(out, date: "2025-10-02")
        XCTAssertEqual(new.lists.map(\.file), ["at-risk.csv", "high-value.csv", "win-back.csv", "action-loyalty_reward.csv", "action-win_back_offer.csv"])
        let left = try siblings(of: out)
        XCTAssertEqual(left.count, 1, "the old set waits beside OUT")
        XCTAssertEqual(try assertCompleteSet(out.deletingLastPathComponent().appendingPathComponent(left[0]), date: "2025-10-01"), old)

        try ListExport().write(from: h, date: "2025-10-01", to: out.path)
        XCTAssertEqual(try siblings(of: out), [])
        XCTAssertEqual(try assertCompleteSet(out, date: "2025-10-01"), old)
    }

    func testLeftoversInUseOrNotNamedByRetainAreKept() throws {
        let (h, out) = try seeded()
        let parent = out.deletingLastPathComponent()
        let busy = parent.appendingPathComponent(".out.retain-new-AbC123")   // another export's, locked
        let other = parent.appendingPathComponent(".out.retain-new-my-backup")  // not retain's name
        let stale = parent.appendingPathComponent(".out.retain-new-zz9ZZ9")  // a killed run's
        for d in [busy, other, stale] {
            try fm.createDirectory(at: d, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: d.appendingPathComponent("at-risk.csv"))
        }
        let fd = open(busy.path, O_RDONLY | O_DIRECTORY)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        try ListExport().write(from: h, date: "2025-10-02", to: out.path)
        XCTAssertEqual(Set(try siblings(of: out)), [".out.retain-new-AbC123", ".out.retain-new-my-backup"])
        close(fd)
        try ListExport().write(from: h, date: "2025-10-02", to: out.path)
        XCTAssertEqual(try siblings(of: out), [".out.retain-new-my-backup"])
    }

    func testForeignFilesInTheOutputDirectoryAreRefusedAndKept() throws {
        let (h, out) = try seeded()
        // A directory of the user's with no manifest.
        try fm.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: out.appendingPathComponent("notes.txt"))
        XCTAssertThrowsError(try ListExport().write(from: h, date: "2025-10-02", to: out.path)) {
            XCTAssertEqual($0 as? ListSetError, .foreignFiles(directory: out.path, files: ["notes.txt"], count: 1))
            XCTAssertTrue("\($0)".hasPrefix("\(out.path) holds files that retain did not write (notes.txt)"), "\($0)")
        }
        XCTAssertEqual(try snapshot(out), ["notes.txt": Data("mine".utf8)])
        XCTAssertEqual(try siblings(of: out), [])

        // Beside a set retain wrote: an extra list-like file, and a directory in the way of a listed name.
        try fm.removeItem(at: out.appendingPathComponent("notes.txt"))
        try ListExport().write(from: h, date: "2025-10-01", to: out.path)
        try Data("x".utf8).write(to: out.appendingPathComponent("zz-extra.csv"))
        let before = try snapshot(out)
        XCTAssertThrowsError(try ListExport().write(from: h, date: "2025-10-02", to: out.path)) {
            XCTAssertEqual($0 as? ListSetError, .foreignFiles(directory: out.path, files: ["zz-extra.csv"], count: 1))
        }
        XCTAssertEqual(try snapshot(out), before)
        try fm.removeItem(at: out.appendingPathComponent("zz-extra.csv"))
        try fm.removeItem(at: out.appendingPathComponent("at-risk.csv"))
        try fm.createDirectory(at: out.appendingPathComponent("at-risk.csv"), withIntermediateDirectories: false)
        XCTAssertThrowsError(try ListExport().write(from: h, date: "2025-10-02", to: out.path)) {
            XCTAssertEqual($0 as? ListSetError, .foreignFiles(directory: out.path, files: ["at-risk.csv"], count: 1))
        }

        // A file where the directory should be.
        let file = out.deletingLastPathComponent().appendingPathComponent("file-out")
        try Data("keep".utf8).write(to: file)
        XCTAssertThrowsError(try ListExport().write(from: h, date: "2025-10-02", to: file.path)) {
            XCTAssertEqual($0 as? DirectorySwapError, .notADirectory(path: file.path))
        }
        XCTAssertEqual(try Data(contentsOf: file), Data("keep".utf8))
    }

    func testTemporaryFilesOfTheOldOneByOneWriterAreReplacedWithTheSet() throws {
        let (h, out) = try seeded()
        try ListExport().write(from: h, date: "2025-10-01", to: out.path)
        try Data("part".utf8).write(to: out.appendingPathComponent(".action-win_back_offer.csv.tmp-Ab12Cd"))
        try ListExport().write(from: h, date: "2025-10-02", to: out.path)
        try assertCompleteSet(out, date: "2025-10-02")
    }

    func testFilesAreOwnerOnlyAndTheDirectory0700WhateverTheUmask() throws {
        let (h, out) = try seeded()
        let saved = umask(0o022)
        defer { umask(saved) }
        try fm.createDirectory(at: out, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        XCTAssertEqual(try mode(out.path), 0o755)
        let m = try ListExport().write(from: h, date: "2025-10-02", to: out.path)
        XCTAssertEqual(try mode(out.path), 0o700)
        for name in m.lists.map(\.file) + ["manifest.json"] {
            XCTAssertEqual(try mode(out.appendingPathComponent(name).path), 0o600, name)
        }
        // A new directory, and its missing parents, are owner-only too.
        let deep = out.deletingLastPathComponent().appendingPathComponent("p/q/lists")
        try ListExport().write(from: h, date: "2025-10-02", to: deep.path)
        XCTAssertEqual(try mode(deep.path), 0o700)
        XCTAssertEqual(try mode(deep.deletingLastPathComponent().path), 0o700)
    }

    func testAnOutputThatIsASymbolicLinkKeepsTheLinkAndReplacesItsTarget() throws {
        let (h, out) = try seeded()
        let real = out.deletingLastPathComponent().appendingPathComponent("real-lists")
        try ListExport().write(from: h, date: "2025-10-01", to: real.path)
        try fm.createSymbolicLink(atPath: out.path, withDestinationPath: "real-lists")
        try ListExport().write(from: h, date: "2025-10-02", to: out.path)
        XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: out.path), "real-lists")
        try assertCompleteSet(real, date: "2025-10-02")
        XCTAssertEqual(try siblings(of: real), [])
        XCTAssertEqual(try siblings(of: out), [])
        // A dangling link: the directory it names is created.
        let dangling = out.deletingLastPathComponent().appendingPathComponent("dangling")
        try fm.createSymbolicLink(atPath: dangling.path, withDestinationPath: "made-by-export")
        try ListExport().write(from: h, date: "2025-10-02", to: dangling.path)
        try assertCompleteSet(out.deletingLastPathComponent().appendingPathComponent("made-by-export"), date: "2025-10-02")
        XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: dangling.path), "made-by-export")
    }

    func testTwoListsWithTheSameFileNameAreAnError() throws {
        let dir = try temporaryDirectory(self)
        let h = try ScoreHistory(path: dir.appendingPathComponent("h.sqlite").path)
        try h.write([
            record("a", "2025-10-01", action: "Win Back"),
            record("b", "2025-10-01", action: "win-back"),
        ], date: "2025-10-01", modelID: "m1")
        let out = dir.appendingPathComponent("out")
        XCTAssertThrowsError(try ListExport().write(from: h, date: "2025-10-01", to: out.path)) {
            XCTAssertEqual($0 as? ListSetError, .sameFileName(file: "action-win-back.csv", lists: ["Win Back", "win-back"]))
        }
        XCTAssertFalse(fm.fileExists(atPath: out.path), "nothing written")
        // Either one alone is fine.
        let m = try ListExport(lists: ["action:win-back"]).write(from: h, date: "2025-10-01", to: out.path)
        XCTAssertEqual(m.lists.map(\.rows), [1])
    }
}
