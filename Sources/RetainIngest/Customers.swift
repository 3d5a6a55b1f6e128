import Foundation
import RetainCore
import RetainIO

/// The optional customers file: one row per customer with a signup date and any attributes
/// (`email`, `plan`, …) carried through to exports.
///
/// CSV as for the event log (header, RFC 4180 quotes without line breaks inside fields, `\n` or
/// `\r\n`, optional byte-order mark, gzip recognised by its magic bytes). Every column other than
/// the id and the signup date is an attribute, kept as text exactly as written.
public struct Customers: Sendable, Equatable {
    /// Customer ids in file order.
    public var ids: [String]
    /// Signup instant (Unix seconds, UTC) of each customer; NaN when empty or when there is no signup column.
    public var signup: [Double]
    /// Attribute column names in file order.
    public var attributeNames: [String]
    /// `attributes[j][i]`: attribute `j` of customer `i`.
    public var attributes: [[String]]
    /// The file read.
    public var source: String

    /// Number of customers.
    public var count: Int { ids.count }

    /// Signup instants by customer id, for customers that have one (the feature builder's input).
    public var signups: [String: Double] {
        var out = [String: Double](minimumCapacity: ids.count)
        for (id, t) in zip(ids, signup) where !t.isNaN { out[id] = t }
        return out
    }

    /// The values of attribute `name`, one per customer, or nil if there is no such column.
    public func attribute(_ name: String) -> [String]? {
        attributeNames.firstIndex(of: name).map { attributes[$0] }
    }

    public init(ids: [String], signup: [Double], attributeNames: [String], attributes: [[String]], source: String) {
        self.ids = ids
        self.signup = signup
        self.attributeNames = attributeNames
        self.attributes = attributes
        self.source = source
    }

    /// Reads a customers file.
    ///
    /// - Parameters:
    ///   - path: The file (plain or gzip); it appears in messages as given.
    ///   - idColumn: The customer id column (required). Default `customer_id`.
    ///   - signupColumn: The signup date column: an ISO-8601 date or date-time, or Unix seconds.
    ///     Optional under its default name `signup_date`; an empty cell is no signup date.
    /// - Throws: `IngestError` (unreadable or empty file, missing id column, wrong field count,
    ///   bad quotes) or `IngestError` (empty id, bad signup date, a customer listed twice),
    ///   naming the file and line but never a customer id.
    /// - Complexity: O(file size).
    public static func read(path: String, idColumn: String = "customer_id", signupColumn: String = "signup_date") throws -> Customers {
        let source = try LineSource(path: path)
        guard let (headerText, headerLine) = try source.readHeader() else { throw IngestError.empty(file: path) }
        let header = try EventLogReader.parseHeader(headerText, file: path, line: headerLine)
        var firstIndex: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            if firstIndex[name] != nil { throw IngestError.duplicateColumn(file: path, column: name) }
            firstIndex[name] = i
        }
        guard let idIndex = firstIndex[idColumn] else {
            throw IngestError.missingColumn(file: path, column: idColumn, available: header)
        }
        let signupIndex = firstIndex[signupColumn] ?? -1
        if signupIndex < 0 && signupColumn != "signup_date" {
            throw IngestError.missingColumn(file: path, column: signupColumn, available: header)
        }
        let attributeIndex = header.indices.filter { $0 != idIndex && $0 != signupIndex }

        var result = Customers(ids: [], signup: [], attributeNames: attributeIndex.map { header[$0] },
                               attributes: Array(repeating: [], count: attributeIndex.count), source: path)
        var lineOf: [String: Int] = [:]
        let F = header.count
        let fields = UnsafeMutablePointer<FieldSpan>.allocate(capacity: F)
        defer { fields.deallocate() }
        let block = LineBlock(capacity: 1 << 20)
        var scratch = [UInt8]()
        var lineBase = headerLine
        func string(_ f: FieldSpan) -> String { String(decoding: UnsafeBufferPointer(start: f.start, count: f.count), as: UTF8.self) }
        while try IOError.numberingLine(line: lineBase + 1, { try source.nextBlock(block, blockSize: 1 << 20) }) {
            if scratch.count < block.count + 32 { scratch = [UInt8](repeating: 0, count: block.count + 32) }
            try scratch.withUnsafeMutableBufferPointer { scratchBuffer in
                let scratch = scratchBuffer.baseAddress!  // count ≥ 32
                var p = UnsafePointer(block.bytes)
                let end = p + block.count
                while p < end {
                    lineBase += 1
                    if p.pointee == 0x0A { p += 1; continue }
                    if p.pointee == 0x0D && p[1] == 0x0A { p += 2; continue }
                    let found = splitLine(&p, fields, F, scratch)
                    if found < 0 {
                        let column = -1 - found
                        throw IngestError.badQuotes(file: path, line: lineBase, column: column < F ? header[column] : "#\(column + 1)")
                    }
                    guard found == F else { throw IngestError.fieldCount(file: path, line: lineBase, found: found, expected: F) }
                    let idField = fields[idIndex]
                    guard idField.count > 0 else { throw IngestError.emptyField(file: path, line: lineBase, column: idColumn) }
                    let id = string(idField)
                    if let first = lineOf[id] { throw IngestError.duplicateCustomer(file: path, line: lineBase, firstLine: first) }
                    lineOf[id] = lineBase
                    var t = Double.nan
                    if signupIndex >= 0 {
                        let f = fields[signupIndex]
                        var s = f.start, e = f.start + f.count
                        while s < e && (s.pointee == 0x20 || s.pointee == 0x09) { s += 1 }
                        while e > s && (e[-1] == 0x20 || e[-1] == 0x09) { e -= 1 }
                        if s < e {
                            t = Timestamp.parse(s, e - s)
                            if t.isNaN {
                                throw IngestError.badTimestamp(file: path, line: lineBase, column: signupColumn,
                                                                 cell: CellShape(bytes: UnsafeBufferPointer(start: f.start, count: f.count)),
                                                                 problem: Timestamp.problem(s, e - s))
                            }
                        }
                    }
                    result.ids.append(id)
                    result.signup.append(t)
                    for (j, i) in attributeIndex.enumerated() { result.attributes[j].append(string(fields[i])) }
                }
            }
        }
        guard !result.ids.isEmpty else { throw IngestError.empty(file: path) }
        return result
    }
}
