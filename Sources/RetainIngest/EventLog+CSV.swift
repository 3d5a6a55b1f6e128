import CRetainSupport
import Dispatch
import Foundation
import RetainCore
import RetainIO

// Reading the event log from CSV: blocks of whole lines are parsed on several threads, each with
// its own interning cache; blocks are then merged in file order, where first-seen keys get their
// final indices. Indices, batches, errors and rejects therefore do not depend on the thread count.
//
// Pipeline per thread: take the next block from the source (in turn) → parse it into columnar rows
// (keys the thread has not seen get provisional negative ids) → wait for the block's turn → give
// the provisional keys their global indices (in first-appearance order), patch the rows, write
// rejects, call the caller's block → next block. Memory: threads × (block + its rows).

private let comma = UInt8(ascii: ",")
private let lineFeed = UInt8(ascii: "\n")
private let carriageReturn = UInt8(ascii: "\r")
private let quote = UInt8(ascii: "\"")

// MARK: - Layout

/// Which field of a row holds which column.
struct CSVLayout {
    var header: [String]
    var fieldCount: Int { header.count }
    var customer: Int
    var timestamp: Int
    var eventType: Int
    var value: Int      // -1: absent
    var ref: Int        // -1: absent

    /// Finds the mapped columns in `header`.
    ///
    /// - Throws: `IngestError.missingColumn` (listing the header) for a missing required column,
    ///   or an optional one that was renamed; `.duplicateColumn` for a mapped name found twice.
    init(header: [String], mapping: ColumnMapping, file: String) throws {
        self.header = header
        var first: [String: Int] = [:]
        var repeated = Set<String>()
        for (i, name) in header.enumerated() {
            if first[name] == nil { first[name] = i } else { repeated.insert(name) }
        }
        func find(_ name: String, optionalUnder defaultName: String? = nil) throws -> Int {
            guard let i = first[name] else {
                if let defaultName, name == defaultName { return -1 }
                throw IngestError.missingColumn(file: file, column: name, available: header)
            }
            guard !repeated.contains(name) else { throw IngestError.duplicateColumn(file: file, column: name) }
            return i
        }
        customer = try find(mapping.customerID)
        timestamp = try find(mapping.timestamp)
        eventType = try find(mapping.eventType)
        value = try find(mapping.value, optionalUnder: "value")
        ref = try find(mapping.ref, optionalUnder: "ref")
        let used = [customer, timestamp, eventType, value, ref].filter { $0 >= 0 }
        if Set(used).count != used.count {
            throw IngestError.columnMappedTwice(file: file)
        }
    }
}

/// A field's bytes (inside the block, or unescaped into the worker's scratch buffer).
struct FieldSpan {
    var start: UnsafePointer<UInt8>
    var count: Int
}

// MARK: - Rows

/// What is wrong with a row. Cells are described (never kept) only when an error message will be made.
enum RowProblem {
    case fieldCount(found: Int)
    case badQuotes(column: Int)
    case empty(column: Int, reason: BadRowReason)
    case badTimestamp(column: Int, cell: CellShape, problem: TimestampProblem)
    case badValue(column: Int, cell: CellShape, finite: Bool)

    var reason: BadRowReason {
        switch self {
        case .fieldCount: return .fieldCount
        case .badQuotes: return .badQuotes
        case let .empty(_, reason): return reason
        case .badTimestamp: return .badTimestamp
        case .badValue: return .badValue
        }
    }

    /// The error for this problem at `line` of `file`.
    func error(file: String, line: Int, header: [String]) -> Error {
        func name(_ column: Int) -> String { column < header.count ? header[column] : "#\(column + 1)" }
        switch self {
        case let .fieldCount(found):
            return IngestError.fieldCount(file: file, line: line, found: found, expected: header.count)
        case let .badQuotes(column):
            return IngestError.badQuotes(file: file, line: line, column: name(column))
        case let .empty(column, _):
            return IngestError.emptyField(file: file, line: line, column: name(column))
        case let .badTimestamp(column, cell, problem):
            return IngestError.badTimestamp(file: file, line: line, column: name(column), cell: cell, problem: problem)
        case let .badValue(column, cell, finite):
            return finite ? IngestError.notANumber(file: file, line: line, column: name(column), cell: cell)
                : IngestError.notFinite(file: file, line: line, column: name(column), cell: cell)
        }
    }
}

/// The first `,`, `\n` or `"` at or after `p`: eight bytes at a time (SWAR zero-byte test; the
/// lowest flagged byte is exact). The block's final `\n` and padding make bounds checks unneeded.
@inline(__always)
private func findSpecial(_ p: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
    @inline(__always) func zeroBytes(_ x: UInt64) -> UInt64 { (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 }
    var q = p
    while true {
        let w = UInt64(littleEndian: UnsafeRawPointer(q).loadUnaligned(as: UInt64.self))
        let hits = zeroBytes(w ^ 0x2C2C_2C2C_2C2C_2C2C) | zeroBytes(w ^ 0x0A0A_0A0A_0A0A_0A0A) | zeroBytes(w ^ 0x2222_2222_2222_2222)
        if hits != 0 { return q + (hits.trailingZeroBitCount >> 3) }
        q += 8
    }
}

/// Just past the next `\n` at or after `p` (one exists before the block's end).
@inline(__always)
private func skipLine(_ p: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
    var q = p
    while q.pointee != lineFeed { q += 1 }  // the block ends with \n
    return q + 1
}

/// Splits the line at `p` into fields, storing up to `capacity` of them, and moves `p` past the line end.
///
/// - Returns: The number of fields, or `-1 - k` if field `k` has a quote problem (a quote inside an
///   unquoted field, an unterminated quoted field, or text after a closing quote).
@inline(__always)
func splitLine(_ p: inout UnsafePointer<UInt8>, _ fields: UnsafeMutablePointer<FieldSpan>, _ capacity: Int,
               _ scratch: UnsafeMutablePointer<UInt8>) -> Int {
    var q = p
    var k = 0
    var terminator: UInt8
    var scratch = scratch
    while true {
        var start = q
        var count: Int
        if q.pointee != quote {
            let e = findSpecial(q)
            terminator = e.pointee
            if terminator == quote { p = skipLine(e); return -1 - k }
            count = e - q
            if terminator == lineFeed && count > 0 && e[-1] == carriageReturn { count -= 1 }
            q = e
        } else {
            guard let span = quotedField(&q, &scratch) else { p = skipLine(q); return -1 - k }
            start = span.start
            count = span.count
            terminator = q.pointee
        }
        if k < capacity { fields[k] = FieldSpan(start: start, count: count) }
        k += 1
        q += 1
        if terminator == lineFeed { p = q; return k }
    }
}

/// A quoted field starting at `q` (on its opening quote). Moves `q` to the `,` or `\n` after it.
/// Fields holding `""` are unescaped into `scratch` (advanced past them).
@inline(never)
private func quotedField(_ q: inout UnsafePointer<UInt8>, _ scratch: inout UnsafeMutablePointer<UInt8>) -> FieldSpan? {
    let contentStart = q + 1
    var r = contentStart
    var escaped = false
    while true {
        while r.pointee != quote && r.pointee != lineFeed { r += 1 }
        if r.pointee == lineFeed { q = r; return nil }          // no closing quote on this line
        if r[1] == quote { escaped = true; r += 2; continue }
        break
    }
    let contentEnd = r
    var a = r + 1
    while a.pointee == 0x20 || a.pointee == 0x09 { a += 1 }
    if a.pointee == carriageReturn && a[1] == lineFeed { a += 1 }
    guard a.pointee == comma || a.pointee == lineFeed else { q = a; return nil }
    q = a
    if !escaped { return FieldSpan(start: contentStart, count: contentEnd - contentStart) }
    // Unescape into scratch (which holds at least the line's length, plus padding).
    let start = scratch
    var i = contentStart
    while i < contentEnd {
        scratch.pointee = i.pointee
        scratch += 1
        i += i.pointee == quote ? 2 : 1
    }
    return FieldSpan(start: UnsafePointer(start), count: scratch - start)
}

// MARK: - Worker

/// One thread's block, parsed rows and interning caches.
final class CSVWorker {
    let block = LineBlock(capacity: 1 << 16)
    var customers = ByteTable(capacity: 1024)
    var types = ByteTable(capacity: 64)
    var refs = ByteTable(capacity: 256)
    /// Cache sizes at the start of the block: keys from here on are provisional.
    var customerMark = 0, typeMark = 0, refMark = 0

    private(set) var customer: UnsafeMutablePointer<Int32>
    private(set) var time: UnsafeMutablePointer<Double>
    private(set) var type: UnsafeMutablePointer<Int32>
    private(set) var value: UnsafeMutablePointer<Double>
    private(set) var ref: UnsafeMutablePointer<Int32>
    private var rowCapacity = 0
    private var fields: UnsafeMutablePointer<FieldSpan>
    private let fieldCapacity: Int
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity = 0

    /// Rows parsed and physical lines consumed in the block.
    private(set) var rows = 0
    private(set) var lines = 0
    /// The first bad row (with ``BadRowPolicy/fail``): 0-based line in the block.
    private(set) var failure: (line: Int, problem: RowProblem)?
    /// Bad rows (with ``BadRowPolicy/skip``): 0-based line in the block, reason, text range in the block.
    private(set) var rejects: [(line: Int, reason: BadRowReason, start: Int, count: Int)] = []

    init(fieldCount: Int) {
        fieldCapacity = fieldCount
        fields = .allocate(capacity: fieldCount)
        customer = .allocate(capacity: 0)
        time = .allocate(capacity: 0)
        type = .allocate(capacity: 0)
        value = .allocate(capacity: 0)
        ref = .allocate(capacity: 0)
        scratch = .allocate(capacity: 0)
    }

    deinit {
        customers.release()
        types.release()
        refs.release()
        for p in [customer, type, ref] as [UnsafeMutablePointer<Int32>] { p.deallocate() }
        time.deallocate()
        value.deallocate()
        fields.deallocate()
        scratch.deallocate()
    }

    private func reserve(rows: Int, scratchBytes: Int) {
        if rows > rowCapacity {
            customer.deallocate(); time.deallocate(); type.deallocate(); value.deallocate(); ref.deallocate()
            rowCapacity = rows
            customer = .allocate(capacity: rows)
            time = .allocate(capacity: rows)
            type = .allocate(capacity: rows)
            value = .allocate(capacity: rows)
            ref = .allocate(capacity: rows)
        }
        if scratchBytes > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = scratchBytes
            // Written only for quoted fields holding `""`; left untouched (not resident) otherwise.
            scratch = .allocate(capacity: scratchBytes + 32)
        }
    }

    /// Parses the block's lines into rows.
    ///
    /// - Complexity: O(block bytes); per row one split, one timestamp and number parse, and three
    ///   cache lookups.
    func parse(_ layout: CSVLayout, skip: Bool) {
        let count = block.count
        let F = layout.fieldCount
        // A stored row has at least F - 1 commas, a line end and three non-empty fields.
        reserve(rows: count / (F + 3) + 1, scratchBytes: count)
        rejects.removeAll(keepingCapacity: true)
        failure = nil
        var cT = customers, tT = types, rT = refs
        customerMark = cT.count
        typeMark = tT.count
        refMark = rT.count
        defer { customers = cT; types = tT; refs = rT }
        let cMark = customerMark, tMark = typeMark, rMark = refMark
        let ci = layout.customer, ti = layout.timestamp, ei = layout.eventType, vi = layout.value, ri = layout.ref
        let fields = self.fields, scratch = self.scratch
        let outCustomer = customer, outTime = time, outType = type, outValue = value, outRef = ref
        let base = UnsafePointer(block.bytes)
        var p = base
        let end = p + count
        var row = 0
        var line = 0
        var timeCache = Timestamp.Cache()
        // Customer ids wait in a queue of up to 2 × `lag` rows between their prefetch and their
        // probe, so every probe finds its slot at least `lag` rows after the prefetch.
        let lag = 16
        var groupCount = 0
        let groupKeys = UnsafeMutablePointer<FieldSpan>.allocate(capacity: 2 * lag)
        let groupHashes = UnsafeMutablePointer<ByteTable.Hashed>.allocate(capacity: 2 * lag)
        let groupRows = UnsafeMutablePointer<Int>.allocate(capacity: 2 * lag)
        defer { groupKeys.deallocate(); groupHashes.deallocate(); groupRows.deallocate() }
        /// Probes the first `n` queued customer ids (in row order) and drops them from the queue.
        func probeQueued(_ n: Int) {
            for g in 0..<n {
                let key = groupKeys[g], hashed = groupHashes[g]
                let slot = cT.firstSlot(hashed)
                outCustomer[groupRows[g]] = ByteTable.isHit(slot, hashed, key.count) ? slot.value
                    : cT.lookup(key.start, key.count, hashed: hashed, newValue: -2 - Int32(cT.count - cMark)).value
            }
            groupKeys.update(from: groupKeys + n, count: groupCount - n)
            groupHashes.update(from: groupHashes + n, count: groupCount - n)
            groupRows.update(from: groupRows + n, count: groupCount - n)
            groupCount -= n
        }
        while p < end {
            let lineStart = p
            let first = p.pointee
            if first == lineFeed { p += 1; line += 1; continue }
            if first == carriageReturn && p[1] == lineFeed { p += 2; line += 1; continue }
            // Each line unescapes into its own part of scratch: queued customer ids point there until probed.
            let found = splitLine(&p, fields, F, scratch + (lineStart - base))
            var problem: RowProblem?
            check: do {
                if found != F {
                    problem = found < 0 ? .badQuotes(column: -1 - found) : .fieldCount(found: found)
                    break check
                }
                let c = fields[ci]
                if c.count == 0 { problem = .empty(column: ci, reason: .emptyCustomerID); break check }
                let ts = fields[ti]
                let t = Timestamp.parse(ts.start, ts.count, cache: &timeCache)
                if t.isNaN {
                    problem = Self.timestampProblem(ts, column: ti, detail: !skip)
                    break check
                }
                let e = fields[ei]
                if e.count == 0 { problem = .empty(column: ei, reason: .emptyEventType); break check }
                var v = Double.nan
                if vi >= 0 {
                    let f = fields[vi]
                    if f.count > 0 {
                        if let (x, next) = NumberParser.scan(f.start, f.start + f.count), next == f.start + f.count, x.isFinite {
                            v = x
                        } else if let x = Self.slowValue(f) {
                            v = x
                        } else {
                            problem = Self.valueProblem(f, column: vi, detail: !skip)
                            break check
                        }
                    }
                }
                var r: Int32 = -1
                if ri >= 0 {
                    let f = fields[ri]
                    if f.count > 0 { r = rT.lookup(f.start, f.count, newValue: -2 - Int32(rT.count - rMark)).value }
                }
                // The customer table is large and ids arrive in random order, so each probe would be
                // a cache miss: prefetch the slot now, probe it `lag` rows later (`probeQueued`).
                let hashed = ByteTable.hash(c.start, c.count)
                retain_prefetch_read(cT.firstSlotAddress(hashed))
                groupKeys[groupCount] = c
                groupHashes[groupCount] = hashed
                groupRows[groupCount] = row
                groupCount += 1
                outType[row] = tT.lookup(e.start, e.count, newValue: -2 - Int32(tT.count - tMark)).value
                outTime[row] = t
                outValue[row] = v
                outRef[row] = r
                row += 1
                if groupCount == 2 * lag { probeQueued(lag) }
            }
            if let problem {
                if !skip {
                    failure = (line, problem)
                    break
                }
                var textEnd = p - 1
                if textEnd > lineStart && textEnd[-1] == carriageReturn { textEnd -= 1 }
                rejects.append((line, problem.reason, lineStart - base, textEnd - lineStart))
            }
            line += 1
        }
        probeQueued(groupCount)
        rows = row
        lines = line
    }

    /// A value with spaces around it, or only spaces (NaN); nil if it is not a number.
    @inline(never)
    private static func slowValue(_ f: FieldSpan) -> Double? {
        var s = f.start, e = f.start + f.count
        while s < e && (s.pointee == 0x20 || s.pointee == 0x09) { s += 1 }
        while e > s && (e[-1] == 0x20 || e[-1] == 0x09) { e -= 1 }
        if s == e { return .nan }
        if let (x, next) = NumberParser.scan(s, e), next == e, x.isFinite { return x }
        return nil
    }

    @inline(never)
    private static func valueProblem(_ f: FieldSpan, column: Int, detail: Bool) -> RowProblem {
        guard detail else { return .badValue(column: column, cell: .notRecorded, finite: true) }
        let bytes = UnsafeBufferPointer(start: f.start, count: f.count)
        var s = f.start, e = f.start + f.count
        while s < e && (s.pointee == 0x20 || s.pointee == 0x09) { s += 1 }
        while e > s && (e[-1] == 0x20 || e[-1] == 0x09) { e -= 1 }
        let trimmed = UnsafeBufferPointer(start: s, count: e - s)
        let finite = !NumberParser.isNonFiniteName(trimmed) && !(NumberParser.scan(s, e).map { $0.next == e } ?? false)
        return .badValue(column: column, cell: CellShape(bytes: bytes), finite: finite)
    }

    @inline(never)
    private static func timestampProblem(_ f: FieldSpan, column: Int, detail: Bool) -> RowProblem {
        var s = f.start, e = f.start + f.count
        while s < e && (s.pointee == 0x20 || s.pointee == 0x09) { s += 1 }
        while e > s && (e[-1] == 0x20 || e[-1] == 0x09) { e -= 1 }
        if s == e { return .empty(column: column, reason: .badTimestamp) }
        guard detail else { return .badTimestamp(column: column, cell: .notRecorded, problem: .format) }
        return .badTimestamp(column: column, cell: CellShape(bytes: UnsafeBufferPointer(start: f.start, count: f.count)),
                             problem: Timestamp.problem(f.start, f.count))
    }

    /// Gives the block's provisional keys their global indices and patches the rows.
    func resolve(into dictionaries: inout Dictionaries) {
        let newCustomers = Self.resolve(&customers, from: customerMark) { dictionaries.customer($0, $1) }
        let newTypes = Self.resolve(&types, from: typeMark) { dictionaries.type($0, $1) }
        let newRefs = Self.resolve(&refs, from: refMark) { dictionaries.ref($0, $1) }
        if !newCustomers.isEmpty { Self.patch(customer, rows, newCustomers) }
        if !newTypes.isEmpty { Self.patch(type, rows, newTypes) }
        if !newRefs.isEmpty { Self.patch(ref, rows, newRefs) }
    }

    private static func resolve(_ table: inout ByteTable, from mark: Int,
                                _ global: (UnsafePointer<UInt8>, Int) -> Int32) -> [Int32] {
        guard table.count > mark else { return [] }
        var resolved = [Int32]()
        resolved.reserveCapacity(table.count - mark)
        for i in mark..<table.count {
            let key = table.key(i)
            let id = global(key.baseAddress!, key.count)  // arena pointer, padded
            resolved.append(id)
            table.setValue(ofKey: i, to: id)
        }
        return resolved
    }

    private static func patch(_ ids: UnsafeMutablePointer<Int32>, _ n: Int, _ resolved: [Int32]) {
        resolved.withUnsafeBufferPointer { r in
            for i in 0..<n where ids[i] < -1 { ids[i] = r[Int(-2 - ids[i])] }
        }
    }

    /// The parsed rows as a batch (copies).
    func batch() -> EventBatch {
        EventBatch(customer: Array(UnsafeBufferPointer(start: customer, count: rows)),
                   time: Array(UnsafeBufferPointer(start: time, count: rows)),
                   type: Array(UnsafeBufferPointer(start: type, count: rows)),
                   value: Array(UnsafeBufferPointer(start: value, count: rows)),
                   ref: Array(UnsafeBufferPointer(start: ref, count: rows)))
    }
}

// MARK: - Pipeline

/// State shared by the threads of one read.
private final class CSVPipeline: @unchecked Sendable {
    let source: LineSource
    let layout: CSVLayout
    let file: String
    let skip: Bool
    let blockSize: Int
    let rejects: RejectsWriter?

    let readLock = NSLock()
    var nextBlock = 0            // under readLock
    var stopReading = false      // under readLock

    let turn = NSCondition()
    var nextTurn = 0             // under turn
    var failed = false           // under turn
    var error: Error?            // under turn
    var lineBase: Int            // under turn: physical lines before the block whose turn it is
    var summary = IngestSummary()

    init(source: LineSource, layout: CSVLayout, file: String, skip: Bool, blockSize: Int, rejects: RejectsWriter?, headerLine: Int) {
        self.source = source
        self.layout = layout
        self.file = file
        self.skip = skip
        self.blockSize = blockSize
        self.rejects = rejects
        lineBase = headerLine
    }
}

extension EventLogReader {
    func readCSV(path: String, mapping: ColumnMapping, _ body: (EventBatch) throws -> Void) throws -> IngestSummary {
        let source = try LineSource(path: path)
        guard let (headerText, headerLine) = try source.readHeader() else { throw IngestError.empty(file: path) }
        let header = try Self.parseHeader(headerText, file: path, line: headerLine)
        let layout = try CSVLayout(header: header, mapping: mapping, file: path)
        let skip = badRowPolicy == .skip
        let rejects = skip ? try rejectsPath.map { try RejectsWriter(path: $0) } : nil
        let pipeline = CSVPipeline(source: source, layout: layout, file: path, skip: skip, blockSize: blockSize,
                                   rejects: rejects, headerLine: headerLine)
        let threads = max(1, threadCount)
        let workers = (0..<threads).map { _ in CSVWorker(fieldCount: layout.fieldCount) }
        withoutActuallyEscaping(body) { body in
            if threads == 1 {
                run(workers[0], pipeline, body)
            } else {
                DispatchQueue.concurrentPerform(iterations: threads) { w in run(workers[w], pipeline, body) }
            }
        }
        if let error = pipeline.error {
            rejects?.abandon()
            throw error
        }
        if pipeline.summary.rows + pipeline.summary.badRowCount == 0 {
            rejects?.abandon()
            throw IngestError.empty(file: path)
        }
        try rejects?.commit()
        var summary = pipeline.summary
        summary.bytes = source.fileBytes
        summary.textBytes = source.textBytes
        return summary
    }

    /// One thread's loop: read a block, parse it, merge it in its turn.
    private func run(_ worker: CSVWorker, _ pipeline: CSVPipeline, _ body: (EventBatch) throws -> Void) {
        while true {
            pipeline.readLock.lock()
            if pipeline.stopReading { pipeline.readLock.unlock(); return }
            let k = pipeline.nextBlock
            var readError: Error?
            var got = false
            do {
                got = try pipeline.source.nextBlock(worker.block, blockSize: pipeline.blockSize)
            } catch {
                readError = error
            }
            if got { pipeline.nextBlock += 1 } else { pipeline.stopReading = true }
            pipeline.readLock.unlock()
            if !got && readError == nil { return }

            if got { worker.parse(pipeline.layout, skip: pipeline.skip) }

            pipeline.turn.lock()
            while pipeline.nextTurn != k { pipeline.turn.wait() }
            if !pipeline.failed {
                do {
                    if let readError { throw IOError.numberingLine(readError, line: pipeline.lineBase + 1) }
                    try merge(worker, pipeline, body)
                } catch {
                    pipeline.error = error
                    pipeline.failed = true
                    pipeline.readLock.lock()
                    pipeline.stopReading = true
                    pipeline.readLock.unlock()
                }
            }
            pipeline.nextTurn += 1
            pipeline.turn.broadcast()
            let failed = pipeline.failed
            pipeline.turn.unlock()
            if failed || readError != nil { return }
        }
    }

    /// The ordered step for one block (called with the turn lock held).
    private func merge(_ worker: CSVWorker, _ pipeline: CSVPipeline, _ body: (EventBatch) throws -> Void) throws {
        if let (line, problem) = worker.failure {
            throw problem.error(file: pipeline.file, line: pipeline.lineBase + line + 1, header: pipeline.layout.header)
        }
        worker.resolve(into: &dictionaries)
        for reject in worker.rejects {
            pipeline.summary.badRows[reject.reason, default: 0] += 1
            try pipeline.rejects?.add(line: pipeline.lineBase + reject.line + 1, reason: reject.reason,
                                      text: UnsafeBufferPointer(start: worker.block.bytes + reject.start, count: reject.count))
        }
        pipeline.lineBase += worker.lines
        pipeline.summary.rows += worker.rows
        if worker.rows > 0 { try body(worker.batch()) }
    }

    /// Header names (spaces around them removed); quoted names allowed.
    static func parseHeader(_ text: [UInt8], file: String, line: Int) throws -> [String] {
        let padded = text + [lineFeed] + [UInt8](repeating: 0, count: 32)
        return try padded.withUnsafeBufferPointer { buffer -> [String] in
            let fieldCount = text.reduce(1) { $0 + ($1 == comma ? 1 : 0) }
            let fields = UnsafeMutablePointer<FieldSpan>.allocate(capacity: fieldCount)
            defer { fields.deallocate() }
            let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: padded.count + 32)
            scratch.initialize(repeating: 0, count: padded.count + 32)
            defer { scratch.deallocate() }
            var p = buffer.baseAddress!  // non-empty
            let found = splitLine(&p, fields, fieldCount, scratch)
            if found < 0 {
                throw IngestError.badQuotes(file: file, line: line, column: "#\(-found) of the header")
            }
            return (0..<found).map { i in
                let f = fields[i]
                var s = f.start, e = f.start + f.count
                while s < e && (s.pointee == 0x20 || s.pointee == 0x09) { s += 1 }
                while e > s && (e[-1] == 0x20 || e[-1] == 0x09) { e -= 1 }
                return String(decoding: UnsafeBufferPointer(start: s, count: e - s), as: UTF8.self)
            }
        }
    }
}
