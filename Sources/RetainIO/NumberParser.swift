import CRetainSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RetainCore

/// Decimal number parsing on UTF-8 bytes, correctly rounded (bit-identical to `strtod`).
///
/// Grammar: `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`. No spaces, no `nan`/`inf`,
/// no hexadecimal, no digit separators.
///
/// Fast path 1 (Clinger): with at most 19 digits, a digit string `m ≤ 2^53` and a decimal exponent
/// `|e| ≤ 22`, both `m` and `10^|e|` are exact doubles, so the single IEEE multiply or divide
/// `m × 10^e` is the correctly rounded result.
///
/// Fast path 2 (Eisel–Lemire, see `eiselLemire(q:w:)`): any other string of at most 19 digits, so
/// that `m` is exact in a `UInt64` (e.g. the 16–17 significant digits of a shortest round-trip
/// double), is multiplied by a 128-bit truncated power of five; the product decides the rounding
/// except in rare cases, which it detects.
///
/// Everything else — more than 19 digits, subnormal results, overflow, the rare undecided products —
/// goes to `strtod` (C locale) on a null-terminated copy (about 120 ns).
package enum NumberParser {
    /// Scans a number starting exactly at `start` and ending at or before `end`.
    ///
    /// - Returns: The value and the position just after the number, or nil if no number starts at
    ///   `start`. A decimal too large for `Double` gives ±infinity; callers must check `isFinite`.
    @inline(__always)
    package static func scan(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (value: Double, next: UnsafePointer<UInt8>)? {
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
            if let v = eiselLemire(q: exponent, w: mantissa) { return (negative ? -v : v, q) }
        }
        return (strtodFallback(start, q), q)
    }

    /// The correctly rounded double nearest `w × 10^q`, or nil where `strtod` must decide.
    ///
    /// Eisel–Lemire (Lemire, "Number Parsing at a Gigabyte per Second", 2021; fast_float's
    /// `compute_float`): `w`, normalised so its top bit is set, times the 128-bit truncated 5^q
    /// (`retain_pow5_128`, from `scripts/gen_pow5_table.py`) gives the top 54 bits of the result plus
    /// enough bits below them to round correctly, the power of two coming from `q × log2(10)`. Nil
    /// for `w == 0`, `q` outside -342...308, a subnormal or infinite result, and the rare product
    /// whose low word is all ones outside q in -27...55 (the truncation could have hidden a carry).
    ///
    /// - Parameters:
    ///   - q: The decimal exponent.
    ///   - w: The decimal digits as an integer (at most 19 digits, so exact).
    /// - Returns: A positive finite normal double, or nil.
    @inline(__always)
    package static func eiselLemire(q: Int, w: UInt64) -> Double? {
        if w == 0 || q < -342 || q > 308 { return nil }
        let lz = w.leadingZeroBitCount
        let w = w << UInt64(lz)
        // Enough of w × 5^q: the high word of the table entry, and the low word only when the bits
        // below the 55 that matter are all ones (a carry from below could change them).
        var (high, low) = w.multipliedFullWidth(by: retain_pow5_high(q))
        let precisionMask = UInt64.max >> 55
        if high & precisionMask == precisionMask {
            let second = w.multipliedFullWidth(by: retain_pow5_low(q))
            low &+= second.high
            if second.high > low { high &+= 1 }
        }
        if low == UInt64.max && (q < -27 || q > 55) { return nil }
        let upperBit = high >> 63
        let shift = upperBit + 9
        var mantissa = high >> shift
        // floor(q × log2(10)) + 63 for |q| ≤ 342, plus the normalisation, biased by 1023.
        var power2 = ((q &* (152_170 + 65_536)) >> 16) + 63 + Int(upperBit) - lz + 1023
        if power2 <= 0 { return nil }  // subnormal: strtod
        // A product exactly halfway between two doubles (possible only for -4 ≤ q ≤ 23): ties to even.
        if low <= 1 && q >= -4 && q <= 23 && mantissa & 3 == 1 && mantissa << shift == high {
            mantissa &= ~1
        }
        mantissa += mantissa & 1
        mantissa >>= 1
        if mantissa >= 2 << 52 {
            mantissa = 1 << 52
            power2 += 1
        }
        mantissa &= ~(1 << 52)
        if power2 >= 0x7FF { return nil }  // overflow: strtod gives ±infinity
        return Double(bitPattern: UInt64(power2) << 52 | mantissa)
    }

    /// Consumes the run of ASCII digits at `q`, appending them to `mantissa` (wrapping past 19 digits).
    ///
    /// Eight bytes at a time where eight are readable: a SWAR test finds where the run ends and
    /// three multiplies convert up to eight digits (Lemire's `parse_eight_digits_unrolled`).
    ///
    /// - Returns: The number of digits consumed.
    @inline(__always)
    package static func digits(_ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ mantissa: inout UInt64) -> Int {
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
    package static func isNonFiniteName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var s = bytes[...]
        if let c = s.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { s = s.dropFirst() }
        let word = String(decoding: s, as: UTF8.self).lowercased()
        return word == "nan" || word == "inf" || word == "infinity"
    }

    /// 10^e for 0 ≤ e ≤ 22, all exactly representable. A switch compiles to a constant table.
    @inline(__always)
    package static func exactPowerOfTen(_ e: Int) -> Double {
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
    package static func strtodFallback(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Double {
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
