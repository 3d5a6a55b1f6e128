import RetainCore
// Event timestamps: text to Unix seconds (UTC), on UTF-8 bytes, without Foundation's formatters.
//
// Accepted forms (spaces and tabs around the text are ignored):
//
//   2025-03-04                    a date: 00:00:00 UTC of that day
//   2025-03-04T10:22:31Z          a date-time; the separator may be `T`, `t` or one space
//   2025-03-04T10:22              seconds may be left out
//   2025-03-04T10:22:31.123Z      any number of fraction digits after the seconds
//   2025-03-04T10:22:31+02:00     an offset `±hh:mm`, `±hhmm` or `±hh` (subtracted to get UTC)
//   2025-03-04 10:22:31           no zone: read as UTC (SQLite's `datetime()` writes UTC this way)
//   1741083751, 1741083751.5      Unix seconds (a decimal number; an exponent and a sign are allowed;
//                                 at most 253402300799 = year 9999 in size, so milliseconds are caught)
//
// Years have exactly four digits; months, days, hours, minutes, seconds and offset parts exactly two.
// Ranges are checked: month 1–12, day within the month (leap years by the Gregorian rule), hour
// 0–23, minute and second 0–59 (no leap second, no `24:00`), offset hours 0–23 and minutes 0–59.

/// Why a text is not a timestamp (the parenthesis in the error message).
public enum TimestampProblem: Error, Equatable, Sendable {
    /// Neither ISO-8601 nor a number.
    case format
    /// Month outside 1–12.
    case month(Int)
    /// Day 0 or past the end of the month.
    case day(year: Int, month: Int, day: Int)
    /// Hour, minute, second or offset part out of range; `part` names it.
    case time(part: String, value: Int)
    /// A number that is not finite (`1e400`).
    case notFinite
    /// Unix seconds outside years 0000–9999 (often milliseconds or microseconds since 1970).
    case unixRange

    /// The explanation shown after "not a date": what is wrong, without the date's digits (they
    /// are cell content; error messages never quote a cell).
    public var explanation: String {
        switch self {
        case .format:
            return "expected ISO-8601 or Unix seconds"
        case .month:
            return "the month is not 01–12"
        case .day:
            return "the day does not exist in its month"
        case let .time(part, _):
            return "the \(part) is not " + (part.hasSuffix("hour") ? "00–23" : "00–59")
        case .notFinite:
            return "Unix seconds must be a finite number"
        case .unixRange:
            return "Unix seconds outside years 0000–9999; milliseconds? divide by 1000"
        }
    }
}

/// Parses event timestamps to Unix seconds (UTC) as `Double`.
public enum Timestamp {
    /// 9999-12-31T23:59:59Z; 0000-01-01 is about −6.2e10. Larger magnitudes are rejected, which
    /// catches logs in milliseconds.
    package static let maxUnixSeconds = 253_402_300_799.0

    /// Unix seconds (UTC) of `text`, or the reason it is not a timestamp.
    ///
    /// - Parameter text: One of the forms listed at the top of `Timestamp.swift`.
    /// - Returns: Seconds since 1970-01-01T00:00:00Z; fractional seconds are kept.
    public static func parse(_ text: String) -> Result<Double, TimestampProblem> {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return .failure(.format) }
            let value = parse(base, bytes.count)
            return value.isNaN ? .failure(problem(base, bytes.count)) : .success(value)
        }
    }

    /// Unix seconds of the `count` bytes at `p`, or NaN if they are not a timestamp (then call
    /// ``problem(_:_:)`` for the reason).
    ///
    /// The bytes need not be terminated; nothing past `p + count` is read.
    ///
    /// - Complexity: O(count); about 10 ns for `2025-03-04T10:22:31Z`.
    @inline(__always)
    package static func parse(_ p: UnsafePointer<UInt8>, _ count: Int) -> Double {
        var start = p, end = p + count
        while start < end && (start.pointee == 0x20 || start.pointee == 0x09) { start += 1 }
        while end > start && (end[-1] == 0x20 || end[-1] == 0x09) { end -= 1 }
        let n = end - start
        if n >= 10 && start[4] == UInt8(ascii: "-") {
            switch parseISO(start, n) {
            case let .success(t): return t
            case .failure: return .nan
            }
        }
        guard n > 0, let (value, next) = NumberParser.scan(start, end), next == end, abs(value) <= maxUnixSeconds else { return .nan }
        return value
    }

    /// The last date seen in the common form `YYYY-MM-DDThh:mm:ssZ`, so that a log in time order
    /// parses each date once.
    package struct Cache {
        var dateWord: UInt64 = 0
        var dateTail: UInt16 = 0
        var dateSeconds = Double.nan
        package init() {}
        init(dateWord: UInt64, dateTail: UInt16, dateSeconds: Double) { self.dateWord = dateWord; self.dateTail = dateTail; self.dateSeconds = dateSeconds }
    }

    /// ``parse(_:_:)`` with a fast path for `YYYY-MM-DDThh:mm:ssZ` (20 bytes): the date part is
    /// looked up in `cache`, the time part is checked and converted eight bytes at a time.
    /// Anything else (or any problem) takes the general path, so results are identical.
    @inline(__always)
    package static func parse(_ p: UnsafePointer<UInt8>, _ count: Int, cache: inout Cache) -> Double {
        if count == 20 && p[19] == UInt8(ascii: "Z") && p[10] == UInt8(ascii: "T") && p[4] == UInt8(ascii: "-") {
            let raw = UnsafeRawPointer(p)
            let word = raw.loadUnaligned(as: UInt64.self)
            let tail = raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
            if word != cache.dateWord || tail != cache.dateTail || cache.dateSeconds.isNaN {
                guard case let .success(t) = parseISO(p, 10) else { return parse(p, count) }
                cache = Cache(dateWord: word, dateTail: tail, dateSeconds: t)
            }
            // "hh:mm:ss" as one little-endian word: digits in bytes 0, 1, 3, 4, 6, 7; colons in 2 and 5.
            let time = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 11, as: UInt64.self))
            let digitMask: UInt64 = 0xFFFF_00FF_FF00_FFFF
            let v = time & digitMask
            let digitsOK = (v & 0xF0F0_00F0_F000_F0F0) == 0x3030_0030_3000_3030
                && ((v & 0x0F0F_000F_0F00_0F0F) &+ 0x0606_0006_0600_0606) & 0xF0F0_00F0_F000_F0F0 == 0
            if digitsOK && (time & ~digitMask) == 0x0000_3A00_003A_0000 {
                let d = v &- 0x3030_0030_3000_3030
                @inline(__always) func byte(_ i: UInt64) -> Int { Int(truncatingIfNeeded: (d >> (8 * i)) & 0xFF) }
                let hour = byte(0) * 10 + byte(1), minute = byte(3) * 10 + byte(4), second = byte(6) * 10 + byte(7)
                if hour < 24 && minute < 60 && second < 60 {
                    return cache.dateSeconds + Double(hour * 3600 + minute * 60 + second)
                }
            }
        }
        return parse(p, count)
    }

    /// Why the `count` bytes at `p` are not a timestamp (call after ``parse(_:_:)`` gave NaN).
    @inline(never)
    package static func problem(_ p: UnsafePointer<UInt8>, _ count: Int) -> TimestampProblem {
        var start = p, end = p + count
        while start < end && (start.pointee == 0x20 || start.pointee == 0x09) { start += 1 }
        while end > start && (end[-1] == 0x20 || end[-1] == 0x09) { end -= 1 }
        let n = end - start
        if n >= 10 && start[4] == UInt8(ascii: "-") {
            if case let .failure(problem) = parseISO(start, n) { return problem }
            return .format
        }
        if n > 0, let (value, next) = NumberParser.scan(start, end), next == end {
            return value.isFinite ? .unixRange : .notFinite
        }
        return .format
    }

    /// Days from 1970-01-01 to the civil date `year`-`m`-`d` (``CivilDate/daysSinceEpoch(year:month:day:)``).
    @inline(__always)
    public static func daysFromCivil(year: Int, month m: Int, day d: Int) -> Int {
        CivilDate.daysSinceEpoch(year: year, month: m, day: d)
    }

    /// Days in month `month` of `year` (``CivilDate/daysInMonth(year:month:)``).
    @inline(__always)
    public static func daysInMonth(year: Int, month: Int) -> Int { CivilDate.daysInMonth(year: year, month: month) }

    /// Two ASCII digits at `p` as 0...99, or -1.
    @inline(__always)
    private static func two(_ p: UnsafePointer<UInt8>) -> Int {
        let a = p[0] &- 0x30, b = p[1] &- 0x30
        return a <= 9 && b <= 9 ? Int(a) * 10 + Int(b) : -1
    }

    /// An ISO-8601 date or date-time of `n` ≥ 10 bytes whose fifth byte is `-`.
    @inline(__always)
    private static func parseISO(_ s: UnsafePointer<UInt8>, _ n: Int) -> Result<Double, TimestampProblem> {
        let y1 = two(s), y2 = two(s + 2), month = two(s + 5), day = two(s + 8)
        guard y1 >= 0, y2 >= 0, month >= 0, day >= 0, s[7] == UInt8(ascii: "-") else { return .failure(.format) }
        let year = y1 * 100 + y2
        guard month >= 1 && month <= 12 else {
            // A malformed rest is a format problem even when the month is also wrong.
            return n == 10 || isDateTimeShaped(s, n) ? .failure(.month(month)) : .failure(.format)
        }
        guard day >= 1 && day <= daysInMonth(year: year, month: month) else {
            return n == 10 || isDateTimeShaped(s, n) ? .failure(.day(year: year, month: month, day: day)) : .failure(.format)
        }
        let days = Double(CivilDate.daysSinceEpoch(year: year, month: month, day: day))
        if n == 10 { return .success(days * Day.seconds) }
        // Date-time: separator, hh:mm[:ss[.fff]][zone]
        let separator = s[10]
        guard n >= 16, separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == 0x20,
              s[13] == UInt8(ascii: ":") else { return .failure(.format) }
        let hour = two(s + 11), minute = two(s + 14)
        guard hour >= 0, minute >= 0 else { return .failure(.format) }
        var q = s + 16
        let end = s + n
        var second = 0
        var fraction = 0.0
        if q < end && q.pointee == UInt8(ascii: ":") {
            guard end - q >= 3 else { return .failure(.format) }
            second = two(q + 1)
            guard second >= 0 else { return .failure(.format) }
            q += 3
            if q < end && q.pointee == UInt8(ascii: ".") {
                q += 1
                let digitsStart = q
                var mantissa: UInt64 = 0
                let count = NumberParser.digits(&q, end, &mantissa)
                guard count > 0 else { return .failure(.format) }
                // More than 18 digits: keep 18 (below a nanosecond's billionth).
                fraction = count <= 18 ? Double(mantissa) / pow10(count) : fractionDigits(digitsStart, 18)
            }
        }
        var offset = 0
        if q < end {
            let c = q.pointee
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                q += 1
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                let sign = c == UInt8(ascii: "-") ? -1 : 1
                q += 1
                guard end - q >= 2 else { return .failure(.format) }
                let oh = two(q)
                guard oh >= 0 else { return .failure(.format) }
                q += 2
                var om = 0
                if q < end {
                    if q.pointee == UInt8(ascii: ":") { q += 1 }
                    guard end - q >= 2 else { return .failure(.format) }
                    om = two(q)
                    guard om >= 0 else { return .failure(.format) }
                    q += 2
                }
                guard oh <= 23 else { return .failure(.time(part: "offset hour", value: oh)) }
                guard om <= 59 else { return .failure(.time(part: "offset minute", value: om)) }
                offset = sign * (oh * 3600 + om * 60)
            } else {
                return .failure(.format)
            }
        }
        guard q == end else { return .failure(.format) }
        guard hour <= 23 else { return .failure(.time(part: "hour", value: hour)) }
        guard minute <= 59 else { return .failure(.time(part: "minute", value: minute)) }
        guard second <= 59 else { return .failure(.time(part: "second", value: second)) }
        let whole = days * 86_400 + Double(hour * 3600 + minute * 60 + second - offset)
        return .success(whole + fraction)
    }

    /// Whether bytes 10... look like `Thh:mm...` (used to pick the message for a bad month or day).
    private static func isDateTimeShaped(_ s: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        n >= 16 && (s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t") || s[10] == 0x20)
            && two(s + 11) >= 0 && s[13] == UInt8(ascii: ":") && two(s + 14) >= 0
    }

    /// 10^n for 1 ≤ n ≤ 18, exact.
    @inline(__always)
    private static func pow10(_ n: Int) -> Double { NumberParser.exactPowerOfTen(n) }

    /// The first `count` digits at `p` as a fraction 0.ddd….
    private static func fractionDigits(_ p: UnsafePointer<UInt8>, _ count: Int) -> Double {
        var m: UInt64 = 0
        for i in 0..<count { m = m * 10 + UInt64(p[i] - 0x30) }
        return Double(m) / pow10(count)
    }
}
