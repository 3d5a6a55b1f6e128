import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

extension FeatureMatrix {
    /// The matrix as CSV: `customer_id`, then `as_of` (YYYY-MM-DD) when `includeDate`, then one
    /// column per feature. Missing values (NaN) are empty cells; numbers are written in the
    /// shortest form that reads back to the same double (integers without a decimal point).
    ///
    /// - Complexity: O(rows × columns).
    public func csv(includeDate: Bool) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(rowCount * (names.count * 6 + 16) + 256)
        func append(_ s: String) { out.append(contentsOf: s.utf8) }
        func appendField(_ s: String) {
            if s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                append("\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"")
            } else {
                append(s)
            }
        }
        append("customer_id")
        if includeDate { append(",as_of") }
        for n in names { out.append(0x2C); appendField(n) }
        out.append(0x0A)
        var lastDate = Double.nan, dateText = ""
        let p = names.count
        values.withUnsafeBufferPointer { v in
            for r in 0..<rowCount {
                appendField(customerIDs[r])
                if includeDate {
                    if asOf[r] != lastDate { lastDate = asOf[r]; dateText = formatDate(asOf[r]) }
                    out.append(0x2C); append(dateText)
                }
                for j in 0..<p {
                    out.append(0x2C)
                    appendNumber(v[r * p + j], to: &out)
                }
                out.append(0x0A)
            }
        }
        return Data(out)
    }
}

/// Appends a double in shortest round-trip form; integers (|x| < 2^53) without a fraction; NaN as nothing.
@inline(__always)
func appendNumber(_ x: Double, to out: inout [UInt8]) {
    if x.isNaN { return }
    if x == x.rounded(.towardZero) && abs(x) < 9_007_199_254_740_992 {
        var n = Int64(x)
        if n == 0 { out.append(0x30); return }
        if n < 0 { out.append(0x2D); n = -n }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while n > 0 { d[count] = UInt8(48 + n % 10); n /= 10; count += 1 }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(d[i]) }
        }
        return
    }
    out.append(contentsOf: x.description.utf8)
}

/// `YYYY-MM-DD` of a Unix time (UTC).
public func formatDate(_ t: Double) -> String {
    let date = CivilDate(daysSinceEpoch: Int((t / Day.seconds).rounded(.down)))
    return String(format: "%04d-%02d-%02d", date.year, date.month, date.day)
}
