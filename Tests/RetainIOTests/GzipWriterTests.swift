import CZlib
import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO

/// The streaming gzip writer: valid gzip that inflates back to the input, reproducible bytes.
final class GzipWriterTests: XCTestCase {
    /// Compresses `chunks` (written one by one) into memory.
    func gzip(_ chunks: [[UInt8]], level: Int32 = 6) throws -> [UInt8] {
        var out: [UInt8] = []
        let gz = try GzipWriter(path: "memory", level: level) { out.append(contentsOf: $0) }
        for c in chunks { try c.withUnsafeBytes { try gz.write($0) } }
        try gz.finish()
        try gz.finish()  // a second finish does nothing
        XCTAssertEqual(gz.compressedBytes, out.count)
        return out
    }

    /// Inflates a gzip stream with zlib.
    func gunzip(_ data: [UInt8]) -> [UInt8]? {
        var s = z_stream()
        guard inflateInit2_(&s, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&s) }
        var input = data, out: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inp in
            s.next_in = inp.baseAddress
            s.avail_in = UInt32(inp.count)
            while status == Z_OK {
                buffer.withUnsafeMutableBufferPointer { b in
                    s.next_out = b.baseAddress
                    s.avail_out = UInt32(b.count)
                    status = inflate(&s, Z_NO_FLUSH)
                    out.append(contentsOf: b[0..<(b.count - Int(s.avail_out))])
                }
            }
        }
        return status == Z_STREAM_END && s.avail_in == 0 ? out : nil
    }

    func testOutputInflatesBackToTheInputWrittenInPieces() throws {
        var rng = SeededGenerator(seed: 3)
        let text = Array((0..<20_000).map { "C\($0 % 977),2025-01-\(10 + $0 % 19)T10:00:00Z,login,\(UInt32.random(in: 0...999, using: &rng)),\n" }.joined().utf8)
        let pieces = stride(from: 0, to: text.count, by: 70_001).map { Array(text[$0..<min(text.count, $0 + 70_001)]) }
        let gz = try gzip(pieces)
        XCTAssertEqual(Array(gz.prefix(4)), [0x1F, 0x8B, 0x08, 0x00], "gzip magic, deflate, no name")
        XCTAssertEqual(Array(gz[4..<8]), [0, 0, 0, 0], "modification time 0")
        XCTAssertLessThan(gz.count, text.count / 3)
        XCTAssertEqual(gunzip(gz), text)
    }

    func testSameInputGivesTheSameBytesAndEmptyInputIsAValidStream() throws {
        let text = Array(String(repeating: "customer_id,timestamp\n", count: 500).utf8)
        XCTAssertEqual(try gzip([text]), try gzip([Array(text[0..<100]), Array(text[100...])]))
        let empty = try gzip([])
        XCTAssertEqual(gunzip(empty), [])
    }

    func testSinkErrorsArePassedOn() throws {
        struct Full: Error {}
        let gz = try GzipWriter(path: "full", level: 0) { _ in throw Full() }
        let big = [UInt8](repeating: 7, count: 1 << 20)
        XCTAssertThrowsError(try big.withUnsafeBytes { try gz.write($0); try gz.finish() }) { XCTAssertTrue($0 is Full) }
    }
}
