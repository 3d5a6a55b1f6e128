import Foundation
import RetainCore

extension AtomicFile.Stream {
    /// Appends `pieces` pieces made by `produce` on several threads, in piece order (the
    /// parallel writer of ``AtomicFile/write(to:permissions:pieces:produce:)``, without the
    /// rename), so a caller can prepare a file, do other work, and then ``commit()`` or
    /// ``abandon()`` it.
    package func write(pieces: Int, produce: (Int) -> [UInt8]) throws {
        let fd = descriptor
        let start = lseek(fd, 0, SEEK_CUR)
        guard start >= 0 else { throw IOError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        let order = AtomicFile.PieceOrder(count: pieces)
        let failure = AtomicFile.FirstError()
        let path = self.path
        withoutActuallyEscaping(produce) { produce in
            DispatchQueue.concurrentPerform(iterations: pieces) { k in
                for (offset, bytes) in order.finished(k, produce(k)) where failure.error == nil {
                    do {
                        try bytes.withUnsafeBytes { try Self.writeAll(fd, $0, at: Int(start) + offset, path: path) }
                    } catch { failure.set(error) }
                }
            }
        }
        if let e = failure.error { throw e }
        guard lseek(fd, 0, SEEK_END) >= 0 else { throw IOError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
    }

    /// Flushes the bytes written so far to disk (``commit()`` then has little left to do).
    package func sync() throws {
        guard fsync(descriptor) == 0 else { throw IOError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
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
}
