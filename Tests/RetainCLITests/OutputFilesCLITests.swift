import Foundation
import XCTest

/// Files `retain` writes, end to end: personal-data outputs are owner-only whatever the umask, and
/// a FIFO given as `--out` is written in place and stays a FIFO. The write path itself is tested
/// in RetainIOTests (AtomicFileTests).
final class OutputFilesCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let cdnow = root.appendingPathComponent("datasets/cdnow/CDNOW_sample.txt").path

    private var tmp: URL!
    private var savedUmask: mode_t = 0

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("retain-outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        savedUmask = umask(0o022)  // inherited by the retain processes
    }

    override func tearDownWithError() throws {
        umask(savedUmask)
        try? FileManager.default.removeItem(at: tmp)
    }

    private func mode(_ path: String) throws -> mode_t {
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0, path)
        return st.st_mode & 0o7777
    }

    private func generate() throws -> String {
        let data = tmp.appendingPathComponent("data").path
        let g = try runRetain(["generate", "--customers", "150", "--days", "45", "--out", data])
        XCTAssertEqual(g.status, 0, g.stderr)
        return data
    }

    func testGeneratedCustomersAndEventsFilesAreOwnerOnlyUnderUmask022() throws {
        let data = try generate()
        XCTAssertEqual(try mode(data + "/customers.csv"), 0o600)
        XCTAssertEqual(try mode(data + "/events.csv"), 0o600)
    }

    func testFeatureTableIsOwnerOnlyUnderUmask022() throws {
        let data = try generate()
        let out = tmp.appendingPathComponent("features.csv").path
        let f = try runRetain(["features", "--events", data + "/events.csv", "--as-of", "2025-02-10", "--out", out])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertEqual(try mode(out), 0o600)
    }

    func testCLVPredictionsAreOwnerOnlyUnderUmask022() throws {
        let out = tmp.appendingPathComponent("clv.csv").path
        let r = try runRetain(["clv", "--cdnow", "--events", Self.cdnow, "--calibration-end", "1997-09-30",
                               "--time-unit", "week", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try mode(out), 0o600)
    }

    func testFeatureTableWrittenToAFIFOIsStreamedAndTheFIFOStays() throws {
        let data = try generate()
        let fifo = tmp.appendingPathComponent("features.pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let file = tmp.appendingPathComponent("features.csv").path
        let reference = try runRetain(["features", "--events", data + "/events.csv", "--as-of", "2025-02-10", "--out", file])
        XCTAssertEqual(reference.status, 0, reference.stderr)

        final class Box: @unchecked Sendable { var data = Data() }
        let box = Box(), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            if let h = FileHandle(forReadingAtPath: fifo) { box.data = h.readDataToEndOfFile(); try? h.close() }
            done.signal()
        }
        let r = try runRetain(["features", "--events", data + "/events.csv", "--as-of", "2025-02-10", "--out", fifo])
        // Release a reader still waiting to open (if retain never opened the FIFO).
        let w = open(fifo, O_WRONLY | O_NONBLOCK)
        if w >= 0 { close(w) }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success, "the reader never got an end of file")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(box.data, try Data(contentsOf: URL(fileURLWithPath: file)))
        var st = stat()
        XCTAssertEqual(lstat(fifo, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted(), ["data", "features.csv", "features.pipe"])
    }
}
