import Foundation
import RetainCore

extension AtomicFile.Stream {
    /// Appends `pieces` pieces made by `produce` on several threads, in piece order, after the
    /// bytes already written, so a caller can prepare a file, do other work, and then
    /// ``commit()`` or ``abandon()`` it.
    ///
    /// Writing overlaps making: a piece is written (at its offset) as soon as it and every piece
    /// before it have been made, by the thread that completed that prefix. Memory holds only the
    /// pieces made but not yet written. A device or FIFO target gets the pieces in order, one
    /// write after another.
    package func write(pieces: Int, produce: (Int) -> [UInt8]) throws {
        let start = isInPlace ? 0 : try currentOffset()
        let order = AtomicFile.PieceOrder(count: pieces)
        let failure = AtomicFile.FirstError()
        withoutActuallyEscaping(produce) { produce in
            DispatchQueue.concurrentPerform(iterations: pieces) { k in
                let bytes = produce(k)
                guard failure.error == nil else { return }
                do {
                    if isInPlace {
                        // Unseekable: write under the order's lock so the bytes go out in order.
                        try order.finished(k, bytes, underLock: true) { _, piece in try write(piece) }
                    } else {
                        try order.finished(k, bytes) { offset, piece in try write(piece, at: start + offset) }
                    }
                } catch { failure.set(error) }
            }
        }
        if let e = failure.error { throw e }
        if !isInPlace { try seekToEnd() }
    }
}
