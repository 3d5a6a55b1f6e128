import Foundation
import RetainCore

/// Writes files atomically: the data go to a temporary file in the same directory, are flushed,
/// and the temporary file is renamed over the target, so a reader never sees a partial file and
/// a failure leaves any previous file intact.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    ///
    /// - Parameters:
    ///   - data: The full new content.
    ///   - path: Target path; its directory must exist.
    ///   - permissions: POSIX mode for the new file (e.g. `0o600` for personal data).
    /// - Throws: `IOError.writeFailed` naming the path and the system's reason.
    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o644) throws {
        try write(to: path, permissions: permissions) { fd in
            try data.withUnsafeBytes { try writeAll(fd, $0, at: 0, path: path) }
        }
    }

    /// Writes the concatenation of `parts` to `path` atomically (large outputs built in pieces,
    /// each written at its own offset on several threads).
    public static func write(parts: [[UInt8]], to path: String, permissions: mode_t = 0o644) throws {
        try write(to: path, permissions: permissions, pieces: parts.count) { parts[$0] }
    }

    /// Writes `pieces` pieces made by `produce` on several threads, in piece order, atomically.
    ///
    /// Writing overlaps making: a piece is written (at its offset) as soon as it and every piece
    /// before it have been made, by the thread that completed that prefix. Memory holds only the
    /// pieces made but not yet written.
    public static func write(to path: String, permissions: mode_t = 0o644, pieces: Int, produce: (Int) -> [UInt8]) throws {
        try write(to: path, permissions: permissions) { fd in
            let order = PieceOrder(count: pieces)
            let failure = FirstError()
            withoutActuallyEscaping(produce) { produce in
                DispatchQueue.concurrentPerform(iterations: pieces) { k in
                    for (offset, bytes) in order.finished(k, produce(k)) where failure.error == nil {
                        do { try bytes.withUnsafeBytes { try writeAll(fd, $0, at: offset, path: path) } } catch { failure.set(error) }
                    }
                }
            }
            if let e = failure.error { throw e }
        }
    }

    /// Tracks which pieces are made and hands out, in order, those whose offset is known.
    final class PieceOrder: @unchecked Sendable {
        private let lock = NSLock()
        private var made: [[UInt8]?]
        private var next = 0, offset = 0
        init(count: Int) { made = Array(repeating: nil, count: count) }

        /// Records piece `k`; returns the pieces (with offsets) that can now be written.
        func finished(_ k: Int, _ bytes: [UInt8]) -> [(Int, [UInt8])] {
            lock.lock()
            defer { lock.unlock() }
            made[k] = bytes
            var ready: [(Int, [UInt8])] = []
            while next < made.count, let piece = made[next] {
                ready.append((offset, piece))
                offset += piece.count
                made[next] = []
                next += 1
            }
            return ready
        }
    }

    /// The first error reported by parallel workers.
    final class FirstError: @unchecked Sendable {
        private let lock = NSLock()
        private var first: Error?
        var error: Error? { lock.lock(); defer { lock.unlock() }; return first }
        func set(_ e: Error) { lock.lock(); if first == nil { first = e }; lock.unlock() }
    }


    /// Creates the temporary file, lets `body` write to its descriptor, then sets the mode, syncs and renames.
    private static func write(to path: String, permissions: mode_t, _ body: (Int32) throws -> Void) throws {
        let file = try Stream(path: path, permissions: permissions)
        try body(file.descriptor)
        try file.commit()
    }

    /// A file written front to back and put in place atomically: the bytes go to a temporary
    /// file beside `path`; ``commit()`` sets the mode, syncs and renames it over `path`;
    /// ``abandon()`` (or dropping the stream uncommitted) removes it and leaves any old file intact.
    ///
    /// ```swift
    /// let file = try AtomicFile.Stream(path: "rejects.csv", permissions: 0o600)
    /// try file.write(header)
    /// try file.write(rows)
    /// try file.commit()
    /// ```
    ///
    /// Errors are `IOError.writeFailed` naming `path` and the system's reason.
    public final class Stream {
        /// The target path.
        public let path: String
        private let permissions: mode_t
        private let temporaryPath: String
        private var fd: Int32
        private var finished = false

        /// Creates the temporary file in `path`'s directory (which must exist).
        ///
        /// - Parameter permissions: POSIX mode the file gets on ``commit()``.
        public init(path: String, permissions: mode_t = 0o644) throws {
            self.path = path
            self.permissions = permissions
            let url = URL(fileURLWithPath: path)
            let dir = url.deletingLastPathComponent().path
            var template = Array("\(dir)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }  // non-empty array
            guard fd >= 0 else { throw IOError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
            temporaryPath = String(cString: template)
        }

        deinit { abandon() }

        /// The temporary file's descriptor (for positioned writes); valid until commit or abandon.
        var descriptor: Int32 { fd }

        /// Appends `bytes` (retrying short writes and interruptions).
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            precondition(!finished, "write after commit or abandon")
            guard let base = bytes.baseAddress else { return }
            var done = 0
            while done < bytes.count {
                let n = Foundation.write(fd, base + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw IOError.writeFailed(path: path, reason: String(cString: strerror(errno)))
                }
                done += n
            }
        }

        /// Appends `bytes`.
        public func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }

        /// Sets the mode, syncs the data to disk, closes the file and renames it over `path`.
        /// On failure the temporary file is removed and any old file stays.
        public func commit() throws {
            precondition(!finished, "commit after commit or abandon")
            if fchmod(fd, permissions) != 0 || fsync(fd) != 0 {
                let e = errno
                abandon()
                throw IOError.writeFailed(path: path, reason: String(cString: strerror(e)))
            }
            close(fd)
            fd = -1
            guard rename(temporaryPath, path) == 0 else {
                let e = errno
                abandon()
                throw IOError.writeFailed(path: path, reason: String(cString: strerror(e)))
            }
            finished = true
        }

        /// Closes and removes the temporary file; the target is untouched. Does nothing after ``commit()``.
        public func abandon() {
            if fd >= 0 { close(fd); fd = -1 }
            if !finished { unlink(temporaryPath); finished = true }
        }
    }

    /// Writes all of `raw` at file offset `offset` (retrying short writes and interruptions).
    private static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, at offset: Int, path: String) throws {
        guard let base = raw.baseAddress else { return }
        var written = 0
        while written < raw.count {
            let n = pwrite(fd, base + written, raw.count - written, off_t(offset + written))
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            written += n
        }
    }

    /// Writes a UTF-8 string to `path` atomically.
    public static func write(_ text: String, to path: String, permissions: mode_t = 0o644) throws {
        try write(Data(text.utf8), to: path, permissions: permissions)
    }
}
