import Foundation
import RetainCore

/// What `retain generate` wrote: the generator's summary, the two files and the time taken; its
/// `--json` object when encoded.
public struct SampleReport: Encodable, Sendable {
    public var summary: SampleSummary
    public var eventsPath: String
    public var customersPath: String
    /// Whether the files are gzip-compressed (`.csv.gz`).
    public var gzip: Bool
    public var seconds: Double

    public init(summary: SampleSummary, eventsPath: String, customersPath: String, gzip: Bool, seconds: Double) {
        self.summary = summary; self.eventsPath = eventsPath; self.customersPath = customersPath
        self.gzip = gzip; self.seconds = seconds
    }

    /// `1234567` → `1,234,567`.
    public static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// A file size in KiB, or MiB from 1 MiB on, with one decimal.
    public static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / 1_048_576) : String(format: "%.1f KiB", Double(bytes) / 1024)
    }

    /// Event types by count, largest first (ties by name).
    public var eventsByType: [(type: String, count: Int)] {
        summary.eventsByType.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    struct File: Encodable {
        let path: String
        let rows: Int
        let bytes: Int
    }

    enum CodingKeys: String, CodingKey {
        case customers, events, churners, days, seed, start, files, gzip, seconds
        case churnShare = "churn_share", newCustomers = "new_customers", lastDay = "last_day"
        case eventsByType = "events_by_type"
    }

    public func encode(to encoder: Encoder) throws {
        var k = encoder.container(keyedBy: CodingKeys.self)
        try k.encode(summary.customers, forKey: .customers)
        try k.encode(summary.events, forKey: .events)
        try k.encode(summary.churners, forKey: .churners)
        try k.encode(summary.churnShare, forKey: .churnShare)
        try k.encode(summary.newCustomers, forKey: .newCustomers)
        try k.encode(summary.days, forKey: .days)
        try k.encode(summary.start, forKey: .start)
        try k.encode(summary.lastDay, forKey: .lastDay)
        try k.encode(summary.seed, forKey: .seed)
        try k.encode(summary.eventsByType, forKey: .eventsByType)
        try k.encode(["events": File(path: eventsPath, rows: summary.events, bytes: summary.eventsBytes),
                      "customers": File(path: customersPath, rows: summary.customers, bytes: summary.customersBytes)],
                     forKey: .files)
        try k.encode(gzip, forKey: .gzip)
        try k.encode(seconds, forKey: .seconds)
    }
}

extension SampleGenerator {
    /// Creates `directory` (and its parents) if needed and writes `events.csv` and `customers.csv`
    /// into it, or `events.csv.gz` and `customers.csv.gz` with `gzip` (see ``write(eventsPath:customersPath:gzip:)``).
    ///
    /// - Throws: What `validate()` throws, `SampleError.cannotCreateDirectory`, `.writeFailed`.
    public func write(toDirectory directory: String, gzip: Bool = false) throws -> SampleReport {
        let started = DispatchTime.now().uptimeNanoseconds
        try validate()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SampleError.cannotCreateDirectory(path: directory, reason: error.localizedDescription)
        }
        func inDirectory(_ name: String) -> String { directory.hasSuffix("/") ? directory + name : directory + "/" + name }
        let suffix = gzip ? ".csv.gz" : ".csv"
        let eventsPath = inDirectory("events" + suffix), customersPath = inDirectory("customers" + suffix)
        let summary = try write(eventsPath: eventsPath, customersPath: customersPath, gzip: gzip)
        return SampleReport(summary: summary, eventsPath: eventsPath, customersPath: customersPath, gzip: gzip,
                            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }
}
