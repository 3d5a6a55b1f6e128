import Foundation
import RetainCore
import RetainIO

extension FeatureTable {
    /// The table as CSV: `customer_id` (the ids, or 1-based row numbers without them), then
    /// `as_of` (YYYY-MM-DD, UTC) when `asOf` gives each row's instant, then one column per
    /// feature. Missing values (NaN) are empty cells; numbers are written in the shortest form that
    /// reads back to the same double (integers without a decimal point).
    ///
    /// - Precondition: `asOf`, if given, has one entry per row.
    /// - Complexity: O(rows × columns).
    public func csv(asOf: [Double]? = nil) -> [UInt8] {
        precondition(asOf == nil || asOf!.count == rowCount, "asOf must hold one instant per row")
        var out = [UInt8]()
        out.reserveCapacity(rowCount * (columnCount * 6 + 16) + 256)
        out.append(contentsOf: "customer_id".utf8)
        if asOf != nil { out.append(contentsOf: ",as_of".utf8) }
        for n in columnNames { out.append(0x2C); CSVText.appendField(n, into: &out) }
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
                    out.append(0x2C)
                    let x = v[r * p + j]
                    if !x.isNaN { NumberFormat.appendShortest(x, into: &out) }
                }
                out.append(0x0A)
            }
        }
        return out
    }

    /// Writes ``csv(asOf:)`` to `path` atomically, owner-only (mode 0600 whatever the umask: the
    /// table holds customer ids).
    ///
    /// - Throws: `IOError` when the file cannot be written.
    public func writeCSV(to path: String, asOf: [Double]? = nil) throws {
        try AtomicFile.write(parts: [csv(asOf: asOf)], to: path, permissions: 0o600)
    }
}
