import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RetainCore
import RetainIO

/// Skipped rows, streamed to a temporary file beside the target and renamed over it at the end.
final class RejectsWriter {
    let path: String
    private let tempPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var done = false

    init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var template = Array("\(dir)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }  // non-empty array
        guard fd >= 0 else { throw IngestError.cannotWrite(file: path, reason: String(cString: strerror(errno))) }
        tempPath = String(cString: template)
        buffer.append(contentsOf: "line,reason,text\n".utf8)
    }

    deinit { abandon() }

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
        var written = 0
        while written < buffer.count {
            let n = buffer.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IngestError.cannotWrite(file: path, reason: String(cString: strerror(errno)))
            }
            written += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and renames the file into place.
    func commit() throws {
        try flush()
        if fchmod(fd, 0o600) != 0 || fsync(fd) != 0 {
            throw IngestError.cannotWrite(file: path, reason: String(cString: strerror(errno)))
        }
        close(fd)
        fd = -1
        guard rename(tempPath, path) == 0 else {
            throw IngestError.cannotWrite(file: path, reason: String(cString: strerror(errno)))
        }
        done = true
    }

    /// Removes the temporary file (after a failed read).
    func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        if !done { unlink(tempPath); done = true }
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
