import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RetainCore

// Reading a text file as blocks of whole lines, plain or gzip-compressed, with bounded memory.

/// A block of whole lines: `bytes[0..<count]` ends with `\n` and is followed by at least 16
/// readable bytes, so parsers may load 8 bytes at a time without bounds checks.
package final class LineBlock {
    package private(set) var bytes: UnsafeMutablePointer<UInt8>
    package private(set) var capacity: Int
    package var count = 0

    package init(capacity: Int) {
        self.capacity = max(capacity, 64)
        bytes = .allocate(capacity: self.capacity + 32)
        bytes.initialize(repeating: 0, count: self.capacity + 32)
    }

    deinit { bytes.deallocate() }

    /// Makes room for `needed` bytes (plus padding), keeping the first `keep` bytes.
    package func reserve(_ needed: Int, keep: Int) {
        guard needed > capacity else { return }
        var c = capacity
        while c < needed { c *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c + 32)
        bigger.initialize(repeating: 0, count: c + 32)
        bigger.update(from: bytes, count: keep)
        bytes.deallocate()
        bytes = bigger
        capacity = c
    }
}

/// Hands out a file's text as blocks of whole lines of about `blockSize` bytes.
///
/// Gzip is recognised by its magic bytes (1f 8b), whatever the name, and inflated with zlib's
/// streaming `inflate` (concatenated gzip members are read one after another). Not thread-safe:
/// callers take turns.
package final class LineSource {
    /// The longest line accepted (16 MiB): a longer one (a file without line feeds, `/dev/zero`)
    /// is an error instead of a buffer that grows until memory runs out.
    package static let maximumLineLength = 16 << 20
    package let path: String
    /// The longest line accepted; `maximumLineLength` unless a test lowers it.
    package var lineLimit = LineSource.maximumLineLength
    private let fd: Int32
    private var prefix: [UInt8] = []          // bytes read while sniffing, served first
    private var stream: UnsafeMutablePointer<z_stream>?
    private var input: UnsafeMutablePointer<UInt8>?
    private static let inputSize = 1 << 20
    private var inputEOF = false
    private var rawEOF = false                // no more text
    /// The bytes after the last handed-out line end.
    private var carry: UnsafeMutablePointer<UInt8>
    private var carryCount = 0
    private var carryCapacity = 1 << 16
    /// Bytes read from the file.
    package private(set) var fileBytes = 0
    /// Bytes of text produced.
    package private(set) var textBytes = 0
    package let isGzip: Bool

    package init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        self.fd = fd
        guard fd >= 0 else { throw IOError.readFailed(path: path, reason: Self.systemError()) }
        carry = .allocate(capacity: carryCapacity + 32)
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            carry.deallocate()
            throw IOError.readFailed(path: path, reason: "it is a directory")
        }
        #if canImport(Glibc)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        // Sniff the first two bytes (a read, so pipes work too).
        var head = [UInt8](repeating: 0, count: 2)
        var got = 0
        while got < 2 {
            let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, 2 - got) }  // non-empty
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                let reason = Self.systemError()
                close(fd)
                carry.deallocate()
                throw IOError.readFailed(path: path, reason: reason)
            }
            if n == 0 { break }
            got += n
        }
        prefix = Array(head[0..<got])
        fileBytes = got
        isGzip = got == 2 && head[0] == 0x1F && head[1] == 0x8B
        if isGzip {
            let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            s.initialize(to: z_stream())
            // 15 + 32: a window of 2^15 and automatic zlib/gzip header detection.
            let status = inflateInit2_(s, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else {
                s.deallocate()
                close(fd)
                carry.deallocate()
                throw IOError.readFailed(path: path, reason: "zlib could not start (code \(status))")
            }
            stream = s
            input = .allocate(capacity: Self.inputSize)
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        input?.deallocate()
        carry.deallocate()
        close(fd)
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }

    // MARK: Raw text

    /// Reads up to `max` bytes of text into `destination`; 0 at the end of the text.
    private func readText(_ destination: UnsafeMutablePointer<UInt8>, _ max: Int) throws -> Int {
        if rawEOF || max == 0 { return 0 }
        let n = isGzip ? try inflateText(destination, max) : try readPlain(destination, max)
        if n == 0 { rawEOF = true }
        textBytes += n
        return n
    }

    private func readPlain(_ destination: UnsafeMutablePointer<UInt8>, _ max: Int) throws -> Int {
        if !prefix.isEmpty {
            let n = min(max, prefix.count)
            destination.update(from: prefix, count: n)
            prefix.removeFirst(n)
            return n
        }
        var total = 0
        while total < max {
            let n = read(fd, destination + total, max - total)
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.readFailed(path: path, reason: Self.systemError())
            }
            if n == 0 { break }
            total += n
            fileBytes += n
        }
        return total
    }

    /// Fills zlib's input buffer; false at the end of the file.
    private func refill(_ s: UnsafeMutablePointer<z_stream>) throws -> Bool {
        guard let input else { return false }
        var n = 0
        if !prefix.isEmpty {
            n = prefix.count
            input.update(from: prefix, count: n)
            prefix.removeAll()
        }
        while n < Self.inputSize && !inputEOF {
            let r = read(fd, input + n, Self.inputSize - n)
            if r < 0 {
                if errno == EINTR { continue }
                throw IOError.readFailed(path: path, reason: Self.systemError())
            }
            if r == 0 { inputEOF = true; break }
            n += r
            fileBytes += r
        }
        s.pointee.next_in = input
        s.pointee.avail_in = UInt32(n)
        return n > 0
    }

    private func inflateText(_ destination: UnsafeMutablePointer<UInt8>, _ max: Int) throws -> Int {
        guard let s = stream, !streamEnded else { return 0 }
        s.pointee.next_out = destination
        s.pointee.avail_out = UInt32(min(max, Int(UInt32.max)))
        let want = Int(s.pointee.avail_out)
        while s.pointee.avail_out > 0 {
            if s.pointee.avail_in == 0 && !inputEOF { _ = try refill(s) }
            let before = s.pointee.avail_out
            let status = inflate(s, Z_NO_FLUSH)
            if status == Z_STREAM_END {
                // Another gzip member may follow (as `cat a.gz b.gz` makes).
                if s.pointee.avail_in == 0, try !refill(s) {
                    streamEnded = true
                    break
                }
                inflateReset(s)
                continue
            }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                let message = s.pointee.msg.map { String(cString: $0) } ?? "code \(status)"
                throw IOError.readFailed(path: path, reason: "corrupt gzip data (\(message))")
            }
            if s.pointee.avail_in == 0 && inputEOF && s.pointee.avail_out == before {
                throw IOError.readFailed(path: path, reason: "the gzip data end early (truncated file?)")
            }
        }
        return want - Int(s.pointee.avail_out)
    }

    /// The last gzip member has ended and no input follows.
    private var streamEnded = false

    // MARK: Lines

    /// Reads up to `count` more bytes into the carry.
    private func readIntoCarry(_ count: Int) throws -> Int {
        if carryCount + count > carryCapacity {
            var c = carryCapacity
            while c < carryCount + count { c *= 2 }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c + 32)
            bigger.update(from: carry, count: carryCount)
            carry.deallocate()
            carry = bigger
            carryCapacity = c
        }
        let n = try readText(carry + carryCount, count)
        carryCount += n
        return n
    }

    /// The header: the first non-blank line (a leading byte-order mark removed), without its line
    /// end, and its 1-based line number; nil if the file has no non-blank line.
    package func readHeader() throws -> (text: [UInt8], line: Int)? {
        var line = 1
        var first = true
        while true {
            var newline = memchr(carry, 0x0A, carryCount).map { $0.assumingMemoryBound(to: UInt8.self) }
            while newline == nil {
                let searched = carryCount
                if searched > lineLimit { throw IOError.lineTooLong(path: path, line: line, limit: lineLimit) }
                if try readIntoCarry(1 << 16) == 0 { break }
                newline = memchr(carry + searched, 0x0A, carryCount - searched).map { $0.assumingMemoryBound(to: UInt8.self) }
            }
            if first {
                first = false
                if carryCount >= 3 && carry[0] == 0xEF && carry[1] == 0xBB && carry[2] == 0xBF {
                    consumeCarry(3)
                    newline = newline.map { $0 - 3 }
                }
            }
            if carryCount == 0 { return nil }
            let lineEnd = newline.map { $0 - carry } ?? carryCount
            var textEnd = lineEnd
            if textEnd > 0 && carry[textEnd - 1] == 0x0D { textEnd -= 1 }
            let text = Array(UnsafeBufferPointer(start: carry, count: textEnd))
            consumeCarry(min(lineEnd + 1, carryCount))
            if text.isEmpty { line += 1; continue }
            return (text, line)
        }
    }

    private func consumeCarry(_ n: Int) {
        carryCount -= n
        if carryCount > 0 { carry.update(from: carry + n, count: carryCount) }
    }

    /// Fills `block` with the next whole lines: those that end within `blockSize` bytes of the
    /// block's start (more if the first line is longer). A final line without a line end gets one.
    ///
    /// Block boundaries depend only on the text and `blockSize`, not on how the bytes arrive
    /// (plain or gzip, pipe or file), so a file gives the same blocks in every form.
    ///
    /// - Returns: False when the text is exhausted.
    package func nextBlock(_ block: LineBlock, blockSize: Int) throws -> Bool {
        block.reserve(max(carryCount, blockSize) + 1, keep: 0)
        block.bytes.update(from: carry, count: carryCount)
        var filled = carryCount
        carryCount = 0
        var limit = blockSize
        var searchFrom = 0
        while true {
            while filled < limit {
                let n = try readText(block.bytes + filled, limit - filled)
                if n == 0 { break }
                filled += n
            }
            if filled < limit {
                // End of text: the rest is the block.
                if filled == 0 { block.count = 0; return false }
                if searchFrom > 0 && filled > lineLimit {
                    // The first line was longer than a block: it may also be longer than the limit.
                    let hit = memchr(block.bytes + searchFrom, 0x0A, filled - searchFrom)
                    let firstLine = hit.map { $0.assumingMemoryBound(to: UInt8.self) - block.bytes } ?? filled
                    if firstLine > lineLimit { throw IOError.lineTooLong(path: path, line: nil, limit: lineLimit) }
                }
                if block.bytes[filled - 1] != 0x0A {
                    block.bytes[filled] = 0x0A
                    filled += 1
                }
                block.count = filled
                return true
            }
            if let hit = lastLineFeed(block.bytes + searchFrom, limit - searchFrom) {
                let end = hit - block.bytes + 1
                let rest = filled - end
                if rest > carryCapacity {
                    carry.deallocate()
                    carryCapacity = rest
                    carry = .allocate(capacity: rest + 32)
                }
                carry.update(from: block.bytes + end, count: rest)
                carryCount = rest
                block.count = end
                return true
            }
            // The first line is longer than the block: read on (up to the line limit; the caller
            // knows the line number and adds it).
            if limit > lineLimit { throw IOError.lineTooLong(path: path, line: nil, limit: lineLimit) }
            searchFrom = limit
            limit += blockSize
            block.reserve(max(limit, filled) + 1, keep: filled)
        }
    }
}

/// The last `\n` in the `count` bytes at `p`, searching backwards eight bytes at a time.
private func lastLineFeed(_ p: UnsafeMutablePointer<UInt8>, _ count: Int) -> UnsafeMutablePointer<UInt8>? {
    var q = p + count
    while q - p >= 8 {
        q -= 8
        let w = UInt64(littleEndian: UnsafeRawPointer(q).loadUnaligned(as: UInt64.self)) ^ 0x0A0A_0A0A_0A0A_0A0A
        // Exact per-byte zero test (no borrow between bytes): high bit set where a byte is zero.
        let zero = ~(((w & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | w | 0x7F7F_7F7F_7F7F_7F7F)
        if zero != 0 { return q + (7 - zero.leadingZeroBitCount >> 3) }
    }
    while q > p {
        q -= 1
        if q.pointee == 0x0A { return q }
    }
    return nil
}
