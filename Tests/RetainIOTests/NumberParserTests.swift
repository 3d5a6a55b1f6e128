import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import RetainCore
@testable import RetainIO

/// `NumberParser` against glibc `strtod`, bit for bit, with the Eisel–Lemire path checked directly too.
/// (`FeatureTableCSVTests.testNumbersAreCorrectlyRounded` covers the reader end to end.)
final class NumberParserTests: XCTestCase {
    // MARK: - Random decimals

    /// Pseudo-random decimals of every shape the grammar allows: 1–19 significant digits (a few
    /// longer), with or without a point, leading zeros (`0.000123`), signs, and exponents from e-350
    /// to e+310, mostly within ±30.
    func testRandomDecimalsMatchStrtod() {
        var rng = SeededGenerator(seed: 20_210_101)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        var mismatches: [String] = []
        var fastCount = 0
        var eligible = 0
        let n = 3_000_000
        for _ in 0..<n {
            let (w, q) = randomDecimal(&rng, into: &text)
            text.append(0)  // for strtod; scan stops before it
            let (expected, ok) = text.withUnsafeBufferPointer { b in
                let start = b.baseAddress!
                let expected = start.withMemoryRebound(to: CChar.self, capacity: b.count) { strtod($0, nil).bitPattern }
                let parsed = NumberParser.scan(start, start + b.count - 1)
                return (expected, parsed?.value.bitPattern == expected && parsed?.next == start + b.count - 1)
            }
            if !ok && mismatches.count < 10 { mismatches.append(String(decoding: text.dropLast(), as: UTF8.self)) }
            // The same (w, q) straight into Eisel–Lemire, unsigned.
            guard let w, w != 0 else { continue }
            eligible += 1
            if let v = NumberParser.eiselLemire(q: q, w: w) {
                fastCount += 1
                if v.bitPattern != expected & ~(1 << 63), mismatches.count < 10 {
                    mismatches.append("eiselLemire(q: \(q), w: \(w)) for " + String(decoding: text.dropLast(), as: UTF8.self))
                }
            }
        }
        XCTAssertEqual(mismatches, [])
        // Most ≤ 19-digit inputs are normal doubles that Eisel–Lemire decides (the rest are zeros,
        // subnormals and overflows from the wide exponents).
        XCTAssertGreaterThan(eligible, n * 3 / 4)
        XCTAssertGreaterThan(fastCount, eligible * 3 / 4, "Eisel–Lemire fell back too often")
    }

    /// Writes a random decimal into `text` (no terminator); returns its digits as an integer and its
    /// decimal exponent when it has at most 19 digits (leading zeros included, as `scan` counts them).
    private func randomDecimal(_ rng: inout SeededGenerator, into text: inout [UInt8]) -> (w: UInt64?, q: Int) {
        text.removeAll(keepingCapacity: true)
        switch rng.next() % 3 {
        case 0: text.append(UInt8(ascii: "-"))
        case 1: if rng.next() % 4 == 0 { text.append(UInt8(ascii: "+")) }
        default: break
        }
        // Significant digits: mostly 1–19, sometimes 20–24; the first is non-zero.
        let significant = rng.next() % 16 == 0 ? Int(rng.next() % 24) + 1 : Int(rng.next() % 19) + 1
        // Where the point goes: none, inside, before (".123"), after ("123."), or "0.000123".
        var count = 0  // digits written, leading zeros included
        var point = -1  // the point goes before significant digit `point` (-1: none)
        var fractionDigits = 0
        switch rng.next() % 5 {
        case 0: break
        case 1: point = Int(rng.next() % UInt64(significant + 1))
        case 2: point = 0
        case 3: point = significant
        default:
            let zeros = Int(rng.next() % 9)
            text.append(UInt8(ascii: "0"))
            text.append(UInt8(ascii: "."))
            text.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: zeros))
            count = 1 + zeros
            fractionDigits = zeros + significant
        }
        if point >= 0 { fractionDigits = significant - point }
        var w: UInt64 = 0  // wraps past 19 digits, then unused
        var bits = rng.next()  // 4 random bits a digit
        for i in 0..<significant {
            if i == point { text.append(UInt8(ascii: ".")) }
            if i == 16 { bits = rng.next() }
            let d = i == 0 ? (bits & 0xF) % 9 + 1 : (bits & 0xF) % 10
            bits >>= 4
            text.append(48 + UInt8(d))
            w = w &* 10 &+ d
        }
        if point == significant { text.append(UInt8(ascii: ".")) }
        count += significant
        var exponent = 0
        let kind = rng.next() % 10
        if kind >= 3 {
            exponent = kind < 8 ? Int(rng.next() % 61) - 30 : Int(rng.next() % 661) - 350
            text.append(rng.next() % 2 == 0 ? UInt8(ascii: "e") : UInt8(ascii: "E"))
            if exponent < 0 {
                text.append(UInt8(ascii: "-"))
            } else if rng.next() % 2 == 0 {
                text.append(UInt8(ascii: "+"))
            }
            let e = abs(exponent)
            if e >= 100 { text.append(48 + UInt8(e / 100)) }
            if e >= 10 { text.append(48 + UInt8(e / 10 % 10)) }
            text.append(48 + UInt8(e % 10))
        }
        return count <= 19 ? (w, exponent - fractionDigits) : (nil, 0)
    }

    // MARK: - Round trips

    /// The shortest round-trip text of random doubles (`"\(x)"`: mostly 16–17 digits, as our feature
    /// tables write them) parses back to the same double.
    func testShortestRoundTripsParseBack() {
        var rng = SeededGenerator(seed: 17)
        var mismatches: [String] = []
        var fastCount = 0
        let n = 300_000
        for i in 0..<n {
            let x: Double
            switch i % 3 {
            case 0:  // any finite bit pattern
                var b = rng.next()
                while Double(bitPattern: b).isNaN || Double(bitPattern: b).isInfinite { b = rng.next() }
                x = Double(bitPattern: b)
            case 1:  // feature-like ratios: 25.282002314814815, 0.44776119402985076
                x = Double(rng.next() % 100_000) / Double(rng.next() % 9_999 + 1)
            default:  // values in [1e-30, 1e30)
                x = Double(bitPattern: rng.next() >> 12 | UInt64(1023 - 100 + Int(rng.next() % 200)) << 52)
            }
            let text = Array("\(x)".utf8)
            if let parsed = scan(text), parsed.consumed == text.count, parsed.bits == x.bitPattern {
            } else if mismatches.count < 10 {
                mismatches.append("\(x)")
            }
            if let (w, q) = digitsAndExponent("\(x)"), w != 0, let v = NumberParser.eiselLemire(q: q, w: w) {
                fastCount += 1
                if v.bitPattern != x.magnitude.bitPattern, mismatches.count < 10 { mismatches.append("eiselLemire \(x)") }
            }
        }
        XCTAssertEqual(mismatches, [])
        XCTAssertGreaterThan(fastCount, n * 9 / 10)
    }

    // MARK: - Hard cases

    func testHalfwayAndBoundaryCasesMatchStrtod() {
        let cases = [
            // Exact ties between two doubles (round half to even) and their neighbours.
            "9007199254740992", "9007199254740993", "9007199254740994", "9007199254740995",
            "9007199254740997", "18014398509481986", "18014398509481990", "9223372036854775807",
            "9223372036854775808", "9223372036854776832", "9223372036854777856", "18446744073709551615",
            "562949953421312.0625", "562949953421312.1875", "4503599627370497.5", "4503599627370498.5",
            "900719925474099.3", "90071992547409.93e2", "9007199254740993e-1", "9007199254740993e0",
            "1e23", "1E+23", "8.589973e9", "1e22", "1e-22", "9.999999999999999e22", "7.2057594037927933e16",
            // Extremes of the double range.
            "8.988465674311579e307", "8.98846567431158e307", "1.7976931348623157e308",
            "1.7976931348623158e308", "1.797693134862315807e308", "1.7976931348623159e308", "1e308", "1e309",
            "1e400", "2.2250738585072014e-308", "2.2250738585072011e-308", "2.2250738585072012e-308",
            "2.225073858507201e-308", "4.9e-324", "5e-324", "2.4703282292062327e-324",
            "2.4703282292062328e-324", "1e-320", "1e-400", "1e-342", "1e-343", "123e-350", "1e-100000",
            "1e100000",
            // Everyday values, Clinger and not.
            "0", "0.0", "-0", "-0.0", "0e10", "0.000e-400", "1", "-1", "0.1", "0.2", "0.3", "-0.3", "1.5",
            "123.456", "25.282002314814815", "0.44776119402985076", "-0.44776119402985076",
            "0.000123", "0.0000000000000000001234", "3.0517578125e-5", "7.038531e-26", "1448997445238699",
            "+25.282002314814815", ".5", "5.", "-.5e-3", "1234567890123456789", "12345678901234567890",
            "1234567890123456789012345", "0.1234567890123456789", "1.00000000000000011102230246251565404",
            "4.35679265e-316",
        ]
        var mismatches: [String] = []
        for c in cases {
            let text = Array(c.utf8)
            let parsed = scan(text)
            if parsed?.consumed != text.count || parsed?.bits != strtodBits(text) { mismatches.append(c) }
        }
        XCTAssertEqual(mismatches, [])
    }

    /// Ties built as decimals of at most 19 digits: M × 2^e with M a 54-bit odd integer (the
    /// midpoint of two adjacent doubles), written exactly as M·2^e (e ≥ 0) or M·5^-e × 10^e (e < 0),
    /// plus the integers either side of each midpoint.
    func testGeneratedTiesMatchStrtod() {
        var rng = SeededGenerator(seed: 5)
        var mismatches: [String] = []
        var tested = 0
        for _ in 0..<100_000 {
            let midpoint = (rng.next() >> 10) | 1 << 53 | 1  // 54 bits, odd
            let e = Int(rng.next() % 16) - 5
            var w = midpoint
            var q = 0
            if e >= 0 {
                guard w.leadingZeroBitCount > e else { continue }
                w <<= UInt64(e)
            } else {
                let five = UInt64(pow(5.0, Double(-e)))
                let (p, overflow) = w.multipliedReportingOverflow(by: five)
                guard !overflow else { continue }
                w = p
                q = e
            }
            for delta: Int64 in [-1, 0, 1] {
                let v = w &+ UInt64(bitPattern: delta)
                guard v < 10_000_000_000_000_000_000 else { continue }
                let text = Array((q == 0 ? "\(v)" : "\(v)e\(q)").utf8)
                tested += 1
                let expected = strtodBits(text)
                if scan(text)?.bits != expected, mismatches.count < 10 { mismatches.append(String(decoding: text, as: UTF8.self)) }
                if let d = NumberParser.eiselLemire(q: q, w: v), d.bitPattern != expected, mismatches.count < 10 {
                    mismatches.append("eiselLemire(q: \(q), w: \(v))")
                }
            }
        }
        XCTAssertEqual(mismatches, [])
        XCTAssertGreaterThan(tested, 100_000)
    }

    // MARK: - Eisel–Lemire directly

    func testEiselLemireDecidesOrDefers() {
        // Decides the feature-table values (Clinger cannot: more than 2^53).
        XCTAssertEqual(NumberParser.eiselLemire(q: -15, w: 25_282_002_314_814_815), 25.282002314814815)
        XCTAssertEqual(NumberParser.eiselLemire(q: -17, w: 44_776_119_402_985_076), 0.44776119402985076)
        XCTAssertEqual(NumberParser.eiselLemire(q: 0, w: 9_007_199_254_740_993), 9_007_199_254_740_992)
        XCTAssertEqual(NumberParser.eiselLemire(q: 0, w: 9_007_199_254_740_995), 9_007_199_254_740_996)
        XCTAssertEqual(NumberParser.eiselLemire(q: 23, w: 1), 1e23)
        XCTAssertEqual(NumberParser.eiselLemire(q: 292, w: 17_976_931_348_623_157), .greatestFiniteMagnitude)
        XCTAssertEqual(NumberParser.eiselLemire(q: -324, w: 22_250_738_585_072_014), .leastNormalMagnitude)
        // Defers: zero, out-of-table exponents, subnormal results, overflow.
        XCTAssertNil(NumberParser.eiselLemire(q: 0, w: 0))
        XCTAssertNil(NumberParser.eiselLemire(q: -343, w: 1))
        XCTAssertNil(NumberParser.eiselLemire(q: 309, w: 1))
        XCTAssertNil(NumberParser.eiselLemire(q: -324, w: 5))
        XCTAssertNil(NumberParser.eiselLemire(q: -320, w: 1))
        XCTAssertNil(NumberParser.eiselLemire(q: 290, w: 9_999_999_999_999_999_999))

        // Random (w, q) over the whole table, mostly |q| ≤ 30.
        var rng = SeededGenerator(seed: 99)
        var mismatches: [String] = []
        var decided = 0
        let n = 400_000
        for i in 0..<n {
            let digits = Int(rng.next() % 19) + 1
            var w = rng.next() % 10_000_000_000_000_000_000
            for _ in digits..<19 { w /= 10 }
            let q = i % 4 == 0 ? Int(rng.next() % 651) - 342 : Int(rng.next() % 61) - 30
            guard let v = NumberParser.eiselLemire(q: q, w: w) else { continue }
            decided += 1
            let expected = strtodBits(Array("\(w)e\(q)".utf8))
            if v.bitPattern != expected, mismatches.count < 10 { mismatches.append("\(w)e\(q)") }
        }
        XCTAssertEqual(mismatches, [])
        XCTAssertGreaterThan(decided, n * 3 / 4)
    }

    // MARK: - Helpers

    /// `NumberParser.scan` over all of `text`: the value's bits and the bytes consumed.
    private func scan(_ text: [UInt8]) -> (bits: UInt64, consumed: Int)? {
        text.withUnsafeBufferPointer { b in
            let start = b.baseAddress!
            return NumberParser.scan(start, start + b.count).map { ($0.value.bitPattern, $0.next - start) }
        }
    }

    /// glibc `strtod` (the process runs in the C locale) on `text`, as bits.
    private func strtodBits(_ text: [UInt8]) -> UInt64 {
        var terminated = text
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { strtod($0.baseAddress!, nil).bitPattern }
        }
    }

    /// The digits (≤ 19, point removed) and decimal exponent of a `Double.description`, sign dropped.
    private func digitsAndExponent(_ text: String) -> (UInt64, Int)? {
        var w: UInt64 = 0
        var count = 0
        var fraction = 0
        var inFraction = false
        var exponent = 0
        var rest = Substring(text)
        if rest.first == "-" { rest = rest.dropFirst() }
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(rest[rest.index(after: e)...])!
            rest = rest[..<e]
        }
        for c in rest.utf8 {
            if c == UInt8(ascii: ".") { inFraction = true; continue }
            w = w &* 10 &+ UInt64(c - 48)
            count += 1
            if inFraction { fraction += 1 }
        }
        return count <= 19 ? (w, exponent - fraction) : nil
    }
}
