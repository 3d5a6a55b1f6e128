import ArgumentParser
import Foundation
import RetainSample

/// `retain generate --customers N --days D --out DIR`: the deterministic sample event log.
struct GenerateCommand: AdvisedCommand {
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

    @Flag(name: .long, help: "Write events.csv.gz and customers.csv.gz instead (output is reproducible).")
    var gzip = false

    @Flag(name: .long, help: "Print one JSON object on stdout instead of the readable summary.")
    var json = false

    var generator: SampleGenerator {
        SampleGenerator(customers: customers, days: days, start: start, seed: seed, churnShare: churnShare)
    }

    func validate() throws {
        do { try generator.validate() } catch { throw ErrorAdvice.translate(error) }
    }

    func execute() throws {
        let r = try generator.write(toDirectory: out, gzip: gzip)
        if json { return try Console.printJSON(r) }
        let s = r.summary, n = SampleReport.grouped
        print("Generated \(n(s.customers)) customers and \(n(s.events)) events over \(s.days) days "
              + "(\(s.start) to \(s.lastDay), seed \(s.seed)) in \(String(format: "%.2f", r.seconds)) s")
        print("  churners  \(n(s.churners)) (\(String(format: "%.1f", 100 * s.churnShare)) %) fade out and stop inside the window")
        print("  new       \(n(s.newCustomers)) signed up inside the window")
        print("")
        let width = max(r.eventsPath.count, r.customersPath.count) + 2
        func file(_ path: String, _ rows: Int, _ bytes: Int) {
            print("  " + Console.pad(path, width) + Console.pad(n(rows), 12, right: true) + " rows" + Console.pad(SampleReport.size(bytes), 11, right: true))
        }
        file(r.eventsPath, s.events, s.eventsBytes)
        file(r.customersPath, s.customers, s.customersBytes)
        print("")
        print("Events by type:")
        for (type, count) in r.eventsByType { print("  " + Console.pad(type, 22) + Console.pad(n(count), 12, right: true)) }
    }
}
