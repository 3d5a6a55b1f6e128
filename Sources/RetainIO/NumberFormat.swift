import Foundation
import RetainCore

/// Writing numbers as UTF-8 bytes for CSV, list and reason text: the one number formatter of
/// every writer (feature tables, the scores CSV, reason texts, CLV predictions, list exports).
///
/// Each writer keeps its own convention for missing values (an empty cell, `null`, `?`) and
/// calls these functions only for the numbers it writes; the remaining differences between
/// writers are parameters (`wholeBelow`, `printfFrom`).
package enum NumberFormat {
    /// 2^53: every whole double below it in magnitude is an exact `Int64`.
    package static let exactIntegerLimit: Double = 9_007_199_254_740_992

    /// Appends the decimal digits of `n`, with a `-` when negative.
    ///
    /// - Complexity: O(digits).
    @inlinable
    package static func appendInteger(_ n: Int64, into out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var m = n.magnitude
        if m < 10 { out.append(48 &+ UInt8(truncatingIfNeeded: m)); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { d in
            var i = 20
            repeat { i -= 1; d[i] = 48 &+ UInt8(truncatingIfNeeded: m % 10); m /= 10 } while m > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: d[i...]))
        }
    }

    /// Appends `x` in the shortest form that reads back to the same double (Swift's
    /// `description`: `0.1`, `1e-07`, `1.0`), except that whole numbers with `|x| < wholeBelow`
    /// are written as integers without a fraction (`3`, `-12`, `0` for `-0.0`).
    ///
    /// NaN and ±∞ are written as `nan`, `inf`, `-inf`; writers with another convention for them
    /// test `isFinite` first.
    ///
    /// - Parameter wholeBelow: Magnitude below which whole numbers are written bare; at most
    ///   2^53 (the default). `0` writes every value in `description` form (`1.0`).
    @inlinable
    package static func appendShortest(_ x: Double, wholeBelow: Double = exactIntegerLimit, into out: inout [UInt8]) {
        if x == x.rounded(.towardZero) && abs(x) < wholeBelow {
            appendInteger(Int64(x), into: &out)
        } else {
            appendDescription(x, into: &out)
        }
    }

    @usableFromInline
    static func appendDescription(_ x: Double, into out: inout [UInt8]) {
        out.append(contentsOf: x.description.utf8)
    }

    /// Appends `x` with exactly `digits` decimals (`0.123457`, `12.50`, `-3.00`): `|x| × 10^digits`
    /// is rounded half away from zero, and `-` is written only when a non-zero digit follows.
    ///
    /// - Parameters:
    ///   - digits: Decimals after the point, 0...18 (none and no point for 0).
    ///   - wholeBelow: Whole numbers with a magnitude below it are written as integers without
    ///     decimals (`3`); the default `0` never does.
    ///   - printfFrom: Magnitudes at or above it, and NaN and ±∞, are written by `%.*f` (`nan`, `inf`).
    @inlinable
    package static func appendFixed(_ x: Double, digits: Int, wholeBelow: Double = 0, printfFrom: Double = 1e12,
                                    into out: inout [UInt8]) {
        if x == x.rounded() && abs(x) < wholeBelow { appendInteger(Int64(x), into: &out); return }
        guard x.isFinite, abs(x) < printfFrom else { appendPrintf(x, digits: digits, into: &out); return }
        let scale = digits == 6 ? 1e6 : digits == 2 ? 1e2 : pow(10, Double(digits))
        var units = Int64((abs(x) * scale).rounded())
        if x < 0 && units > 0 { out.append(UInt8(ascii: "-")) }
        let p = Int64(scale)
        appendInteger(units / p, into: &out)
        units %= p
        if digits > 0 {
            out.append(UInt8(ascii: "."))
            let start = out.count
            for _ in 0..<digits { out.append(48) }
            var k = out.count - 1
            while units > 0 && k >= start { out[k] = 48 &+ UInt8(truncatingIfNeeded: units % 10); units /= 10; k -= 1 }
        }
    }

    @usableFromInline
    static func appendPrintf(_ x: Double, digits: Int, into out: inout [UInt8]) {
        out.append(contentsOf: String(format: "%.\(digits)f", x).utf8)
    }
}
