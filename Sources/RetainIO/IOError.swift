import Foundation

/// Why a file or database could not be read or written at the I/O layer.
///
/// Messages name the path and the system's (or SQLite's) explanation, never file contents.
public enum IOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file could not be opened or read; `reason` is the system's (or zlib's) explanation.
    case readFailed(path: String, reason: String)
    /// A file could not be written.
    case writeFailed(path: String, reason: String)
    /// SQLite could not open or use the file; `code` is SQLite's result code.
    case sqlite(path: String, reason: String, code: Int32)
    /// The database was written by a newer `retain` (its schema version is above the one this build knows).
    case newerSchema(path: String, version: Int32, supported: Int32)

    /// SQLite's `SQLITE_CONSTRAINT` (a uniqueness or NOT NULL rule was broken).
    public var isConstraintViolation: Bool {
        if case .sqlite(_, _, let code) = self { return code & 0xFF == 19 }
        return false
    }

    public var description: String {
        switch self {
        case .readFailed(let path, let reason):
            return "cannot read \(path): \(reason)."
        case .writeFailed(let path, let reason):
            return "could not write \(path): \(reason). Check that the directory exists and is writable."
        case .sqlite(let path, let reason, _):
            return "\(path): \(reason)."
        case .newerSchema(let path, let version, let supported):
            return "\(path) has schema version \(version); this retain reads up to \(supported). Upgrade retain."
        }
    }
}

extension IOError: LocalizedError {
    public var errorDescription: String? { description }
}
