import CZlib
import Foundation
import RetainCore

/// Compresses a byte stream into one gzip member (RFC 1952) with zlib and hands the compressed
/// bytes to a sink (a file, or memory).
///
/// The header carries no file name and modification time 0, so the same input and level give the
/// same bytes on every run (as `gzip -n` does). Memory: zlib's state (about 256 KiB at the
/// default settings) and a 256 KiB output buffer, whatever the input size.
///
/// ```swift
/// var compressed = [UInt8]()
/// let gz = try GzipWriter(path: "events.csv.gz") { compressed.append(contentsOf: $0) }
/// try text.utf8.withContiguousStorageIfAvailable { try gz.write(UnsafeRawBufferPointer($0)) }
/// try gz.finish()
/// ```
public final class GzipWriter {
    private let stream: UnsafeMutablePointer<z_stream>
    private let buffer: UnsafeMutablePointer<UInt8>
    private static let capacity = 1 << 18
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let path: String
    private var finished = false
    /// Compressed bytes handed to the sink so far.
    public private(set) var compressedBytes = 0

    /// Starts a gzip stream.
    ///
    /// - Parameters:
    ///   - path: Names the output in error messages.
    ///   - level: zlib's compression level, 0 (none) … 9 (smallest); 6 is gzip's default.
    ///   - sink: Receives the compressed bytes, in order; its errors are passed on.
    /// - Throws: `IOError.writeFailed` when zlib cannot start (out of memory, a bad level).
    public init(path: String, level: Int32 = 6, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        s.initialize(to: z_stream())
        // windowBits 15 + 16: a 32 KiB window and a gzip (not zlib) wrapper; memLevel 8 is zlib's default.
        let status = deflateInit2_(s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            s.deallocate()
            throw IOError.writeFailed(path: path, reason: "zlib could not start compressing (code \(status))")
        }
        stream = s
        buffer = .allocate(capacity: Self.capacity)
        self.sink = sink
        self.path = path
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        buffer.deallocate()
    }

    /// Compresses `bytes` (output may be held back until later writes or ``finish()``).
    ///
    /// - Precondition: ``finish()`` has not been called.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after finish")
        guard var next = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var left = bytes.count
        while left > 0 {
            let n = min(left, Int(UInt32.max))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: next)
            stream.pointee.avail_in = UInt32(n)
            try deflateAll(Z_NO_FLUSH)
            next += n
            left -= n
        }
    }

    /// Compresses the rest and writes the gzip trailer (CRC-32 and length). Calling it again does nothing.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try deflateAll(Z_FINISH)
    }

    /// Runs `deflate` until it has taken all input (and, with `Z_FINISH`, ended the stream),
    /// handing each full or final output buffer to the sink.
    private func deflateAll(_ flush: Int32) throws {
        while true {
            stream.pointee.next_out = buffer
            stream.pointee.avail_out = UInt32(Self.capacity)
            let status = deflate(stream, flush)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw IOError.writeFailed(path: path, reason: "zlib failed while compressing (code \(status))")
            }
            let n = Self.capacity - Int(stream.pointee.avail_out)
            if n > 0 {
                try sink(UnsafeRawBufferPointer(start: buffer, count: n))
                compressedBytes += n
            }
            if flush == Z_FINISH ? status == Z_STREAM_END : stream.pointee.avail_out > 0 { return }
        }
    }
}
