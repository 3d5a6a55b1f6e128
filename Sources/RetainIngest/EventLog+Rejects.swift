import Foundation
import RetainCore
import RetainIO

/// Skipped rows, streamed to a temporary file beside the target (`AtomicFile.Stream`, mode 0600)
/// and renamed over it at the end.
final class RejectsWriter {
    let path: String
    private let file: AtomicFile.Stream
    private var buffer: [UInt8] = []

    init(path: String) throws {
        self.path = path
        file = try Self.mapError { try AtomicFile.Stream(path: path, permissions: 0o600) }
        buffer.append(contentsOf: "line,reason,text\n".utf8)
    }

    /// Appends one rejected line.
    func add(line: Int, reason: BadRowReason, text: UnsafeBufferPointer<UInt8>) throws {
        buffer.append(contentsOf: String(line).utf8)
        buffer.append(UInt8(ascii: ","))
        buffer.append(contentsOf: reason.rawValue.utf8)
        buffer.append(UInt8(ascii: ","))
        appendCSVField(text, to: &buffer)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        try Self.mapError { try file.write(buffer) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and renames the file into place.
    func commit() throws {
        try flush()
        try Self.mapError { try file.commit() }
    }

    /// Removes the temporary file (after a failed read).
    func abandon() { file.abandon() }

    /// Reports the I/O layer's write failures as `IngestError.cannotWrite`.
    private static func mapError<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch IOError.writeFailed(let path, let reason) {
            throw IngestError.cannotWrite(file: path, reason: reason)
        }
    }
}

/// Appends `text` as one CSV field, quoted when it holds a comma, quote or line break.
func appendCSVField(_ text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    if text.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
        out.append(0x22)
        for c in text {
            out.append(c)
            if c == 0x22 { out.append(0x22) }
        }
        out.append(0x22)
    } else {
        out.append(contentsOf: text)
    }
}
