import Foundation
import RetainCore
import RetainIO

// The event log reader ("Ingest"): CSV (plain or gzip) or a SQLite table in, columnar blocks of
// interned events out. See DESIGN.md, "Event data contract".

/// The names of the event-log columns in the file or table.
public struct ColumnMapping: Sendable, Equatable, Hashable {
    /// Customer id column (required).
    public var customerID: String
    /// Timestamp column (required).
    public var timestamp: String
    /// Event type column (required).
    public var eventType: String
    /// Numeric value column (optional: absent under its default name means no values).
    public var value: String
    /// Ref column linking events (optional: absent under its default name means no refs).
    public var ref: String

    /// The contract's names: `customer_id`, `timestamp`, `event_type`, `value`, `ref`.
    public static let standard = ColumnMapping()

    public init(customerID: String = "customer_id", timestamp: String = "timestamp", eventType: String = "event_type",
                value: String = "value", ref: String = "ref") {
        self.customerID = customerID
        self.timestamp = timestamp
        self.eventType = eventType
        self.value = value
        self.ref = ref
    }

    /// A mapping from a config's `columns:` section (keys `customer_id`, `timestamp`, `event_type`,
    /// `value`, `ref`; values the names in the log). Keys left out keep their standard names.
    ///
    /// - Throws: `IngestError.unknownColumnKey` on an unknown key.
    public init(_ names: [String: String]) throws {
        self.init()
        for (key, name) in names {
            switch key {
            case "customer_id": customerID = name
            case "timestamp": timestamp = name
            case "event_type": eventType = name
            case "value": value = name
            case "ref": ref = name
            default:
                throw IngestError.unknownColumnKey(key: key)
            }
        }
    }
}

/// Where the events come from.
public enum EventSource: Sendable, Equatable {
    /// A CSV file with a header; gzip-compressed files (magic bytes 1f 8b) are inflated as they are read.
    case csv(path: String, mapping: ColumnMapping = .standard)
    /// A table (or view) of a SQLite database; `timestamp` may hold text or Unix seconds.
    case sqlite(path: String, table: String, mapping: ColumnMapping = .standard)

    /// The column names.
    public var mapping: ColumnMapping {
        switch self {
        case let .csv(_, mapping), let .sqlite(_, _, mapping): return mapping
        }
    }

    /// How error messages name the source: the path as given, or `path:table`.
    public var displayName: String {
        switch self {
        case let .csv(path, _): return path
        case let .sqlite(path, table, _): return "\(path):\(table)"
        }
    }
}

/// What to do with a row that breaks the data contract.
public enum BadRowPolicy: Sendable, Equatable {
    /// Throw an error naming the file, line and column (the default).
    case fail
    /// Skip the row, count it by reason, and write it to the rejects file if one is given.
    case skip
}

/// Why a row was rejected (the keys of ``IngestSummary/badRows``).
public enum BadRowReason: String, CaseIterable, Sendable, Hashable, Comparable {
    case fieldCount = "wrong number of fields"
    case badQuotes = "bad quotes"
    case emptyCustomerID = "empty customer_id"
    case badTimestamp = "bad timestamp"
    case emptyEventType = "empty event_type"
    case badValue = "bad value"

    public static func < (a: BadRowReason, b: BadRowReason) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!  // every case is in allCases
    }
}

/// One block of events in file order, columnar. Ids are dense indices into the reader's dictionaries.
public struct EventBatch: Sendable, Equatable {
    /// Index into ``EventLogReader/customerIDs``.
    public var customer: [Int32]
    /// Unix seconds, UTC.
    public var time: [Double]
    /// Index into ``EventLogReader/eventTypes``.
    public var type: [Int32]
    /// The value, NaN when empty or when the log has no value column.
    public var value: [Double]
    /// Index into the ref dictionary (``EventLogReader/ref(_:)``), -1 when empty or absent.
    public var ref: [Int32]

    /// Number of events.
    public var count: Int { customer.count }

    public init(customer: [Int32] = [], time: [Double] = [], type: [Int32] = [], value: [Double] = [], ref: [Int32] = []) {
        self.customer = customer
        self.time = time
        self.type = type
        self.value = value
        self.ref = ref
    }
}

/// What a read did.
public struct IngestSummary: Sendable, Equatable {
    /// Events delivered.
    public var rows = 0
    /// Rows skipped, by reason (only with ``BadRowPolicy/skip``).
    public var badRows: [BadRowReason: Int] = [:]
    /// Wall-clock seconds of the read, the caller's block included.
    public var seconds = 0.0
    /// Bytes read from the file (compressed size for gzip; 0 for SQLite).
    public var bytes = 0
    /// Bytes of CSV text parsed (after inflating; 0 for SQLite).
    public var textBytes = 0

    /// Total rows skipped.
    public var badRowCount: Int { badRows.values.reduce(0, +) }
}

/// Reads an event log in blocks, interning customer ids, event types and refs into dense indices.
///
/// ```swift
/// let reader = EventLogReader(source: .csv(path: "events.csv"))
/// let summary = try reader.read { batch in accumulator.add(batch, types: reader.eventTypes) }
/// let ids = reader.customerIDs
/// ```
///
/// Streaming: memory is O(distinct customers + types + refs) plus a few blocks of a few MiB,
/// whatever the file size. Indices are assigned in order of first appearance in the file, so the
/// same file gives the same batches and dictionaries whatever the thread count.
///
/// CSV format: RFC 4180 with a header line; an optional UTF-8 byte-order mark; `\n` or `\r\n`;
/// a missing final newline; blank lines skipped (they still count as lines). Quoted fields may
/// contain commas and `""`, but **not line breaks**: a record is one physical line, which lets
/// the reader cut blocks at any newline and keeps line numbers exact. Columns other than the five
/// mapped ones are ignored. Customer ids, types and refs are kept exactly as written; spaces around
/// timestamps and values are ignored. See `Timestamp.swift` for the timestamp forms.
///
/// Lines in messages are 1-based physical lines (the header is line 1); for SQLite, the row's
/// ordinal in the table scan. Messages never contain customer ids.
public final class EventLogReader {
    /// Where the events come from.
    public let source: EventSource
    /// What to do with bad rows.
    public let badRowPolicy: BadRowPolicy
    /// Where skipped rows go (``BadRowPolicy/skip`` only): a CSV `line,reason,text`, written
    /// atomically when the read ends (not written if the read fails).
    public let rejectsPath: String?

    /// Threads parsing blocks (`Parallel.threadCount`: `RETAIN_THREADS`, else the number of cores). Output does not depend on it.
    var threadCount: Int
    /// Target block size in bytes (blocks end at a line end). Output does not depend on the thread count.
    var blockSize = 4 << 20

    var dictionaries = Dictionaries()
    private var used = false

    /// Creates a reader; nothing is opened until ``read(_:)``.
    public init(source: EventSource, badRows: BadRowPolicy = .fail, rejectsPath: String? = nil) {
        self.source = source
        self.badRowPolicy = badRows
        self.rejectsPath = rejectsPath
        threadCount = Parallel.threadCount
    }

    deinit { dictionaries.release() }

    /// Customer ids by index, as far as read (complete after ``read(_:)``).
    public var customerIDs: [String] { dictionaries.customerNames }
    /// Event types by index, as far as read; safe to read inside the `read` block.
    public var eventTypes: [String] { dictionaries.typeNames }
    /// Number of distinct refs.
    public var refCount: Int { dictionaries.refs.count }
    /// The ref with index `index` (< ``refCount``).
    public func ref(_ index: Int32) -> String { dictionaries.refs.string(Int(index)) }
    /// All refs by index (materialises one string per ref).
    public var refs: [String] { (0..<dictionaries.refs.count).map { dictionaries.refs.string($0) } }

    /// Reads the whole log, calling `body` once per block, in file order.
    ///
    /// `body` runs on one of the reader's threads, never on two at once; the dictionaries
    /// (``customerIDs``, ``eventTypes``) already hold every index in the batch it gets.
    ///
    /// - Returns: Rows read and skipped, bytes, time.
    /// - Throws: `IngestError` or `IngestError` naming the file, line and column of the first
    ///   bad row in file order (with ``BadRowPolicy/fail``), an unreadable or empty file, a missing
    ///   column (listing the header); or what `body` throws. A reader reads once.
    /// - Complexity: O(file size); memory O(distinct keys + threads × block size).
    public func read(_ body: (EventBatch) throws -> Void) throws -> IngestSummary {
        precondition(!used, "an EventLogReader reads once; make a new one")
        used = true
        let started = DispatchTime.now().uptimeNanoseconds
        var summary: IngestSummary
        switch source {
        case let .csv(path, mapping):
            summary = try readCSV(path: path, mapping: mapping, body)
        case let .sqlite(path, table, mapping):
            summary = try readSQLite(path: path, table: table, mapping: mapping, body)
        }
        summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return summary
    }
}

/// The reader's global dictionaries; mutated only in file order.
struct Dictionaries {
    var customers = ByteTable(capacity: 1024)
    var types = ByteTable(capacity: 64)
    var refs = ByteTable(capacity: 1024)
    var customerNames: [String] = []
    var typeNames: [String] = []

    func release() {
        customers.release()
        types.release()
        refs.release()
    }

    /// Index of a customer id (inserted if new). `p` must have 16 readable bytes after its start.
    @inline(__always)
    mutating func customer(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        let r = customers.lookup(p, n, newValue: Int32(customers.count))
        if r.inserted { customerNames.append(customers.string(customers.count - 1)) }
        return r.value
    }

    @inline(__always)
    mutating func type(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        let r = types.lookup(p, n, newValue: Int32(types.count))
        if r.inserted { typeNames.append(types.string(types.count - 1)) }
        return r.value
    }

    @inline(__always)
    mutating func ref(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        refs.lookup(p, n, newValue: Int32(refs.count)).value
    }
}
