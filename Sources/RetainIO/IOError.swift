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
    /// A line longer than `limit` bytes (a file without line feeds, a device such as `/dev/zero`, or
    /// binary data); `line` is the 1-based line where it starts, nil when the reader does not know it.
    case lineTooLong(path: String, line: Int?, limit: Int)

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
        case .lineTooLong(let path, let line, let limit):
            let place = line.map { "\(path) line \($0)" } ?? path
            return "\(place): a line longer than \(ByteCount.text(limit)) (no line feed?). "
                + "Give a text file with one record per line (a CSV file, not a device or a binary file)."
        }
    }
}

extension IOError {
    /// `error`, with `line` filled in when it is a `lineTooLong` without a line number.
    package static func numberingLine(_ error: Error, line: Int) -> Error {
        if case .lineTooLong(let path, nil, let limit)? = error as? IOError {
            return IOError.lineTooLong(path: path, line: line, limit: limit)
        }
        return error
    }

    /// Runs `body`, numbering a `lineTooLong` it throws with `line`.
    package static func numberingLine<R>(line: Int, _ body: () throws -> R) throws -> R {
        do { return try body() } catch { throw numberingLine(error, line: line) }
    }
}

/// Byte counts in messages.
package enum ByteCount {
    /// `16 MiB`, `1 MB`-style text: whole MiB or KiB when exact, else bytes.
    package static func text(_ bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}

extension IOError: LocalizedError {
    public var errorDescription: String? { description }
}
