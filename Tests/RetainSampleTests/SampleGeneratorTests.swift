import Foundation
import XCTest
@testable import RetainCore
@testable import RetainSample
@testable import RetainIO

/// The sample-data generator: determinism, the event data contract, every role, ref links, and
/// churners who fade before they stop.
final class SampleGeneratorTests: XCTestCase {
    struct Row {
        var customer: String, timestamp: String, type: String, value: String, ref: String
    }

    /// 300 customers over 120 days from 2025-01-01, generated once.
    struct Fixture {
        let events: Data, customers: Data, summary: SampleSummary
        let rows: [Row]
        let log: SampleLog

        init(_ g: SampleGenerator) throws {
            (events, customers, summary) = try g.csvData()
            log = try g.makeLog()
            let lines = String(decoding: events, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            precondition(lines.first == "customer_id,timestamp,event_type,value,ref" && lines.last == "", "unexpected layout")
            rows = lines.dropFirst().dropLast().map { line in
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                precondition(f.count == 5, "a row has 5 fields: \(line)")
                return Row(customer: f[0], timestamp: f[1], type: f[2], value: f[3], ref: f[4])
            }
        }
    }

    static let settings = SampleGenerator(customers: 300, days: 120, start: "2025-01-01", seed: 7)
    static let small = Result { try Fixture(settings) }
    func small() throws -> Fixture { try Self.small.get() }

    static let roles = [
        "purchase", "session", "page_view", "email_sent", "email_open", "email_click", "email_unsubscribe",
        "ticket_opened", "ticket_resolved", "contact", "nps", "csat", "ces", "like", "share", "comment",
        "event_registration", "event_attendance", "subscription_start", "subscription_cancel",
    ]

    func testSameSeedAndSizesGiveIdenticalBytes() throws {
        let a = try small()
        let b = try Self.settings.csvData()
        XCTAssertEqual(a.events, b.events)
        XCTAssertEqual(a.customers, b.customers)
        XCTAssertEqual(a.summary, b.summary)
    }

    func testDifferentSeedGivesDifferentLog() throws {
        let a = try small()
        var other = Self.settings
        other.seed = 8
        let b = try other.csvData()
        XCTAssertNotEqual(a.events, b.events)
        XCTAssertNotEqual(a.customers, b.customers)
    }

    func testMoreCustomersKeepsTheFirstCustomersUnchanged() throws {
        // Each customer has their own random stream: growing the population appends customers.
        let a = try small()
        var more = Self.settings
        more.customers = 350
        let b = try more.csvData()
        let firstRows = String(decoding: b.customers, as: UTF8.self).split(separator: "\n").prefix(301).joined(separator: "\n") + "\n"
        XCTAssertEqual(firstRows, String(decoding: a.customers, as: UTF8.self))
    }

    func testEveryRoleAndAnUnmappedLoginTypeArePresent() throws {
        let f = try small()
        let types = Set(f.rows.map(\.type))
        for role in Self.roles { XCTAssertTrue(types.contains(role), "no \(role) events") }
        XCTAssertTrue(types.contains("login"))
        XCTAssertEqual(types, Set(Self.roles + ["login"]))
        XCTAssertEqual(f.summary.events, f.rows.count)
        XCTAssertEqual(f.summary.eventsByType.values.reduce(0, +), f.rows.count)
        XCTAssertEqual(f.summary.eventsByType["page_view"], f.rows.filter { $0.type == "page_view" }.count)
    }

    func testTimestampsAreSortedUTCSecondsInsideTheWindow() throws {
        let f = try small()
        let pattern = try NSRegularExpression(pattern: #"^2025-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#)
        var previous = ""
        for r in f.rows {
            XCTAssertGreaterThanOrEqual(r.timestamp, previous, "events are in time order")
            previous = r.timestamp
            XCTAssertNotNil(pattern.firstMatch(in: r.timestamp, range: NSRange(location: 0, length: r.timestamp.utf16.count)), r.timestamp)
        }
        XCTAssertGreaterThanOrEqual(f.rows.first!.timestamp, "2025-01-01T00:00:00Z")
        XCTAssertLessThan(f.rows.last!.timestamp, "2025-05-01T00:00:00Z", "120 days end on April 30")
        XCTAssertEqual(f.summary.lastDay, "2025-04-30")
        XCTAssertTrue(f.rows.allSatisfy { $0.customer.count == 7 && $0.customer.hasPrefix("C") })
    }

    func testValuesAreInRangeForEachType() throws {
        let f = try small()
        for r in f.rows {
            switch r.type {
            case "nps": XCTAssertTrue((0...10).contains(Int(r.value) ?? -1), "nps \(r.value)")
            case "csat": XCTAssertTrue((1...5).contains(Int(r.value) ?? -1), "csat \(r.value)")
            case "ces": XCTAssertTrue((1...7).contains(Int(r.value) ?? -1), "ces \(r.value)")
            case "purchase", "subscription_start":
                let parts = r.value.split(separator: ".")
                XCTAssertEqual(parts.count, 2, r.value)
                XCTAssertEqual(parts.last?.count, 2, "two decimals: \(r.value)")
                XCTAssertGreaterThan(Double(r.value) ?? 0, 0)
            case "session", "contact": XCTAssertGreaterThan(Int(r.value) ?? 0, 0, "\(r.type) seconds \(r.value)")
            default: XCTAssertEqual(r.value, "", "\(r.type) has no value")
            }
        }
        let nps = f.rows.filter { $0.type == "nps" }.compactMap { Int($0.value) }
        XCTAssertGreaterThan(Set(nps).count, 5, "NPS scores spread over the scale")
    }

    func testPageViewsCarryTheirSessionRef() throws {
        let f = try small()
        var sessions = [String: String]()   // ref -> customer
        for r in f.rows where r.type == "session" {
            XCTAssertNil(sessions[r.ref], "session refs are unique")
            sessions[r.ref] = r.customer
        }
        var viewsPerSession = [String: Int]()
        for r in f.rows where r.type == "page_view" {
            XCTAssertEqual(sessions[r.ref], r.customer, "page view \(r.ref) belongs to a session of the same customer")
            viewsPerSession[r.ref, default: 0] += 1
        }
        // Web sessions log page views, app sessions do not.
        let web = Double(viewsPerSession.count) / Double(sessions.count)
        XCTAssertTrue((0.3...0.9).contains(web), "share of sessions with page views \(web)")
        let bounces = viewsPerSession.values.filter { $0 == 1 }.count
        XCTAssertGreaterThan(bounces, 0)
        XCTAssertLessThan(bounces, viewsPerSession.count)
    }

    func testTicketsAreResolvedAfterTheyOpenAndContactsShareTheTicketRef() throws {
        let f = try small()
        var opened = [String: (String, String)]()   // ref -> (customer, time)
        for r in f.rows where r.type == "ticket_opened" { opened[r.ref] = (r.customer, r.timestamp) }
        let resolved = f.rows.filter { $0.type == "ticket_resolved" }
        XCTAssertFalse(resolved.isEmpty)
        for r in resolved {
            let o = try XCTUnwrap(opened[r.ref], "resolved ticket \(r.ref) was opened")
            XCTAssertEqual(o.0, r.customer)
            XCTAssertGreaterThan(r.timestamp, o.1)
        }
        for r in f.rows where r.type == "contact" {
            XCTAssertEqual(opened[r.ref]?.0, r.customer, "contact \(r.ref) is on an opened ticket")
        }
    }

    func testEmailFunnelFollowsSendsOfTheSameCampaign() throws {
        let f = try small()
        var sent = [String: String]()   // customer|campaign -> time
        for r in f.rows {
            let key = r.customer + "|" + r.ref
            switch r.type {
            case "email_sent":
                XCTAssertTrue(r.ref.hasPrefix("cmp"))
                sent[key] = r.timestamp
            case "email_open", "email_click", "email_unsubscribe":
                let t = try XCTUnwrap(sent[key], "\(r.type) of \(r.ref) follows its send")
                XCTAssertGreaterThan(r.timestamp, t)
            default: break
            }
        }
        let sends = f.summary.eventsByType["email_sent"]!, opens = f.summary.eventsByType["email_open"]!
        XCTAssertTrue((0.1...0.5).contains(Double(opens) / Double(sends)), "open rate \(Double(opens) / Double(sends))")
    }

    func testChurnersStopAndTheirActivityFadesBeforeStopping() throws {
        let f = try small()
        let log = f.log
        let churners = log.customers.indices.filter { log.customers[$0].churner }
        let share = Double(churners.count) / Double(log.customers.count)
        XCTAssertTrue((0.15...0.4).contains(share), "churn share \(share)")
        XCTAssertEqual(f.summary.churners, churners.count)
        var last = [Int: Int]()
        for e in log.events { last[Int(e.customer)] = max(last[Int(e.customer)] ?? 0, Int(e.time)) }
        let day = 86_400
        var recent = 0, before = 0
        for c in churners {
            let p = log.customers[c]
            if let l = last[c] { XCTAssertLessThan(l, p.stop, "no event after a churner stops") }
            guard p.stop - max(0, p.signup) >= 60 * day else { continue }
            for e in log.events where Int(e.customer) == c {
                let t = Int(e.time)
                if t >= p.stop - 30 * day && t < p.stop { recent += 1 }
                if t >= p.stop - 60 * day && t < p.stop - 30 * day { before += 1 }
            }
        }
        XCTAssertGreaterThan(before, 100)
        XCTAssertLessThan(Double(recent), 0.75 * Double(before), "activity fades: \(recent) events in the last 30 days vs \(before) in the 30 before")
        // Customers who stay are still active at the end of the window.
        let stayers = log.customers.indices.filter { !log.customers[$0].churner }
        let activeAtEnd = stayers.filter { (last[$0] ?? -1) >= (120 - 30) * day }.count
        XCTAssertGreaterThan(Double(activeAtEnd) / Double(stayers.count), 0.8)
    }

    func testChurnersAreLessSatisfied() throws {
        let f = try small()
        var sum = [false: 0.0, true: 0.0], n = [false: 0, true: 0]
        for e in f.log.events where e.type == .nps {
            let churner = f.log.customers[Int(e.customer)].churner
            sum[churner]! += Double(e.value)
            n[churner]! += 1
        }
        let stay = sum[false]! / Double(n[false]!), leave = sum[true]! / Double(n[true]!)
        XCTAssertLessThan(leave, stay - 0.5, "mean NPS of churners \(leave) vs others \(stay)")
    }

    func testCustomersTableHasOneRowPerCustomerWithSignupPlanCountryEmail() throws {
        let f = try small()
        let lines = String(decoding: f.customers, as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "customer_id,signup_date,plan,country,email")
        XCTAssertEqual(lines.count, 301)
        XCTAssertEqual(lines[1].split(separator: ",").first, "C000001")
        var signupsBefore = 0, plans = Set<String>()
        for line in lines.dropFirst() {
            let c = line.split(separator: ",").map(String.init)
            XCTAssertEqual(c.count, 5)
            XCTAssertEqual(c[4], c[0].lowercased() + "@example.com")
            XCTAssertLessThanOrEqual(c[1], "2025-04-30")
            if c[1] < "2025-01-01" { signupsBefore += 1 }
            plans.insert(c[2])
        }
        XCTAssertEqual(plans, ["basic", "standard", "premium"])
        XCTAssertTrue((120...240).contains(signupsBefore), "some customers signed up before the window: \(signupsBefore)")
        XCTAssertEqual(f.summary.newCustomers, 300 - signupsBefore)
        let ids = Set(lines.dropFirst().map { String($0.prefix(7)) })
        XCTAssertTrue(Set(f.rows.map(\.customer)).isSubset(of: ids))
    }

    func testWriteReplacesFilesAtomicallyWithTheSameBytes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retain-sample-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let events = dir.appendingPathComponent("events.csv"), customers = dir.appendingPathComponent("customers.csv")
        try Data("old".utf8).write(to: events)
        let summary = try Self.settings.write(eventsPath: events.path, customersPath: customers.path)
        let f = try small()
        XCTAssertEqual(try Data(contentsOf: events), f.events)
        XCTAssertEqual(try Data(contentsOf: customers), f.customers)
        XCTAssertEqual(summary.eventsBytes, f.events.count)
        XCTAssertEqual(summary.customersBytes, f.customers.count)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["customers.csv", "events.csv"])
    }

    func testGzipFilesAreTheSameBytesCompressedAndTheReportNamesThem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retain-sample-\(UUID().uuidString)/sub")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let report = try Self.settings.write(toDirectory: dir.path, gzip: true)
        let f = try small()
        func gzip(_ data: Data) throws -> Data {
            var out = Data()
            let gz = try GzipWriter(path: "memory") { out.append(contentsOf: $0) }
            try data.withUnsafeBytes { try gz.write($0) }
            try gz.finish()
            return out
        }
        XCTAssertEqual(report.eventsPath, dir.path + "/events.csv.gz")
        XCTAssertEqual(report.customersPath, dir.path + "/customers.csv.gz")
        let events = try Data(contentsOf: URL(fileURLWithPath: report.eventsPath))
        XCTAssertEqual(events, try gzip(f.events), "one gzip member of the plain file's bytes")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: report.customersPath)), try gzip(f.customers))
        XCTAssertEqual(report.summary.eventsBytes, events.count, "file bytes are the compressed size")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["customers.csv.gz", "events.csv.gz"])
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any])
        XCTAssertEqual(json["gzip"] as? Bool, true)
        XCTAssertEqual(((json["files"] as? [String: Any])?["events"] as? [String: Any])?["bytes"] as? Int, events.count)
        XCTAssertEqual(SampleReport.grouped(1_234_567), "1,234,567")
        XCTAssertEqual(SampleReport.size(3 << 20), "3.0 MiB")
    }

    func testDirectoryThatCannotBeCreatedIsNamed() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("retain-sample-\(UUID().uuidString)")
        try Data().write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertThrowsError(try Self.settings.write(toDirectory: file.path + "/sub")) { error in
            XCTAssertTrue("\(error)".hasPrefix("could not create the output directory \(file.path)/sub: "), "\(error)")
        }
    }

    func testWriteIntoMissingDirectoryThrowsNamingThePath() throws {
        let path = "/nonexistent-\(UUID().uuidString)/events.csv"
        XCTAssertThrowsError(try SampleGenerator(customers: 10, days: 30).write(eventsPath: path, customersPath: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
            XCTAssertTrue("\(error)".contains("Check that the directory exists"), "\(error)")
        }
    }

    func testInvalidSettingsThrowMessagesNamingTheRange() {
        func message(_ g: SampleGenerator) -> String {
            do { try g.validate(); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(SampleGenerator(customers: 0)), "customers must be between 1 and 10,000,000, got 0.")
        XCTAssertEqual(message(SampleGenerator(days: 3)), "days must be between 7 and 20,000, got 3.")
        XCTAssertEqual(message(SampleGenerator(start: "2025-02-30")),
                       "start '2025-02-30' is not a date YYYY-MM-DD (years 1000-9999), e.g. 2025-01-01.")
        XCTAssertEqual(message(SampleGenerator(churnShare: 1.5)), "churn share must be between 0 and 0.9, got 1.5.")
        XCTAssertEqual(message(SampleGenerator()), "")
    }

    func testNoChurnShareMeansNobodyStops() throws {
        let log = try SampleGenerator(customers: 100, days: 60, churnShare: 0).makeLog()
        XCTAssertEqual(log.customers.filter(\.churner).count, 0)
        XCTAssertEqual(log.summary().eventsByType["subscription_cancel"], 0)
    }

    func testCalendarRoundTripsAndKnowsWeekdays() {
        XCTAssertEqual(SampleCalendar.parse("1970-01-01"), 0)
        XCTAssertEqual(SampleCalendar.parse("2025-01-01"), 20089)
        XCTAssertEqual(SampleCalendar.format(20089), "2025-01-01")
        XCTAssertEqual(SampleCalendar.format(-1), "1969-12-31")
        XCTAssertEqual(SampleCalendar.weekday(20089), 2, "2025-01-01 is a Wednesday")
        XCTAssertNil(SampleCalendar.parse("2024-13-01"))
        XCTAssertEqual(SampleCalendar.parse("2024-02-29").map(SampleCalendar.format), "2024-02-29")
        XCTAssertEqual(SampleCalendar.format(SampleSchedule.blackFriday(year: 2025)), "2025-11-28")
    }
}
