import Foundation
import RetainCore

/// Writes files safely: a regular file is written to a temporary file in its directory, flushed,
/// renamed over the target and the directory synced, so a reader never sees a partial file and a
/// failure leaves any previous file intact. A target that is a character or block device or a FIFO
/// (`/dev/null`, a pipe) is written in place and never replaced; a symbolic link is followed and
/// its target written atomically, leaving the link in place.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    ///
    /// - Parameters:
    ///   - data: The full new content.
    ///   - path: Target path; its directory must exist.
    ///   - permissions: POSIX mode for the new file (e.g. `0o600` for personal data), set
    ///     explicitly whatever the umask; a device or FIFO keeps its own.
    /// - Throws: `IOError.writeFailed` naming the path and the system's reason.
    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o644) throws {
        let file = try Stream(path: path, permissions: permissions)
        try data.withUnsafeBytes { try file.write($0) }
        try file.commit()
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
    /// pieces made but not yet written. A device or FIFO target gets the pieces in order, one
    /// write after another.
    public static func write(to path: String, permissions: mode_t = 0o644, pieces: Int, produce: (Int) -> [UInt8]) throws {
        let file = try Stream(path: path, permissions: permissions)
        do { try file.write(pieces: pieces, produce: produce) } catch { file.abandon(); throw error }
        try file.commit()
    }

    /// Tracks which pieces are made and hands out, in order, those whose offset is known.
    final class PieceOrder: @unchecked Sendable {
        private let lock = NSLock()
        private var made: [[UInt8]?]
        private var next = 0, offset = 0
        init(count: Int) { made = Array(repeating: nil, count: count) }

        /// Records piece `k` and passes each piece (with its offset) that can now be written to
        /// `write`, outside the lock when the writes are positioned, under it otherwise.
        func finished(_ k: Int, _ bytes: [UInt8], underLock: Bool = false, write: (Int, [UInt8]) throws -> Void) throws {
            lock.lock()
            made[k] = bytes
            var ready: [(Int, [UInt8])] = []
            while next < made.count, let piece = made[next] {
                ready.append((offset, piece))
                offset += piece.count
                made[next] = []
                next += 1
            }
            if underLock {
                defer { lock.unlock() }
                for (offset, piece) in ready { try write(offset, piece) }
            } else {
                lock.unlock()
                for (offset, piece) in ready { try write(offset, piece) }
            }
        }
    }

    /// The first error reported by parallel workers.
    final class FirstError: @unchecked Sendable {
        private let lock = NSLock()
        private var first: Error?
        var error: Error? { lock.lock(); defer { lock.unlock() }; return first }
        func set(_ e: Error) { lock.lock(); if first == nil { first = e }; lock.unlock() }
    }


    /// A file written front to back and put in place atomically: the bytes go to a temporary
    /// file beside `path`; ``commit()`` sets the mode, syncs, renames it over `path` and syncs the
    /// directory; ``abandon()`` (or dropping the stream uncommitted) removes it and leaves any old
    /// file intact.
    ///
    /// When `path` is a symbolic link, the link is followed (to the end of a chain) and its target
    /// replaced the same way; the link stays. When `path` (or the link's target) is a character or
    /// block device or a FIFO, the bytes are written to it directly (no temporary file, no rename,
    /// no truncation, its mode untouched); opening a FIFO waits for a reader, as a shell would.
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
        /// The file the bytes end up in: `path` with symbolic links followed.
        private let targetPath: String
        /// The temporary file; `nil` when writing a device or FIFO in place.
        private let temporaryPath: String?
        private var fd: Int32
        private var finished = false

        /// Opens the target: creates the temporary file in the target's directory (which must
        /// exist), or opens a device or FIFO for writing.
        ///
        /// - Parameter permissions: POSIX mode a regular file gets on ``commit()``, whatever the umask.
        public init(path: String, permissions: mode_t = 0o644) throws {
            self.path = path
            self.permissions = permissions
            // stat follows links the way open will (including /proc's, as in /dev/stdout).
            var st = stat()
            if stat(path, &st) == 0, Self.isDeviceOrFIFO(st.st_mode) {
                fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)
                guard fd >= 0 else { throw Self.failure(path, errno) }
                targetPath = path
                temporaryPath = nil
                return
            }
            let target = try Self.followLinks(path)
            targetPath = target
            let url = URL(fileURLWithPath: target)
            let dir = url.deletingLastPathComponent().path
            var template = Array("\(dir)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }  // non-empty array
            guard fd >= 0 else { throw Self.failure(path, errno) }
            temporaryPath = String(cString: template)
        }

        deinit { abandon() }

        /// Whether the target is a device or FIFO written in place (sequential writes only).
        var isInPlace: Bool { temporaryPath == nil }

        /// Appends `bytes` (retrying short writes and interruptions).
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            precondition(!finished, "write after commit or abandon")
            try AtomicFile.writeAll(fd, bytes, path: path)
        }

        /// Appends `bytes`.
        public func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }

        /// Writes `bytes` at file offset `offset` of the temporary file (thread-safe; not for
        /// in-place targets, which are written in order with ``write(_:)-([UInt8])``).
        func write(_ bytes: [UInt8], at offset: Int) throws {
            precondition(!isInPlace, "positioned write to a device or FIFO")
            try bytes.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, at: offset, path: path) }
        }

        /// The file offset the next sequential write goes to (seekable targets only).
        func currentOffset() throws -> Int {
            let at = lseek(fd, 0, SEEK_CUR)
            guard at >= 0 else { throw Self.failure(path, errno) }
            return Int(at)
        }

        /// Moves the file offset to the end, after positioned writes.
        func seekToEnd() throws {
            guard lseek(fd, 0, SEEK_END) >= 0 else { throw Self.failure(path, errno) }
        }

        /// Flushes the bytes written so far to disk (``commit()`` then has little left to do).
        package func sync() throws {
            guard isInPlace || fsync(fd) == 0 else { throw Self.failure(path, errno) }
        }

        /// Sets the mode, syncs the data to disk, closes the file, renames it over the target and
        /// syncs the directory. On failure the temporary file is removed and any old file stays.
        /// For a device or FIFO: closes it.
        public func commit() throws {
            precondition(!finished, "commit after commit or abandon")
            guard let temporaryPath else {
                let e = close(fd) == 0 ? 0 : errno
                fd = -1
                finished = true
                if e != 0 { throw Self.failure(path, e) }
                return
            }
            if fchmod(fd, permissions) != 0 || fsync(fd) != 0 {
                let e = errno
                abandon()
                throw Self.failure(path, e)
            }
            let closed = close(fd) == 0 ? 0 : errno
            fd = -1
            guard closed == 0 else {
                abandon()
                throw Self.failure(path, closed)
            }
            guard rename(temporaryPath, targetPath) == 0 else {
                let e = errno
                abandon()
                throw Self.failure(path, e)
            }
            finished = true
            try Self.syncDirectory(of: targetPath, reportingAs: path)
        }

        /// Closes and removes the temporary file; the target is untouched. Does nothing after
        /// ``commit()``. For a device or FIFO: closes it (what was written stays written).
        public func abandon() {
            if fd >= 0 { close(fd); fd = -1 }
            if !finished, let temporaryPath { unlink(temporaryPath) }
            finished = true
        }

        private static func isDeviceOrFIFO(_ mode: mode_t) -> Bool {
            let type = mode & S_IFMT
            return type == S_IFCHR || type == S_IFBLK || type == S_IFIFO
        }

        /// `path` with a symbolic link in its last component followed, through a chain of links,
        /// to the file it names (which may not exist yet).
        static func followLinks(_ path: String) throws -> String {
            var current = path
            for _ in 0..<40 {
                var st = stat()
                guard lstat(current, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else { return current }
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(current, &buffer, buffer.count - 1)
                guard n >= 0 else { throw failure(path, errno) }
                let link = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                current = link.hasPrefix("/") ? link
                    : (URL(fileURLWithPath: current).deletingLastPathComponent().path as NSString).appendingPathComponent(link)
            }
            throw failure(path, ELOOP)
        }

        /// Syncs the directory holding `path` so the rename survives a crash (file systems that
        /// cannot sync a directory are left as they are).
        private static func syncDirectory(of path: String, reportingAs name: String) throws {
            let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
            let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard dfd >= 0 else { return }
            defer { close(dfd) }
            if fsync(dfd) != 0, errno != EINVAL, errno != ENOTSUP { throw failure(name, errno) }
        }

        private static func failure(_ path: String, _ code: Int32) -> IOError { AtomicFile.failure(path, code) }
    }

    /// Writes all of `bytes` to `fd` (at file offset `offset` with `pwrite`, else at the current
    /// position), retrying short writes and interruptions; `path` names the file in the error.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int? = nil, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = offset.map { pwrite(fd, base + done, bytes.count - done, off_t($0 + done)) }
                ?? Foundation.write(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, errno)
            }
            done += n
        }
    }

    /// The write error for `path` and errno `code`.
    static func failure(_ path: String, _ code: Int32) -> IOError {
        IOError.writeFailed(path: path, reason: String(cString: strerror(code)))
    }

    /// Writes a UTF-8 string to `path` atomically.
    public static func write(_ text: String, to path: String, permissions: mode_t = 0o644) throws {
        try write(Data(text.utf8), to: path, permissions: permissions)
    }
}
