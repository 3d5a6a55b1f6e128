import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RetainCore
import RetainIO

// Reading a feature table from CSV.
//
// Format: RFC 4180 with a header line. Accepted: an optional UTF-8 byte-order mark, `\n` or `\r\n`
// line endings, a missing final newline, blank lines (skipped anywhere), double-quoted fields with
// `""` for a quote (quoted fields may contain commas and newlines). Spaces and tabs around a numeric
// cell or a header name are ignored; id cells are kept exactly as written. A double quote inside an
// unquoted field, or text after a closing quote, is an error.
//
// Numeric cells: `[+-]? digits [. digits] [e [+-] digits]` (also `.5` and `5.`), parsed to the
// correctly rounded double. `nan`, `inf`, hexadecimal and out-of-range decimals are rejected; empty
// cells are an error unless `allowMissing`, which makes them NaN.
//
// Speed: the file is memory-mapped; inputs over 2 MiB are cut into up to 64 pieces at line ends
// outside quotes (found from quote-count parity) and parsed on several threads into one
// preallocated array. Pieces are combined in file order, so the table, and the first error
// reported, do not depend on the thread count. About 650–750 MB/s on 2 cores for 6-decimal data.
// Full-precision cells (16–17 significant digits, as `retain` writes them) take NumberParser's
// Eisel–Lemire path rather than strtod: a 286 MB, 67-column table of them reads in about 1.0 s
// (1.2–1.4 s through strtod).

extension FeatureTable {
    /// Reads a feature table from a CSV file.
    ///
    /// - Parameters:
    ///   - path: The file; it appears in error messages as given.
    ///   - idColumn: A column of customer ids kept as text in `ids` (never shown in errors). Default none.
    ///   - columns: The numeric columns to keep, in this order; other columns are ignored. Default: every
    ///     column except the id column, in file order.
    ///   - allowMissing: Read empty numeric cells as NaN instead of throwing. Default false.
    /// - Returns: The table; `source` is `path`.
    /// - Throws: `IngestError` naming the file, line and column of the first problem.
    /// - Complexity: O(file size); parses on up to `RETAIN_THREADS` (default: all cores) threads.
    public static func readCSV(
        path: String, idColumn: String? = nil, columns: [String]? = nil, allowMissing: Bool = false
    ) throws -> FeatureTable {
        let options = CSVReadOptions(idColumn: idColumn, columns: columns, allowMissing: allowMissing)
        return try withFileBytes(path: path) { try parse($0, fileName: path, options: options) }
    }

    /// Parses CSV bytes held in memory (see ``readCSV(path:idColumn:columns:allowMissing:)``).
    ///
    /// - Parameter fileName: The name used in error messages and as `source`.
    public static func parseCSV(
        _ bytes: some ContiguousBytes, fileName: String,
        idColumn: String? = nil, columns: [String]? = nil, allowMissing: Bool = false
    ) throws -> FeatureTable {
        let options = CSVReadOptions(idColumn: idColumn, columns: columns, allowMissing: allowMissing)
        return try bytes.withUnsafeBytes { try parse($0, fileName: fileName, options: options) }
    }
}

/// How `FeatureTable.forEachBlock` cut a file, given before the first block.
public struct FeatureBlockPlan: Sendable {
    /// Number of blocks.
    public var blockCount: Int
    /// Line ends in the data: an upper bound on its rows.
    public var maximumRows: Int
}

/// Consecutive rows of a CSV feature table, as `FeatureTable.forEachBlock` hands them over.
public struct FeatureRowBlock {
    /// The block's place in file order (0-based).
    public var index: Int
    /// Line ends in the data before this block (an upper bound on the rows before it).
    public var linesBefore: Int
    /// Rows in this block.
    public var rowCount: Int
    /// Row-major values, `rowCount` × the requested columns; only valid during the call.
    public var values: UnsafeBufferPointer<Double>
    /// The id column's cells, when an id column was named.
    public var ids: [String]?
}

extension FeatureTable {
    /// Streams a CSV feature table block by block instead of holding it whole.
    ///
    /// The data are cut into blocks of about `blockBytes` at record boundaries; each worker thread
    /// parses a block into its own reused buffer and calls `body` with it, so memory stays at a few
    /// blocks whatever the file size. `body` runs on several threads at once and blocks arrive out of
    /// order (`index` gives the order). Same format, checks and messages as `readCSV`.
    ///
    /// - Parameters:
    ///   - plan: Called once, before any block, with the number of blocks and a bound on the rows.
    ///   - body: Called once per non-empty block.
    /// - Returns: The number of data rows.
    /// - Throws: `IngestError` for the first problem in file order, after every block was read
    ///   (so `body` may have seen later blocks: discard what it built), or what `plan` throws.
    @discardableResult
    public static func forEachBlock(
        path: String, idColumn: String? = nil, columns: [String]? = nil, allowMissing: Bool = false, blockBytes: Int = 1 << 18,
        plan: (FeatureBlockPlan) throws -> Void, body: (FeatureRowBlock) -> Void
    ) throws -> Int {
        let options = CSVReadOptions(idColumn: idColumn, columns: columns, allowMissing: allowMissing)
        return try withFileBytes(path: path) { buffer in
            try streamBlocks(buffer, fileName: path, options: options, blockBytes: blockBytes, plan: plan, body: body)
        }
    }

    /// Reads just the header names of a CSV file (the first non-blank line).
    ///
    /// - Throws: `IngestError.cannotRead`, `.empty`, `.badQuotes`.
    public static func readHeader(path: String) throws -> [String] {
        let (fd, info) = try openForReading(path)
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        // Enough for the header: up to the first line end outside quotes that follows a non-blank
        // line. The scan resumes where the last chunk ended; a line over the limit is an error.
        var quotes = 0, sawText = false, done = false, scanned = 0, lineStart = 0, line = 1
        while !done {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IngestError.cannotRead(file: path, reason: systemError())
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            while scanned < bytes.count {
                let c = bytes[scanned]
                scanned += 1
                if c == quote { quotes += 1 }
                if c == lineFeed {
                    if quotes & 1 == 0 && sawText { done = true; break }
                    lineStart = scanned
                    line += 1
                } else if c != carriageReturn {
                    sawText = true
                }
            }
            if !done && scanned - lineStart > maximumLineLength {
                throw IOError.lineTooLong(path: path, line: line, limit: maximumLineLength)
            }
        }
        return try bytes.withUnsafeBytes { try layout($0, fileName: path, options: CSVReadOptions()).header }
    }

    /// The longest physical line accepted in a feature table's header, and in a table read from a
    /// pipe or device (see `LineSource.maximumLineLength`).
    static var maximumLineLength: Int { LineSource.maximumLineLength }

    fileprivate static func streamBlocks(
        _ buffer: UnsafeRawBufferPointer, fileName: String, options: CSVReadOptions, blockBytes: Int,
        plan: (FeatureBlockPlan) throws -> Void, body: (FeatureRowBlock) -> Void
    ) throws -> Int {
        let layout = try layout(buffer, fileName: fileName, options: options)
        let width = layout.outputNames.count
        let keepIds = options.idColumn != nil
        let dataCount = layout.end - layout.dataStart
        let chunkCount = max(1, min(options.chunkCount ?? max(1, dataCount / max(1, blockBytes)), max(1, dataCount)))
        let threads = max(1, options.threadCount ?? Parallel.threadCount)
        let chunks = splitIntoChunks(layout.dataStart, layout.end, count: chunkCount, threads: threads)
        var capacity = [Int](repeating: 0, count: chunks.count)
        var linesBefore = [Int](repeating: 0, count: chunks.count)
        var lines = 0
        for k in chunks.indices {
            capacity[k] = chunks[k].newlines + (chunks[k].end > chunks[k].start && chunks[k].end[-1] != lineFeed ? 1 : 0)
            linesBefore[k] = lines
            lines += chunks[k].newlines
        }
        try plan(FeatureBlockPlan(blockCount: chunks.count, maximumRows: capacity.reduce(0, +)))
        let workers = min(threads, chunks.count)
        let largest = max(1, capacity.max() ?? 1)
        let buffers = (0..<workers).map { _ in UnsafeMutableBufferPointer<Double>.allocate(capacity: largest * max(width, 1)) }
        defer { for b in buffers { b.deallocate() } }
        var outcomes = [(rows: Int, failure: ChunkFailure?)](repeating: (0, nil), count: chunks.count)
        let allowMissing = options.allowMissing
        outcomes.withUnsafeMutableBufferPointer { results in
            nonisolated(unsafe) let results = results
            layout.roles.withUnsafeBufferPointer { roles in
                nonisolated(unsafe) let roles = roles
                forEachChunk(chunks.count, threads: workers) { worker, k in
                    let out = buffers[worker]
                    let outcome = parseChunk(chunks[k].start, chunks[k].end, roles: roles, width: width, out: out.baseAddress,
                                             capacity: capacity[k], keepIds: keepIds, allowMissing: allowMissing)
                    results[k] = (outcome.rows, outcome.failure)
                    guard outcome.failure == nil, outcome.rows > 0 else { return }
                    body(FeatureRowBlock(index: k, linesBefore: linesBefore[k], rowCount: outcome.rows,
                                         values: UnsafeBufferPointer(start: out.baseAddress, count: outcome.rows * width),
                                         ids: keepIds ? outcome.ids : nil))
                }
            }
        }
        var lineBeforeChunk = layout.headerLines
        for k in chunks.indices {
            if let failure = outcomes[k].failure {
                throw error(failure, line: lineBeforeChunk + failure.line + 1, header: layout.header, fileName: fileName)
            }
            lineBeforeChunk += chunks[k].newlines
        }
        let rows = outcomes.reduce(0) { $0 + $1.rows }
        guard rows > 0 else { throw IngestError.empty(file: fileName) }
        return rows
    }
}

/// Reader settings; `chunkCount` and `threadCount` exist so tests can force chunked parsing.
struct CSVReadOptions {
    var idColumn: String?
    var columns: [String]?
    var allowMissing = false
    /// Number of pieces the data is cut into (nil: about one per MiB, at most 64). Output does not depend on it.
    var chunkCount: Int?
    /// Threads that parse the pieces (nil: `RETAIN_THREADS` or the number of cores).
    var threadCount: Int?
}

// MARK: - File access

extension FeatureTable {
    /// Opens `path` for reading with its `stat`; a directory or an unreadable path is an error
    /// naming the file.
    static func openForReading(_ path: String) throws -> (fd: Int32, info: stat) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw IngestError.cannotRead(file: path, reason: systemError()) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = systemError()
            close(fd)
            throw IngestError.cannotRead(file: path, reason: reason)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw IngestError.cannotRead(file: path, reason: "it is a directory")
        }
        return (fd, info)
    }

    /// Calls `body` with the whole file's bytes: memory-mapped for a regular file, read otherwise.
    static func withFileBytes<R>(path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let (fd, info) = try openForReading(path)
        defer { close(fd) }
        let size = Int(info.st_size)
        if (info.st_mode & S_IFMT) == S_IFREG && size > 0 {
            #if canImport(Glibc)
            let flags = MAP_PRIVATE | MAP_POPULATE
            #else
            let flags = MAP_PRIVATE
            #endif
            if let map = mmap(nil, size, PROT_READ, flags, fd, 0), map != MAP_FAILED {
                defer { munmap(map, size) }
                return try body(UnsafeRawBufferPointer(start: map, count: size))
            }
        }
        // Pipes, special files, or mmap refused: read to the end, stopping at a line over the limit
        // (a device such as /dev/zero would otherwise fill memory).
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 1 << 20)
        var lastLineEnd = 0   // offset after the last line feed read
        while true {
            let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IngestError.cannotRead(file: path, reason: systemError())
            }
            if n == 0 { break }
            let last = block[0..<n].lastIndex(of: lineFeed)
            if let last { lastLineEnd = bytes.count + last + 1 }
            bytes.append(contentsOf: block[0..<n])
            if bytes.count - lastLineEnd > maximumLineLength {
                let line = 1 + bytes[0..<lastLineEnd].reduce(0) { $0 + ($1 == lineFeed ? 1 : 0) }
                throw IOError.lineTooLong(path: path, line: line, limit: maximumLineLength)
            }
        }
        return try bytes.withUnsafeBytes(body)
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}

// MARK: - Parsing

private let comma = UInt8(ascii: ",")
private let lineFeed = UInt8(ascii: "\n")
private let carriageReturn = UInt8(ascii: "\r")
private let quote = UInt8(ascii: "\"")

/// What ended a field.
private enum Terminator { case comma, newline, end }

/// A field's text: a slice of the input, or an unescaped copy when it contained `""`.
private enum FieldText {
    case slice(UnsafePointer<UInt8>, Int)
    case copy([UInt8])

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch self {
        case let .slice(start, count): return body(UnsafeBufferPointer(start: start, count: count))
        case let .copy(bytes): return bytes.withUnsafeBufferPointer(body)
        }
    }

    var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }
}

/// What each file column becomes.
private enum ColumnRole: Equatable {
    case ignored, id
    case value(Int)  // index of the output column
}

/// The first problem in a chunk; `line` is 0-based from the chunk's start.
private struct ChunkFailure {
    enum Kind { case notANumber(CellShape), notFinite(CellShape), emptyCell, badQuotes, fieldCount(Int) }
    var kind: Kind
    var line: Int
    var column: Int  // file column index
}

private struct ChunkOutcome {
    var rows = 0
    var ids: [String] = []
    var failure: ChunkFailure?
}

extension FeatureTable {
    /// The header line and what each column becomes.
    fileprivate struct Layout {
        var header: [String]
        var roles: [ColumnRole]
        var outputNames: [String]
        var dataStart: UnsafePointer<UInt8>
        var end: UnsafePointer<UInt8>
        var headerLines: Int
    }

    /// Reads the header (the first non-blank line, after an optional byte-order mark) and assigns column roles.
    fileprivate static func layout(_ buffer: UnsafeRawBufferPointer, fileName: String, options: CSVReadOptions) throws -> Layout {
        guard let raw = buffer.baseAddress, buffer.count > 0 else { throw IngestError.empty(file: fileName) }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        let end = base + buffer.count
        var p = base
        if buffer.count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { p += 3 }

        // Header: the first non-blank line.
        var line = 0
        while p < end {
            if p.pointee == lineFeed {
                p += 1
            } else if p.pointee == carriageReturn && (p + 1 == end || p[1] == lineFeed) {
                p += min(2, end - p)
            } else {
                break
            }
            line += 1
        }
        guard p < end else { throw IngestError.empty(file: fileName) }
        if end - p > maximumLineLength && memchr(p, Int32(lineFeed), maximumLineLength + 1) == nil {
            throw IOError.lineTooLong(path: fileName, line: line + 1, limit: maximumLineLength)
        }
        var header: [String] = []
        while true {
            let fieldLine = line
            guard let (text, terminator) = readField(&p, end, &line) else {
                throw IngestError.badQuotes(file: fileName, line: fieldLine + 1, column: "#\(header.count + 1) of the header")
            }
            header.append(text.withBytes { String(decoding: trimmed($0), as: UTF8.self) })
            if terminator != .comma {
                if terminator == .newline { line += 1 }
                break
            }
        }
        let roles = try assignRoles(header: header, fileName: fileName, options: options)
        let outputNames: [String] = options.columns ?? header.enumerated().compactMap { i, name in
            roles[i] == .id ? nil : name
        }
        return Layout(header: header, roles: roles, outputNames: outputNames, dataStart: p, end: end, headerLines: line)
    }

    static func parse(_ buffer: UnsafeRawBufferPointer, fileName: String, options: CSVReadOptions) throws -> FeatureTable {
        let layout = try layout(buffer, fileName: fileName, options: options)
        let header = layout.header, roles = layout.roles, outputNames = layout.outputNames
        let dataStart = layout.dataStart, end = layout.end, headerLines = layout.headerLines
        let width = outputNames.count
        let keepIds = options.idColumn != nil

        // Cut the data into chunks at record boundaries, count lines per chunk (an upper bound on rows).
        let dataCount = end - dataStart
        let chunkCount = max(1, min(options.chunkCount ?? min(64, dataCount >> 20), max(1, dataCount)))
        let threads = max(1, options.threadCount ?? Parallel.threadCount)
        let chunks = splitIntoChunks(dataStart, end, count: chunkCount, threads: threads)
        var rowOffset = [Int](repeating: 0, count: chunks.count + 1)
        for k in chunks.indices {
            // A piece that does not end in a newline ends the data: its last record has no line end.
            var capacity = chunks[k].newlines
            if chunks[k].end > chunks[k].start && chunks[k].end[-1] != lineFeed { capacity += 1 }
            rowOffset[k + 1] = rowOffset[k] + capacity
        }

        var outcomes = [ChunkOutcome](repeating: ChunkOutcome(), count: chunks.count)
        let allowMissing = options.allowMissing
        let values = [Double](unsafeUninitializedCapacity: rowOffset[chunks.count] * width) { out, initialized in
            nonisolated(unsafe) let out = out
            outcomes.withUnsafeMutableBufferPointer { outcomesBuffer in
                nonisolated(unsafe) let results = outcomesBuffer
                roles.withUnsafeBufferPointer { rolesBuffer in
                    nonisolated(unsafe) let roles = rolesBuffer
                    forEachChunk(chunks.count, threads: threads) { k in
                        let capacity = rowOffset[k + 1] - rowOffset[k]
                        results[k] = parseChunk(
                            chunks[k].start, chunks[k].end, roles: roles, width: width,
                            out: out.baseAddress.map { $0 + rowOffset[k] * width }, capacity: capacity,
                            keepIds: keepIds, allowMissing: allowMissing)
                    }
                }
            }
            // Close the gaps left by blank lines and quoted newlines, in chunk order.
            var rows = 0
            for k in chunks.indices where outcomes[k].failure == nil {
                let n = outcomes[k].rows
                if rows != rowOffset[k] && n > 0, let base = out.baseAddress {
                    (base + rows * width).update(from: base + rowOffset[k] * width, count: n * width)
                }
                rows += n
            }
            initialized = outcomes.contains { $0.failure != nil } ? 0 : rows * width
        }

        var lineBeforeChunk = headerLines
        for k in chunks.indices {
            if let failure = outcomes[k].failure {
                throw error(failure, line: lineBeforeChunk + failure.line + 1, header: header, fileName: fileName)
            }
            lineBeforeChunk += chunks[k].newlines
        }
        let rowCount = outcomes.reduce(0) { $0 + $1.rows }
        guard rowCount > 0 else { throw IngestError.empty(file: fileName) }
        let ids: [String]? = keepIds ? outcomes.flatMap(\.ids) : nil
        return FeatureTable(columnNames: outputNames, values: values, rowCount: rowCount, ids: ids, source: fileName)
    }

    /// Maps each header column to the id, an output column, or nothing; checks the requested names.
    private static func assignRoles(header: [String], fileName: String, options: CSVReadOptions) throws -> [ColumnRole] {
        var firstIndex: [String: Int] = [:]
        var duplicated = Set<String>()
        for (i, name) in header.enumerated() {
            if firstIndex[name] == nil { firstIndex[name] = i } else { duplicated.insert(name) }
        }
        func index(of name: String) throws -> Int {
            guard let i = firstIndex[name] else {
                throw IngestError.missingColumn(file: fileName, column: name, available: header)
            }
            guard !duplicated.contains(name) else { throw IngestError.duplicateColumn(file: fileName, column: name) }
            return i
        }
        var roles = [ColumnRole](repeating: .ignored, count: header.count)
        if let id = options.idColumn { roles[try index(of: id)] = .id }
        if let columns = options.columns {
            for (j, name) in columns.enumerated() {
                let i = try index(of: name)
                switch roles[i] {
                case .id: throw IngestError.idColumnSelected(file: fileName, column: name)
                case .value: throw IngestError.duplicateColumn(file: fileName, column: name)
                case .ignored: roles[i] = .value(j)
                }
            }
        } else {
            var j = 0
            for i in header.indices where roles[i] != .id {
                if duplicated.contains(header[i]) { throw IngestError.duplicateColumn(file: fileName, column: header[i]) }
                roles[i] = .value(j)
                j += 1
            }
        }
        return roles
    }

    fileprivate static func error(_ failure: ChunkFailure, line: Int, header: [String], fileName: String) -> IngestError {
        let column = header[failure.column]
        switch failure.kind {
        case let .notANumber(cell): return .notANumber(file: fileName, line: line, column: column, cell: cell)
        case let .notFinite(cell): return .notFinite(file: fileName, line: line, column: column, cell: cell)
        case .emptyCell: return .emptyCell(file: fileName, line: line, column: column)
        case .badQuotes: return .badQuotes(file: fileName, line: line, column: column)
        case let .fieldCount(found): return .fieldCount(file: fileName, line: line, found: found, expected: header.count)
        }
    }
}

// MARK: - Chunks

private struct Chunk {
    var start: UnsafePointer<UInt8>
    var end: UnsafePointer<UInt8>
    var newlines: Int
}

/// Cuts `start..<end` (which begins at a record start) into `count` pieces that each begin at a record start.
///
/// One parallel pass counts newlines and quotes in equal byte ranges; the quote count's parity tells
/// whether a range begins inside a quoted field, and each cut moves forward to just after the next
/// newline outside quotes. Cuts depend only on the bytes and `count`, never on the thread count.
private func splitIntoChunks(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, count: Int, threads: Int) -> [Chunk] {
    let total = end - start
    if count == 1 {
        return [Chunk(start: start, end: end, newlines: countBytes(start, end).newlines)]
    }
    let naive = (0...count).map { start + total * $0 / count }
    var counts = [(newlines: Int, quotes: Int)](repeating: (0, 0), count: count)
    counts.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let buffer = buffer
        forEachChunk(count, threads: threads) { k in buffer[k] = countBytes(naive[k], naive[k + 1]) }
    }
    // cuts[k] and the newlines in naive[k]..<cuts[k]
    var cuts: [UnsafePointer<UInt8>] = [start]
    var skipped = [0]
    var quotesBefore = 0
    for k in 1..<count {
        quotesBefore += counts[k - 1].quotes
        var inQuotes = quotesBefore & 1 == 1
        var p = naive[k]
        var newlines = 0
        while p < end {
            let c = p.pointee
            p += 1
            if c == quote {
                inQuotes.toggle()
            } else if c == lineFeed {
                newlines += 1
                if !inQuotes { break }
            }
        }
        if p < cuts[k - 1] {
            // Only with malformed quoting: keep the cuts in order.
            p = cuts[k - 1]
            newlines = countBytes(naive[k], p).newlines
        }
        cuts.append(p)
        skipped.append(newlines)
    }
    cuts.append(end)
    skipped.append(0)
    // Newlines before cut k = newlines before naive[k] + skipped[k].
    var chunks: [Chunk] = []
    var before = 0  // newlines before naive[k]
    for k in 0..<count {
        let atCut = before + skipped[k]
        let nextBefore = before + counts[k].newlines
        chunks.append(Chunk(start: cuts[k], end: cuts[k + 1], newlines: nextBefore + skipped[k + 1] - atCut))
        before = nextBefore
    }
    return chunks
}

/// Newlines and double quotes in `start..<end` (glibc's vectorised `memchr`; lines are long).
private func countBytes(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (newlines: Int, quotes: Int) {
    func count(_ byte: UInt8) -> Int {
        var n = 0
        var p = UnsafeRawPointer(start)
        let stop = UnsafeRawPointer(end)
        while p < stop, let hit = memchr(p, Int32(byte), stop - p) {
            n += 1
            p = UnsafeRawPointer(hit) + 1
        }
        return n
    }
    return (count(lineFeed), count(quote))
}

/// Runs `body(k)` for k in `0..<count` on up to `threads` workers (RetainCore's parallel helper).
private func forEachChunk(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    Parallel.forEachIndexed(count, threads: threads) { k, _ in body(k) }
}

/// Runs `body(worker, k)` for k in `0..<count` on up to `threads` workers (numbered from 0).
private func forEachChunk(_ count: Int, threads: Int, _ body: (_ worker: Int, _ k: Int) -> Void) {
    Parallel.forEachIndexed(count, threads: threads) { k, worker in body(worker, k) }
}

// MARK: - Fields and records

/// Spaces and tabs removed from both ends.
private func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    var lo = 0, hi = bytes.count
    while lo < hi && (bytes[lo] == 0x20 || bytes[lo] == 0x09) { lo += 1 }
    while hi > lo && (bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09) { hi -= 1 }
    return UnsafeBufferPointer(rebasing: bytes[lo..<hi])
}

/// Reads one field at `p` and moves `p` past its terminator; adds quoted newlines to `line`.
///
/// - Returns: nil on a quote problem (unterminated, inside an unquoted field, or followed by text).
@inline(never)
private func readField(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ line: inout Int) -> (FieldText, Terminator)? {
    if p < end && p.pointee == quote {
        let contentStart = p + 1
        var q = contentStart
        var escaped = false
        while true {
            while q < end && q.pointee != quote {
                if q.pointee == lineFeed { line += 1 }
                q += 1
            }
            guard q < end else { return nil }  // unterminated
            if q + 1 < end && q[1] == quote { escaped = true; q += 2; continue }
            break
        }
        let contentEnd = q
        q += 1
        while q < end && (q.pointee == 0x20 || q.pointee == 0x09) { q += 1 }
        let terminator: Terminator
        if q == end {
            terminator = .end
        } else if q.pointee == comma {
            terminator = .comma; q += 1
        } else if q.pointee == lineFeed {
            terminator = .newline; q += 1
        } else if q.pointee == carriageReturn && (q + 1 == end || q[1] == lineFeed) {
            terminator = .newline; q += min(2, end - q)
        } else {
            return nil
        }
        p = q
        let count = contentEnd - contentStart
        if !escaped { return (.slice(contentStart, count), terminator) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        var i = contentStart
        while i < contentEnd {
            bytes.append(i.pointee)
            i += i.pointee == quote ? 2 : 1
        }
        return (.copy(bytes), terminator)
    }
    let start = p
    var q = p
    while q < end {
        let c = q.pointee
        if c == comma || c == lineFeed { break }
        if c == quote { return nil }
        q += 1
    }
    var contentEnd = q
    let terminator: Terminator
    if q == end {
        terminator = .end
    } else {
        terminator = q.pointee == comma ? .comma : .newline
        q += 1
    }
    if terminator != .comma && contentEnd > start && contentEnd[-1] == carriageReturn { contentEnd -= 1 }
    p = q
    return (.slice(start, contentEnd - start), terminator)
}

private enum NumberCell {
    case value(Double, Terminator)
    case failure(ChunkFailure.Kind)
}

/// The slow path for a numeric cell: quotes, spaces, empty cells, errors.
@inline(never)
private func readNumberField(
    _ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ line: inout Int, allowMissing: Bool
) -> NumberCell {
    guard let (text, terminator) = readField(&p, end, &line) else { return .failure(.badQuotes) }
    return text.withBytes { bytes in
        let cell = trimmed(bytes)
        guard let s = cell.baseAddress, cell.count > 0 else {
            return allowMissing ? .value(.nan, terminator) : .failure(.emptyCell)
        }
        if let (value, next) = NumberParser.scan(s, s + cell.count), next == s + cell.count {
            return value.isFinite ? .value(value, terminator) : .failure(.notFinite(CellShape(bytes: bytes)))
        }
        let shape = CellShape(bytes: bytes)
        return NumberParser.isNonFiniteName(cell) ? .failure(.notFinite(shape)) : .failure(.notANumber(shape))
    }
}

/// The first `,` or `\n` at or after `p`, or `end`: eight bytes at a time (SWAR zero-byte test; the
/// lowest flagged byte is exact).
@inline(__always)
private func findSeparator(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
    @inline(__always) func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }
    var q = p
    while end - q >= 8 {
        let word = UInt64(littleEndian: UnsafeRawPointer(q).loadUnaligned(as: UInt64.self))
        let hits = zeroBytes(word ^ 0x2C2C_2C2C_2C2C_2C2C) | zeroBytes(word ^ 0x0A0A_0A0A_0A0A_0A0A)
        if hits != 0 { return q + (hits.trailingZeroBitCount >> 3) }
        q += 8
    }
    while q < end && q.pointee != comma && q.pointee != lineFeed { q += 1 }
    return q
}

/// Parses the records in `start..<end` into `out` (row-major, `capacity` rows at most).
///
/// - Complexity: O(end − start). The common cell (a plain number followed by `,` or a line end) takes
///   the inlined fast path; everything else goes through `readField`.
@inline(never)
private func parseChunk(
    _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, roles: UnsafeBufferPointer<ColumnRole>, width: Int,
    out: UnsafeMutablePointer<Double>?, capacity: Int, keepIds: Bool, allowMissing: Bool
) -> ChunkOutcome {
    var outcome = ChunkOutcome()
    if keepIds { outcome.ids.reserveCapacity(capacity) }
    let fieldCount = roles.count
    var p = start
    var line = 0
    var rows = 0
    func fail(_ kind: ChunkFailure.Kind, _ line: Int, _ column: Int) -> ChunkOutcome {
        outcome.rows = rows
        outcome.failure = ChunkFailure(kind: kind, line: line, column: column)
        return outcome
    }
    while p < end {
        // Blank lines are skipped.
        let first = p.pointee
        if first == lineFeed { p += 1; line += 1; continue }
        if first == carriageReturn && (p + 1 == end || p[1] == lineFeed) { p += min(2, end - p); line += 1; continue }
        precondition(rows < capacity, "more records than line ends in a chunk")
        let row = out.map { $0 + rows * width }
        let recordLine = line
        var column = 0
        var terminator = Terminator.end
        while true {
            let fieldLine = line
            switch roles[column] {
            case let .value(j):
                // Fast path: the field is exactly one number. The field's end is found apart from the
                // number so the next field's start does not wait on the digit arithmetic.
                let fieldEnd = findSeparator(p, end)
                var parsed = false
                if fieldEnd == p && allowMissing && p < end && p.pointee == comma {
                    // An empty cell before a comma: missing.
                    row.unsafelyUnwrapped[j] = .nan
                    parsed = true
                    terminator = .comma; p += 1
                } else if let (value, q) = NumberParser.scan(p, end), value.isFinite,
                   q == fieldEnd || (q.pointee == carriageReturn && q + 1 == fieldEnd && fieldEnd < end) {
                    row.unsafelyUnwrapped[j] = value
                    parsed = true
                    if fieldEnd == end {
                        terminator = .end; p = end
                    } else {
                        terminator = fieldEnd.pointee == comma ? .comma : .newline; p = fieldEnd + 1
                    }
                }
                if !parsed {
                    switch readNumberField(&p, end, &line, allowMissing: allowMissing) {
                    case let .value(value, t):
                        row.unsafelyUnwrapped[j] = value
                        terminator = t
                    case let .failure(kind):
                        return fail(kind, fieldLine, column)
                    }
                }
            case .id:
                guard let (text, t) = readField(&p, end, &line) else { return fail(.badQuotes, fieldLine, column) }
                outcome.ids.append(text.string)
                terminator = t
            case .ignored:
                guard let (_, t) = readField(&p, end, &line) else { return fail(.badQuotes, fieldLine, column) }
                terminator = t
            }
            if terminator != .comma { break }
            column += 1
            if column == fieldCount {
                // Too many fields: count them for the message.
                var found = fieldCount + 1
                var scratchLine = line
                while let (_, t) = readField(&p, end, &scratchLine), t == .comma { found += 1 }
                return fail(.fieldCount(found), recordLine, 0)
            }
        }
        if column != fieldCount - 1 { return fail(.fieldCount(column + 1), recordLine, 0) }
        if terminator == .newline { line += 1 }
        rows += 1
    }
    outcome.rows = rows
    return outcome
}

extension FeatureTable {
    /// The 1-based physical line of data row `row` (0-based) of a CSV file, counting the header,
    /// blank lines and newlines inside quoted fields — for error messages about values found
    /// after parsing (a label that is not 0/1, a negative weight). Nil if the file has fewer rows.
    ///
    /// - Complexity: O(bytes up to that row); meant for the error path only.
    public static func physicalLine(ofDataRow row: Int, path: String) -> Int? {
        try? withFileBytes(path: path) { buffer -> Int? in
            guard let raw = buffer.baseAddress, buffer.count > 0 else { return nil }
            let base = raw.assumingMemoryBound(to: UInt8.self)
            let end = base + buffer.count
            var p = base
            if buffer.count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { p += 3 }
            var line = 1            // the line `p` is on
            var record = -1         // -1: the header is next
            while p < end {
                // Skip blank lines.
                if p.pointee == lineFeed { p += 1; line += 1; continue }
                if p.pointee == carriageReturn && (p + 1 == end || p[1] == lineFeed) { p += min(2, end - p); line += 1; continue }
                if record == row { return line }
                // Read one record.
                while true {
                    guard let (_, terminator) = readField(&p, end, &line) else { return nil }
                    if terminator == .comma { continue }
                    if terminator == .newline { line += 1 }
                    break
                }
                record += 1
            }
            return nil
        } ?? nil
    }
}
