import Foundation
import RetainCore
import RetainIO

// Reading the event log from a SQLite table (or view), read-only, one pass of `SELECT`.
//
// Cells: customer id, event type and ref as text (integers are converted to their decimal text);
// timestamp as text (see `Timestamp.swift`) or a number of Unix seconds (INTEGER or REAL); value
// as a number, or text holding a number; NULL is an empty cell. "Lines" in messages and in the
// rejects file are the 1-based ordinals of the rows in the scan.

extension EventLogReader {
    /// Rows per batch for SQLite input.
    static let sqliteBatchRows = 1 << 16

    func readSQLite(path: String, table: String, mapping: ColumnMapping, _ body: (EventBatch) throws -> Void) throws -> IngestSummary {
        let file = "\(path):\(table)"
        let db: SQLiteDatabase
        let statement: SQLiteStatement
        let layout: CSVLayout
        do {
            db = try SQLiteDatabase(path: path, mode: .readOnly)
            // Columns, through PRAGMA table_info (works for tables and views).
            let columns = try db.columnNames(of: table)
            guard !columns.isEmpty else {
                let tables = (try? db.tableNames()) ?? []
                throw IngestError.cannotRead(
                    file: path, reason: "no table or view named '\(table)' (tables: \(tables.isEmpty ? "none" : tables.joined(separator: ", ")))")
            }
            layout = try CSVLayout(header: columns, mapping: mapping, file: file)
            var selected = [layout.customer, layout.timestamp, layout.eventType]
            if layout.value >= 0 { selected.append(layout.value) }
            if layout.ref >= 0 { selected.append(layout.ref) }
            let sql = "SELECT " + selected.map { SQLiteDatabase.quote(identifier: columns[$0]) }.joined(separator: ", ")
                + " FROM " + SQLiteDatabase.quote(identifier: table)
            statement = try db.prepare(sql)
        } catch IOError.sqlite(_, let reason, _) {
            throw IngestError.cannotRead(file: path, reason: reason)
        }

        let skip = badRowPolicy == .skip
        let rejects = skip ? try rejectsPath.map { try RejectsWriter(path: $0) } : nil
        var summary = IngestSummary()
        do {
            try readRows(statement, file: file, layout: layout, skip: skip, rejects: rejects, summary: &summary, body)
        } catch {
            rejects?.abandon()
            throw error
        }
        if summary.rows + summary.badRowCount == 0 {
            rejects?.abandon()
            throw IngestError.empty(file: file)
        }
        try rejects?.commit()
        return summary
    }

    private func readRows(_ statement: SQLiteStatement, file: String, layout: CSVLayout, skip: Bool,
                          rejects: RejectsWriter?, summary: inout IngestSummary, _ body: (EventBatch) throws -> Void) throws {
        let valueColumn: Int32 = layout.value >= 0 ? 3 : -1
        let refColumn: Int32 = layout.ref >= 0 ? (layout.value >= 0 ? 4 : 3) : -1
        var batch = EventBatch()
        var scratch = [UInt8](repeating: 0, count: 256)
        var line = 0

        /// Column `i`'s text as a padded copy (16 readable bytes after the end), or nil for NULL.
        func text(_ i: Int32, _ body: (UnsafePointer<UInt8>, Int) -> Void) {
            statement.withBytes(i) { cell in
                let n = cell.count
                if scratch.count < n + 32 { scratch = [UInt8](repeating: 0, count: 2 * n + 32) }
                scratch.withUnsafeMutableBufferPointer { s in
                    let base = s.baseAddress!  // count ≥ 32
                    if let p = cell.baseAddress, n > 0 { base.update(from: p, count: n) }
                    for j in n..<(n + 16) { base[j] = 0 }
                    body(UnsafePointer(base), n)
                }
            }
        }
        func cellString(_ i: Int32) -> String { statement.text(i) }
        func deliver() throws {
            guard batch.count > 0 else { return }
            summary.rows += batch.count
            try body(batch)
            batch = EventBatch()
        }

        while try step(statement, file: file) {
            line += 1
            var problem: RowProblem?
            var t = Double.nan
            var v = Double.nan
            check: do {
                if statement.byteCount(0) == 0 {
                    problem = .empty(column: layout.customer, reason: .emptyCustomerID); break check
                }
                switch statement.type(1) {
                case .integer, .float:
                    t = statement.double(1)
                    if !(abs(t) <= Timestamp.maxUnixSeconds) {
                        problem = .badTimestamp(column: layout.timestamp, cell: CellShape(cellString(1)), problem: t.isFinite ? .unixRange : .notFinite)
                        break check
                    }
                case .null:
                    break
                default:
                    text(1) { p, n in t = Timestamp.parse(p, n) }
                }
                if t.isNaN {
                    var p: RowProblem = .empty(column: layout.timestamp, reason: .badTimestamp)
                    text(1) { s, n in
                        if n > 0 {
                            p = .badTimestamp(column: layout.timestamp, cell: CellShape(bytes: UnsafeBufferPointer(start: s, count: n)),
                                              problem: Timestamp.problem(s, n))
                        }
                    }
                    problem = p
                    break check
                }
                if statement.byteCount(2) == 0 {
                    problem = .empty(column: layout.eventType, reason: .emptyEventType); break check
                }
                if valueColumn >= 0 {
                    switch statement.type(valueColumn) {
                    case .null: break
                    case .integer, .float: v = statement.double(valueColumn)
                    default:
                        var bad = false
                        text(valueColumn) { p, n in
                            var s = p, e = p + n
                            while s < e && (s.pointee == 0x20 || s.pointee == 0x09) { s += 1 }
                            while e > s && (e[-1] == 0x20 || e[-1] == 0x09) { e -= 1 }
                            if s == e { return }
                            if let (x, next) = NumberParser.scan(s, e), next == e, x.isFinite { v = x } else { bad = true }
                        }
                        if bad {
                            var shown = cellString(valueColumn)
                            let finite = !shown.withUTF8 { NumberParser.isNonFiniteName($0) }
                            problem = .badValue(column: layout.value, cell: CellShape(shown), finite: finite); break check
                        }
                    }
                    if !v.isNaN && !v.isFinite { problem = .badValue(column: layout.value, cell: CellShape(cellString(valueColumn)), finite: false); break check }
                }
            }
            if let problem {
                if !skip { throw problem.error(file: file, line: line, header: layout.header) }
                summary.badRows[problem.reason, default: 0] += 1
                if let rejects {
                    var raw = [UInt8]()
                    for i in 0..<statement.columnCount {
                        if i > 0 { raw.append(UInt8(ascii: ",")) }
                        let s = cellString(i)
                        var copy = s
                        copy.withUTF8 { appendCSVField($0, to: &raw) }
                    }
                    try raw.withUnsafeBufferPointer { try rejects.add(line: line, reason: problem.reason, text: $0) }
                }
                continue
            }
            var c: Int32 = 0, e: Int32 = 0, r: Int32 = -1
            text(0) { p, n in c = dictionaries.customer(p, n) }
            text(2) { p, n in e = dictionaries.type(p, n) }
            if refColumn >= 0 && statement.type(refColumn) != .null {
                text(refColumn) { p, n in if n > 0 { r = dictionaries.ref(p, n) } }
            }
            batch.customer.append(c)
            batch.time.append(t)
            batch.type.append(e)
            batch.value.append(v)
            batch.ref.append(r)
            if batch.count == Self.sqliteBatchRows { try deliver() }
        }
        try deliver()
    }

    /// Advances `statement`; SQLite errors name the event table.
    private func step(_ statement: SQLiteStatement, file: String) throws -> Bool {
        do { return try statement.step() } catch IOError.sqlite(_, let reason, _) {
            throw IngestError.cannotRead(file: file, reason: reason)
        }
    }
}
