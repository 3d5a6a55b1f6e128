import Foundation

/// Errors from the store module.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .writeFailed(let path, let reason):
            return "could not write \(path): \(reason). Check that the directory exists and is writable."
        }
    }
}

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
    /// - Throws: `StoreError.writeFailed` naming the path and the system's reason.
    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o644) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var template = Array("\(dir)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw StoreError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        let tmp = String(cString: template)
        var ok = false
        defer { if !ok { unlink(tmp) } }
        var written = 0
        let status: Int32 = data.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return 0 }
            while written < raw.count {
                let n = Foundation.write(fd, base + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return errno }
                written += n
            }
            return 0
        }
        if status != 0 { close(fd); throw StoreError.writeFailed(path: path, reason: String(cString: strerror(status))) }
        if fchmod(fd, permissions) != 0 || fsync(fd) != 0 {
            let e = errno; close(fd)
            throw StoreError.writeFailed(path: path, reason: String(cString: strerror(e)))
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            throw StoreError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        ok = true
    }

    /// Writes a UTF-8 string to `path` atomically.
    public static func write(_ text: String, to path: String, permissions: mode_t = 0o644) throws {
        try write(Data(text.utf8), to: path, permissions: permissions)
    }
}
