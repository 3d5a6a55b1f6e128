#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decimal number parsing on UTF-8 bytes, correctly rounded (bit-identical to `strtod`).
///
/// Grammar: `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`. No spaces, no `nan`/`inf`,
/// no hexadecimal, no digit separators.
///
/// Fast path (Clinger): with at most 19 digits, a digit string `m ≤ 2^53` and a decimal exponent
/// `|e| ≤ 22`, both `m` and `10^|e|` are exact doubles, so the single IEEE multiply or divide
/// `m × 10^e` is the correctly rounded result. Everything else goes to `strtod` (C locale) on a
/// null-terminated copy.
enum NumberParser {
    /// Scans a number starting exactly at `start` and ending at or before `end`.
    ///
    /// - Returns: The value and the position just after the number, or nil if no number starts at
    ///   `start`. A decimal too large for `Double` gives ±infinity; callers must check `isFinite`.
    @inline(__always)
    static func scan(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (value: Double, next: UnsafePointer<UInt8>)? {
        var q = start
        var negative = false
        if q < end {
            // Branch-free: signs come and go at random in real data.
            let c = q.pointee
            negative = c == UInt8(ascii: "-")
            q += negative || c == UInt8(ascii: "+") ? 1 : 0
        }
        // Digits are accumulated with wrapping arithmetic; the value is only used when there are ≤ 19.
        var mantissa: UInt64 = 0
        var digitCount = digits(&q, end, &mantissa)
        var fractionDigits = 0
        if q < end && q.pointee == UInt8(ascii: ".") {
            q += 1
            fractionDigits = digits(&q, end, &mantissa)
            digitCount += fractionDigits
        }
        if digitCount == 0 { return nil }
        var exponent = -fractionDigits
        if q < end && (q.pointee | 0x20) == UInt8(ascii: "e") {
            var r = q + 1
            var exponentNegative = false
            if r < end {
                let c = r.pointee
                if c == UInt8(ascii: "-") { exponentNegative = true; r += 1 } else if c == UInt8(ascii: "+") { r += 1 }
            }
            let exponentStart = r
            var e = 0
            while r < end {
                let d = r.pointee &- UInt8(ascii: "0")
                if d > 9 { break }
                if e < 100_000 { e = e * 10 + Int(d) }  // beyond this strtod decides (0 or ±inf)
                r += 1
            }
            if r == exponentStart { return nil }
            exponent += exponentNegative ? -e : e
            q = r
        }
        if digitCount <= 19 {
            if mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
                var v = Double(mantissa)
                if exponent < 0 { v /= exactPowerOfTen(-exponent) } else { v *= exactPowerOfTen(exponent) }
                return (negative ? -v : v, q)
            }
            if mantissa == 0 { return (negative ? -0.0 : 0.0, q) }
        }
        return (strtodFallback(start, q), q)
    }

    /// Consumes the run of ASCII digits at `q`, appending them to `mantissa` (wrapping past 19 digits).
    ///
    /// Eight bytes at a time where eight are readable: a SWAR test finds where the run ends and
    /// three multiplies convert up to eight digits (Lemire's `parse_eight_digits_unrolled`).
    ///
    /// - Returns: The number of digits consumed.
    @inline(__always)
    static func digits(_ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ mantissa: inout UInt64) -> Int {
        let start = q
        while end - q >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(q).loadUnaligned(as: UInt64.self))
            // Non-zero in every byte that is not '0'...'9'.
            let highNibbles: UInt64 = (word & 0xF0F0_F0F0_F0F0_F0F0) ^ 0x3030_3030_3030_3030
            let lowAbove9: UInt64 = ((word & 0x0F0F_0F0F_0F0F_0F0F) &+ 0x0606_0606_0606_0606) & 0x1010_1010_1010_1010
            let nonDigit = highNibbles | lowAbove9
            let n = nonDigit.trailingZeroBitCount >> 3  // 8 when all are digits
            if n == 0 { break }
            // Keep the n digit values in the top bytes (the rest become leading zeros), then combine.
            var v = (word &- 0x3030_3030_3030_3030) &<< UInt64(64 - 8 * n)
            v = v &* 10 &+ (v >> 8)
            let mask: UInt64 = 0x0000_00FF_0000_00FF
            let high = (v & mask) &* 0x000F_4240_0000_0064  // 100 + 1_000_000 << 32
            let low = ((v >> 16) & mask) &* 0x0000_2710_0000_0001  // 1 + 10_000 << 32
            v = (high &+ low) >> 32
            mantissa = mantissa &* powerOfTen(n) &+ v
            q += n
            if n < 8 { return q - start }
        }
        while q < end {
            let d = q.pointee &- UInt8(ascii: "0")
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            q += 1
        }
        return q - start
    }

    /// 10^n for 0 ≤ n ≤ 8.
    @inline(__always)
    private static func powerOfTen(_ n: Int) -> UInt64 {
        switch n {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        default: return 100_000_000
        }
    }

    /// True if the bytes spell `nan`, `inf` or `infinity` (any case, optional sign).
    static func isNonFiniteName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var s = bytes[...]
        if let c = s.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { s = s.dropFirst() }
        let word = String(decoding: s, as: UTF8.self).lowercased()
        return word == "nan" || word == "inf" || word == "infinity"
    }

    /// 10^e for 0 ≤ e ≤ 22, all exactly representable. A switch compiles to a constant table.
    @inline(__always)
    static func exactPowerOfTen(_ e: Int) -> Double {
        switch e {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    /// `strtod` in the C locale on a null-terminated copy of `start..<end` (already validated).
    @inline(never)
    static func strtodFallback(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Double {
        let count = end - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
            let base = buffer.baseAddress!  // capacity ≥ 1
            UnsafeMutableRawPointer(base).copyMemory(from: start, byteCount: count)
            base[count] = 0
            #if canImport(Glibc)
            let previous = uselocale(cNumericLocale)
            defer { uselocale(previous) }
            #endif
            return strtod(base, nil)
        }
    }
}

#if canImport(Glibc)
/// The "C" numeric locale, so a process-wide `setlocale` cannot change the decimal point.
private let cNumericLocale = newlocale(Int32(1 << LC_NUMERIC), "C", nil)
#endif
