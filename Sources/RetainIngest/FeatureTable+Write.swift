import Foundation
import RetainCore
import RetainIO

extension FeatureTable {
    /// A column written into the CSV that is not one of the table's columns (e.g. `in_universe`
    /// beside the features, which a model must not take as a feature).
    public struct WrittenColumn: Sendable, Equatable {
        /// Header name.
        public var name: String
        /// Index of the table column it is written before (`columnCount`: after the last).
        public var position: Int
        /// One value per row (NaN: empty cell).
        public var values: [Double]

        public init(name: String, position: Int, values: [Double]) {
            self.name = name; self.position = position; self.values = values
        }
    }

    /// The table as CSV: `customer_id` (the ids, or 1-based row numbers without them), then
    /// `as_of` (YYYY-MM-DD, UTC) when `asOf` gives each row's instant, then one column per
    /// feature (with `extra`, if given, at its position). Missing values (NaN) are empty cells;
    /// numbers are written in the shortest form that reads back to the same double (integers
    /// without a decimal point).
    ///
    /// - Precondition: `asOf` and `extra`'s values, if given, have one entry per row; `extra`'s
    ///   position is in 0…columnCount.
    /// - Complexity: O(rows × columns).
    public func csv(asOf: [Double]? = nil, extra: WrittenColumn? = nil) -> [UInt8] {
        precondition(asOf == nil || asOf!.count == rowCount, "asOf must hold one instant per row")
        precondition(extra == nil || (extra!.values.count == rowCount && (0...columnCount).contains(extra!.position)),
                     "an extra column needs one value per row and a position among the columns")
        var out = [UInt8]()
        out.reserveCapacity(rowCount * (columnCount * 6 + 16) + 256)
        out.append(contentsOf: "customer_id".utf8)
        if asOf != nil { out.append(contentsOf: ",as_of".utf8) }
        let at = extra?.position ?? -1
        for (j, n) in columnNames.enumerated() {
            if j == at { out.append(0x2C); CSVText.appendField(extra!.name, into: &out) }
            out.append(0x2C); CSVText.appendField(n, into: &out)
        }
        if at == columnCount { out.append(0x2C); CSVText.appendField(extra!.name, into: &out) }
        out.append(0x0A)
        var lastDate = Double.nan, dateText = ""
        let p = columnCount
        values.withUnsafeBufferPointer { v in
            for r in 0..<rowCount {
                CSVText.appendField(ids?[r] ?? String(r + 1), into: &out)
                if let asOf {
                    if asOf[r] != lastDate { lastDate = asOf[r]; dateText = Timestamp.dateText(asOf[r]) }
                    out.append(0x2C); out.append(contentsOf: dateText.utf8)
                }
                for j in 0..<p {
                    if j == at { Self.appendCell(extra!.values[r], into: &out) }
                    Self.appendCell(v[r * p + j], into: &out)
                }
                if at == p { Self.appendCell(extra!.values[r], into: &out) }
                out.append(0x0A)
            }
        }
        return out
    }

    /// A comma and the number (nothing for NaN).
    @inline(__always)
    private static func appendCell(_ x: Double, into out: inout [UInt8]) {
        out.append(0x2C)
        if !x.isNaN { NumberFormat.appendShortest(x, into: &out) }
    }

    /// Writes ``csv(asOf:extra:)`` to `path` atomically, owner-only (mode 0600 whatever the umask:
    /// the table holds customer ids).
    ///
    /// - Throws: `IOError` when the file cannot be written.
    public func writeCSV(to path: String, asOf: [Double]? = nil, extra: WrittenColumn? = nil) throws {
        try AtomicFile.write(parts: [csv(asOf: asOf, extra: extra)], to: path, permissions: 0o600)
    }
}
