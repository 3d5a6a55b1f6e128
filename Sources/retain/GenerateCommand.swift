import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore
import RetainSample

/// `retain generate --customers N --days D --out DIR`: the deterministic sample event log.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a realistic, deterministic sample event log and customers table.",
        discussion: reflow("""
            Writes DIR/events.csv (customer_id,timestamp,event_type,value,ref; in time
            order) and DIR/customers.csv (customer_id,signup_date,plan,country,email),
            each atomically. Every role of the event data contract appears under its own
            name, plus an unmapped `login` type. About --churn-share of the customers fade
            out over three to nine weeks and then stop. The same settings give
            byte-identical files on any thread count.

              retain generate --customers 5000 --days 365 --seed 20251123 --out datasets/sample
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Number of customers (1 to 10,000,000).", valueName: "N"))
    var customers: Int = 5000

    @Option(name: .long, help: ArgumentHelp("Length of the event window in days (7 to 20,000).", valueName: "D"))
    var days: Int = 365

    @Option(name: .long, help: ArgumentHelp("First day of the window (UTC).", valueName: "YYYY-MM-DD"))
    var start: String = "2025-01-01"

    @Option(name: .long, help: ArgumentHelp("Seed of every random draw; the same seed and sizes give the same bytes.", valueName: "S"))
    var seed: UInt64 = 20_251_123

    @Option(name: .long, help: ArgumentHelp("Target share of customers who fade out and stop inside the window (0 to 0.9).", valueName: "share"))
    var churnShare: Double = 0.30

    @Option(name: .long, help: ArgumentHelp("Output directory (created if missing).", valueName: "DIR"))
    var out: String

    @Flag(name: .long, help: "Write events.csv.gz and customers.csv.gz instead (needs the gzip program; output is reproducible).")
    var gzip = false

    @Flag(name: .long, help: "Print one JSON object on stdout instead of the readable summary.")
    var json = false

    var generator: SampleGenerator {
        SampleGenerator(customers: customers, days: days, start: start, seed: seed, churnShare: churnShare)
    }

    func validate() throws {
        do {
            try generator.validate()
        } catch let error as SampleError {
            throw ValidationError("--" + "\(error)".replacingOccurrences(of: "churn share", with: "churn-share"))
        }
    }

    func run() throws {
        let t0 = Console.seconds()
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw CLIError("could not create the output directory \(out): \(error.localizedDescription)")
        }
        func inOut(_ name: String) -> String { out.hasSuffix("/") ? out + name : out + "/" + name }
        let suffix = gzip ? ".csv.gz" : ".csv"
        let eventsPath = inOut("events" + suffix), customersPath = inOut("customers" + suffix)
        var summary: SampleSummary
        var fileBytes: (events: Int, customers: Int)
        if gzip {
            let gzipTool = try Self.findGzip()
            let pid = ProcessInfo.processInfo.processIdentifier
            let plainEvents = inOut(".events.csv.plain-\(pid)"), plainCustomers = inOut(".customers.csv.plain-\(pid)")
            defer { unlink(plainEvents); unlink(plainCustomers) }
            summary = try generator.write(eventsPath: plainEvents, customersPath: plainCustomers)
            Console.progress(String(format: "generated in %.2f s; compressing", Console.seconds() - t0))
            fileBytes = (try Self.compress(plainEvents, to: eventsPath, with: gzipTool),
                         try Self.compress(plainCustomers, to: customersPath, with: gzipTool))
        } else {
            summary = try generator.write(eventsPath: eventsPath, customersPath: customersPath)
            fileBytes = (summary.eventsBytes, summary.customersBytes)
        }
        let seconds = Console.seconds() - t0
        let report = GenerateReport(summary: summary, eventsPath: eventsPath, customersPath: customersPath,
                                    eventsFileBytes: fileBytes.events, customersFileBytes: fileBytes.customers,
                                    gzip: gzip, seconds: seconds)
        if json {
            try Console.printJSON(report)
        } else {
            printReport(report)
        }
    }

    private func printReport(_ r: GenerateReport) {
        let s = r.summary
        print("Generated \(Self.count(s.customers)) customers and \(Self.count(s.events)) events over \(s.days) days "
              + "(\(s.start) to \(s.lastDay), seed \(s.seed)) in \(String(format: "%.2f", r.seconds)) s")
        print("  churners  \(Self.count(s.churners)) (\(String(format: "%.1f", 100 * s.churnShare)) %) fade out and stop inside the window")
        print("  new       \(Self.count(s.newCustomers)) signed up inside the window")
        print("")
        let width = max(r.eventsPath.count, r.customersPath.count) + 2
        print("  " + Console.pad(r.eventsPath, width) + Console.pad(Self.count(s.events), 12, right: true) + " rows"
              + Console.pad(Self.size(r.eventsFileBytes), 11, right: true))
        print("  " + Console.pad(r.customersPath, width) + Console.pad(Self.count(s.customers), 12, right: true) + " rows"
              + Console.pad(Self.size(r.customersFileBytes), 11, right: true))
        print("")
        print("Events by type:")
        for (name, n) in s.eventsByType.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            print("  " + Console.pad(name, 22) + Console.pad(Self.count(n), 12, right: true))
        }
    }

    /// `1234567` → `1,234,567`.
    static func count(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / 1_048_576) : String(format: "%.1f KiB", Double(bytes) / 1024)
    }

    /// The `gzip` program on PATH.
    static func findGzip() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("gzip")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw CLIError("--gzip needs the gzip program on PATH; install gzip or leave out --gzip.")
    }

    /// Compresses `source` into `target` atomically with `gzip -n` (no name or time stamp, so the
    /// output is reproducible); returns the compressed size.
    static func compress(_ source: String, to target: String, with gzip: URL) throws -> Int {
        let tmp = target + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: tmp, contents: nil),
              let handle = FileHandle(forWritingAtPath: tmp) else {
            throw CLIError("could not write \(tmp). Check that the directory is writable.")
        }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        let p = Process()
        p.executableURL = gzip
        p.arguments = ["-n", "-6", "-c", source]
        p.standardOutput = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        guard p.terminationStatus == 0 else { throw CLIError("gzip failed on \(source) (exit status \(p.terminationStatus)).") }
        guard rename(tmp, target) == 0 else {
            throw CLIError("could not write \(target): \(String(cString: strerror(errno))).")
        }
        ok = true
        let attributes = try FileManager.default.attributesOfItem(atPath: target)
        return (attributes[.size] as? NSNumber)?.intValue ?? 0
    }
}

/// The `--json` output of `retain generate`.
struct GenerateReport: Encodable {
    let summary: SampleSummary
    let eventsPath: String
    let customersPath: String
    let eventsFileBytes: Int
    let customersFileBytes: Int
    let gzip: Bool
    let seconds: Double

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

    func encode(to encoder: Encoder) throws {
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
        try k.encode(["events": File(path: eventsPath, rows: summary.events, bytes: eventsFileBytes),
                      "customers": File(path: customersPath, rows: summary.customers, bytes: customersFileBytes)],
                     forKey: .files)
        try k.encode(gzip, forKey: .gzip)
        try k.encode(seconds, forKey: .seconds)
    }
}
