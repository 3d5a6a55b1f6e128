import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO

/// `NumberFormat` against verbatim copies of the formatters it replaced, on many values.
final class NumberFormatTests: XCTestCase {
    // MARK: The replaced formatters (copied verbatim, renamed)

    /// `FeatureTable.appendNumber` (RetainIngest/FeatureTable+Write.swift).
    static func oldFeatureTable(_ x: Double, to out: inout [UInt8]) {
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

    /// `ScoreBatch.appendFixed` (RetainScoring/ScoreBatch.swift).
    static func oldFixed(_ v: Double, digits: Int, into out: inout [UInt8]) {
        let scale = digits == 6 ? 1e6 : digits == 2 ? 1e2 : pow(10, Double(digits))
        guard v.isFinite, abs(v) < 1e12 else { out.append(contentsOf: String(format: "%.\(digits)f", v).utf8); return }
        var units = Int64((abs(v) * scale).rounded())
        if v < 0 && units > 0 { out.append(45) }
        let p = Int64(scale)
        oldInteger(units / p, into: &out)
        units %= p
        if digits > 0 {
            out.append(46)
            let start = out.count
            for _ in 0..<digits { out.append(48) }
            var k = out.count - 1
            while units > 0 && k >= start { out[k] = UInt8(48 + units % 10); units /= 10; k -= 1 }
        }
    }

    /// `ReasonCodes.appendNumber` (RetainScoring/ReasonCodes.swift).
    static func oldReason(_ v: Double, into out: inout [UInt8]) {
        guard v.isFinite else { out.append(UInt8(ascii: "?")); return }
        if v == v.rounded(), abs(v) < 1e15 { oldInteger(Int64(v), into: &out); return }
        guard abs(v) < 1e13 else { out.append(contentsOf: String(format: "%.2f", v).utf8); return }
        let cents = Int64((abs(v) * 100).rounded())
        if v < 0 && cents > 0 { out.append(UInt8(ascii: "-")) }
        oldInteger(cents / 100, into: &out)
        let frac = cents % 100
        out.append(UInt8(ascii: "."))
        out.append(UInt8(48 + frac / 10))
        out.append(UInt8(48 + frac % 10))
    }

    /// `ReasonCodes.appendInteger` (RetainScoring/ReasonCodes.swift).
    static func oldInteger(_ n: Int64, into out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var m = n.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[19 - count] = UInt8(48 + m % 10); m /= 10; count += 1 } while m > 0
            out.append(contentsOf: d[(20 - count)...])
        }
    }

    /// The cell of `CLVAnalysis.predictionsCSV` (RetainScoring/CLVPredictions.swift), without the comma.
    static func oldCLV(_ v: Double, into out: inout [UInt8]) {
        guard v.isFinite else { return }
        if v == v.rounded(), abs(v) < 1e15 { out.append(contentsOf: String(Int(v)).utf8) } else { out.append(contentsOf: v.description.utf8) }
    }

    /// `ListExport.number` and `ListExport.jsonNumber` (RetainStore/ListExport.swift).
    static func oldList(_ x: Double) -> String { x.isFinite ? "\(x)" : "" }
    static func oldJSON(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }

    // MARK: The values

    /// Random doubles (every sign, exponent and bit pattern), tiny and huge magnitudes, NaN, ±∞,
    /// ±0, integers near 2^53 and 1e15, and values at half-cent and half-micro boundaries.
    static let values: [Double] = {
        var g = SeededGenerator(seed: 20251202)
        var v: [Double] = [0, -0.0, .nan, -.nan, .infinity, -.infinity, .ulpOfOne, .leastNonzeroMagnitude,
                           -.leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                           0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 1e-7, 1e-5, 5e-7, 4e-7, 1e12, -1e12, 1e13, 1e15, -1e15, 1e16,
                           999_999_999_999.995, 9_999_999_999_999.99, 0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 0.375]
        for base in [0x1p53, 1e15, 1e13, 1e12, 0x1p63] {
            for k in -3...3 { v.append(base + Double(k)); v.append(-(base + Double(k))); v.append(base.nextUp); v.append(base.nextDown) }
        }
        // Half cents, half micros and their neighbours.
        for c in 0..<2000 {
            let cents = (Double(c) + 0.5) / 100, micros = (Double(c) + 0.5) / 1e6
            for x in [cents, cents.nextUp, cents.nextDown, micros, micros.nextUp, micros.nextDown, Double(c) / 100, Double(c) / 8] {
                v.append(x); v.append(-x); v.append(x + Double(c * 977))
            }
        }
        for _ in 0..<20_000 {
            v.append(Double(bitPattern: g.next()))                               // any bit pattern
            v.append(Double(Int64(bitPattern: g.next()) >> Int(g.next() % 64)))  // integers of every size
            let m = Double(g.next() % 1_000_000_000) / 1e9
            v.append((m - 0.5) * pow(10, Double(Int(g.next() % 40) - 20)))        // tiny to huge
            v.append(m)                                                           // probabilities
            v.append((m * 1e6).rounded() / 100)                                   // money
        }
        return v
    }()

    private func text(_ body: (inout [UInt8]) -> Void) -> String {
        var b: [UInt8] = [UInt8(ascii: "#")]  // formatters append; they must not touch what is there
        body(&b)
        return String(decoding: b, as: UTF8.self)
    }

    // MARK: Tests

    func testShortestMatchesTheFeatureTableWriter() {
        for x in Self.values {
            let old = text { Self.oldFeatureTable(x, to: &$0) }
            let new = text { if !x.isNaN { NumberFormat.appendShortest(x, into: &$0) } }
            XCTAssertEqual(new, old, "\(x.bitPattern)")
        }
    }

    func testShortestMatchesTheCLVAndListWriters() {
        for x in Self.values {
            XCTAssertEqual(text { if x.isFinite { NumberFormat.appendShortest(x, wholeBelow: 1e15, into: &$0) } },
                           text { Self.oldCLV(x, into: &$0) }, "\(x.bitPattern)")
            XCTAssertEqual(text { if x.isFinite { NumberFormat.appendShortest(x, wholeBelow: 0, into: &$0) } },
                           "#" + Self.oldList(x), "\(x.bitPattern)")
            XCTAssertEqual(text { if x.isFinite { NumberFormat.appendShortest(x, wholeBelow: 0, into: &$0) } else { $0 += "null".utf8 } },
                           "#" + Self.oldJSON(x), "\(x.bitPattern)")
        }
    }

    func testFixedMatchesTheScoresWriter() {
        for x in Self.values {
            for d in [6, 2] {
                XCTAssertEqual(text { NumberFormat.appendFixed(x, digits: d, into: &$0) },
                               text { Self.oldFixed(x, digits: d, into: &$0) }, "\(x.bitPattern) digits \(d)")
            }
        }
    }

    func testFixedMatchesTheReasonWriter() {
        for x in Self.values {
            XCTAssertEqual(text { if x.isFinite { NumberFormat.appendFixed(x, digits: 2, wholeBelow: 1e15, printfFrom: 1e13, into: &$0) } else { $0.append(UInt8(ascii: "?")) } },
                           text { Self.oldReason(x, into: &$0) }, "\(x.bitPattern)")
        }
    }

    func testIntegerMatchesTheReasonWriter() {
        var g = SeededGenerator(seed: 7)
        var ns: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, .max, .min, .max - 1, .min + 1, 1 << 53, -(1 << 53)]
        for _ in 0..<50_000 { ns.append(Int64(bitPattern: g.next()) >> Int(g.next() % 64)) }
        for n in ns {
            XCTAssertEqual(text { NumberFormat.appendInteger(n, into: &$0) }, text { Self.oldInteger(n, into: &$0) }, "\(n)")
            XCTAssertEqual(text { NumberFormat.appendInteger(n, into: &$0) }, "#" + String(n))
        }
    }

    func testShortestWritesWholeNumbersBareAndOthersRoundTripping() {
        XCTAssertEqual(text { NumberFormat.appendShortest(3, into: &$0) }, "#3")
        XCTAssertEqual(text { NumberFormat.appendShortest(-0.0, into: &$0) }, "#0")
        XCTAssertEqual(text { NumberFormat.appendShortest(0.1, into: &$0) }, "#0.1")
        XCTAssertEqual(text { NumberFormat.appendShortest(1e-7, into: &$0) }, "#1e-07")
        XCTAssertEqual(text { NumberFormat.appendShortest(0x1p53, into: &$0) }, "#9007199254740992.0")
        XCTAssertEqual(text { NumberFormat.appendShortest(1, wholeBelow: 0, into: &$0) }, "#1.0")
        XCTAssertEqual(text { NumberFormat.appendShortest(-.infinity, into: &$0) }, "#-inf")
    }

    func testFixedDecimalsRoundHalfAwayAndKeepTheSign() {
        func fixed(_ v: Double, _ d: Int) -> String { var b: [UInt8] = []; NumberFormat.appendFixed(v, digits: d, into: &b); return String(decoding: b, as: UTF8.self) }
        XCTAssertEqual(fixed(0.0000004, 6), "0.000000")
        XCTAssertEqual(fixed(0.0000005, 6), "0.000001")
        XCTAssertEqual(fixed(-2.5, 2), "-2.50")
        XCTAssertEqual(fixed(-0.001, 2), "0.00")
        XCTAssertEqual(fixed(1234567.891, 2), "1234567.89")
        XCTAssertEqual(fixed(2e12, 2), "2000000000000.00")
        XCTAssertEqual(fixed(.nan, 2), "nan")
        XCTAssertEqual(fixed(0.125, 2), "0.13")
        XCTAssertEqual(fixed(7, 0), "7")
    }
}
