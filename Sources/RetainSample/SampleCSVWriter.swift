import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RetainCore
import RetainIO

/// A byte buffer that hands full chunks to a sink (a file, or memory), with hand-written
/// formatting of the few shapes the sample files need: padded integers, cents, dates.
final class CSVOutput {
    private let capacity = 1 << 20
    private let buffer: UnsafeMutablePointer<UInt8>
    private var count = 0
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    /// Bytes handed to the sink so far.
    private(set) var written = 0

    init(sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        buffer = .allocate(capacity: capacity)
        self.sink = sink
    }

    deinit { buffer.deallocate() }

    /// Makes room for at least `n` more bytes (n ≤ 1 MiB).
    @inline(__always) func reserve(_ n: Int) throws {
        if count + n > capacity { try flush() }
    }

    func flush() throws {
        guard count > 0 else { return }
        try sink(UnsafeRawBufferPointer(start: buffer, count: count))
        written += count
        count = 0
    }

    @inline(__always) func byte(_ b: UInt8) {
        buffer[count] = b
        count += 1
    }

    func bytes(_ b: [UInt8]) {
        b.withUnsafeBufferPointer { p in
            (buffer + count).update(from: p.baseAddress!, count: p.count)
        }
        count += b.count
    }

    func text(_ s: String) throws {
        let b = Array(s.utf8)
        try reserve(b.count)
        bytes(b)
    }

    /// Writes `v` ≥ 0 in decimal, left-padded with zeros to `width` digits.
    @inline(__always) func int(_ v: Int, width: Int = 1) {
        var digits = 1, x = v
        while x >= 10 { x /= 10; digits += 1 }
        let n = max(digits, width)
        var y = v
        for i in stride(from: n - 1, through: 0, by: -1) {
            buffer[count + i] = UInt8(48 + y % 10)
            y /= 10
        }
        count += n
    }

    /// Writes a signed integer.
    @inline(__always) func signed(_ v: Int) {
        if v < 0 { byte(UInt8(ascii: "-")); int(-v) } else { int(v) }
    }

    /// Writes cents as a decimal amount with two decimals (`1234` → `12.34`).
    @inline(__always) func cents(_ v: Int) {
        if v < 0 { byte(UInt8(ascii: "-")) }
        let a = abs(v)
        int(a / 100)
        byte(UInt8(ascii: "."))
        int(a % 100, width: 2)
    }
}

/// Formats the sample's two CSV files.
struct SampleCSVWriter {
    let log: SampleLog

    static let eventsHeader = "customer_id,timestamp,event_type,value,ref\n"
    static let customersHeader = "customer_id,signup_date,plan,country,email\n"

    /// Writes events.csv in time order.
    ///
    /// - Complexity: O(events); about 48 bytes a row.
    func writeEvents(to out: CSVOutput) throws {
        try out.text(Self.eventsHeader)
        let day = SampleSchedule.secondsPerDay
        let width = log.idWidth
        let names = SampleEventType.allCases.map { Array($0.name.utf8) }
        // "YYYY-MM-DDT" for every day of the window.
        let days = log.schedule.days
        var prefixes = [UInt8]()
        prefixes.reserveCapacity(days * 11)
        for d in 0..<days { prefixes += Array((SampleCalendar.format(log.schedule.startDay + d) + "T").utf8) }
        let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")
        try log.events.withUnsafeBufferPointer { events in
            try prefixes.withUnsafeBufferPointer { prefixes in
                for i in log.order {
                    let e = events[Int(i)]
                    try out.reserve(160)
                    out.byte(UInt8(ascii: "C"))
                    let customerNumber = Int(e.customer) + 1
                    out.int(customerNumber, width: width)
                    out.byte(comma)
                    let t = Int(e.time), d = t / day, s = t % day
                    for k in 0..<11 { out.byte(prefixes[d * 11 + k]) }
                    out.int(s / 3600, width: 2); out.byte(colon)
                    out.int(s / 60 % 60, width: 2); out.byte(colon)
                    out.int(s % 60, width: 2); out.byte(UInt8(ascii: "Z"))
                    out.byte(comma)
                    out.bytes(names[Int(e.type.rawValue)])
                    out.byte(comma)
                    if e.value != SampleEvent.noValue {
                        if e.type.isMoney { out.cents(Int(e.value)) } else { out.signed(Int(e.value)) }
                    }
                    out.byte(comma)
                    switch e.type.refKind {
                    case .none: break
                    case .session:
                        out.byte(UInt8(ascii: "S")); out.int(customerNumber); out.byte(UInt8(ascii: "-")); out.int(Int(e.ref))
                    case .ticket:
                        out.byte(UInt8(ascii: "T")); out.int(customerNumber); out.byte(UInt8(ascii: "-")); out.int(Int(e.ref))
                    case .campaign:
                        out.bytes([UInt8(ascii: "c"), UInt8(ascii: "m"), UInt8(ascii: "p")]); out.int(Int(e.ref), width: 3)
                    case .liveEvent:
                        out.bytes([UInt8(ascii: "e"), UInt8(ascii: "v")]); out.int(Int(e.ref), width: 2)
                    }
                    out.byte(UInt8(ascii: "\n"))
                }
            }
        }
        try out.flush()
    }

    /// Writes customers.csv in id order.
    func writeCustomers(to out: CSVOutput) throws {
        try out.text(Self.customersHeader)
        let width = log.idWidth
        let comma = UInt8(ascii: ",")
        let plans = SampleCustomer.Plan.allCases.map { Array($0.name.utf8) }
        let countries = SampleProfiles.countries.map { Array($0.code.utf8) }
        let domain = Array("@example.com".utf8)
        let day = SampleSchedule.secondsPerDay
        for (i, c) in log.customers.enumerated() {
            try out.reserve(128)
            out.byte(UInt8(ascii: "C")); out.int(i + 1, width: width); out.byte(comma)
            let signupDay = log.schedule.startDay + (c.signup >= 0 ? c.signup / day : -((-c.signup + day - 1) / day))
            out.bytes(Array(SampleCalendar.format(signupDay).utf8)); out.byte(comma)
            out.bytes(plans[Int(c.plan.rawValue)]); out.byte(comma)
            out.bytes(countries[Int(c.country)]); out.byte(comma)
            out.byte(UInt8(ascii: "c")); out.int(i + 1, width: width); out.bytes(domain)
            out.byte(UInt8(ascii: "\n"))
        }
        try out.flush()
    }
}

/// Writes a sample file atomically (`AtomicFile.Stream`): a temporary file in the same
/// directory, synced, then renamed over `path`, so readers never see a partial file and a
/// failure leaves the old one intact. Owner-only (mode 0600 whatever the umask): the customers
/// file holds ids and emails, the events file ids.
enum SampleFile {
    /// Writes what `body` puts into its `CSVOutput` to `path`, gzip-compressed (RetainIO's
    /// `GzipWriter`, level 6) when `gzip` is set.
    ///
    /// - Returns: The bytes of text written and the bytes of the file (equal without gzip).
    static func write(path: String, gzip: Bool = false, _ body: (CSVOutput) throws -> Void) throws -> (text: Int, file: Int) {
        let file = try mapError { try AtomicFile.Stream(path: path, permissions: 0o600) }
        var fileBytes = 0
        let toFile: (UnsafeRawBufferPointer) throws -> Void = { chunk in
            try mapError { try file.write(chunk) }
            fileBytes += chunk.count
        }
        let gz = gzip ? try GzipWriter(path: path, sink: toFile) : nil
        let out = CSVOutput(sink: gz.map { gz in { try gz.write($0) } } ?? toFile)
        try body(out)
        try gz?.finish()
        try mapError { try file.commit() }
        return (out.written, fileBytes)
    }

    /// Reports the I/O layer's write failures as `SampleError.writeFailed`.
    private static func mapError<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch IOError.writeFailed(let path, let reason) {
            throw SampleError.writeFailed(path: path, reason: reason)
        }
    }
}
