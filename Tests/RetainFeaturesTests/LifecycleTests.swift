import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures

/// Lifecycle states (``Lifecycle``) on hand-made logs, the own-activity label, the `lifecycle`
/// config section, and an independent check on the bundled sample. Times are day offsets from
/// T = 2025-06-01 (negative = before T); new_days = lapsed_days = 30 unless a test says otherwise.
final class LifecycleTests: XCTestCase {
    static let T = 1_748_736_000.0          // 2025-06-01T00:00:00Z
    static let day = 86_400.0

    struct Event { var customer: String; var day: Double; var type: String }

    /// Interns the events in the given (file) order as the reader would and builds the features.
    func build(_ events: [Event], config: FeatureConfig = FeatureConfig(), asOf: [Double] = [T], label: Bool = false,
               signups: [String: Double] = [:]) throws -> FeatureMatrix {
        var customers = [String: Int32](), ids = [String]()
        var types = [String: Int32](), typeNames = [String]()
        var c = [Int32](), t = [Double](), ty = [Int32]()
        for e in events {
            if customers[e.customer] == nil { customers[e.customer] = Int32(ids.count); ids.append(e.customer) }
            if types[e.type] == nil { types[e.type] = Int32(typeNames.count); typeNames.append(e.type) }
            c.append(customers[e.customer]!)
            t.append(Self.T + e.day * Self.day)
            ty.append(types[e.type]!)
        }
        let v = [Double](repeating: .nan, count: c.count), r = [Int32](repeating: -1, count: c.count)
        var acc = try FeatureAccumulator(spec: FeatureSpec(config: config, asOf: asOf, label: label))
        acc.setEventTypes(typeNames)
        c.withUnsafeBufferPointer { cb in t.withUnsafeBufferPointer { tb in ty.withUnsafeBufferPointer { yb in
            v.withUnsafeBufferPointer { vb in r.withUnsafeBufferPointer { rb in
                acc.add(customer: cb, time: tb, type: yb, value: vb, ref: rb)
            } } } } }
        return acc.finish(customerIDs: ids, signups: signups)
    }

    /// Events of one customer, one type, at the given days.
    func events(_ customer: String, _ type: String, _ days: [Double]) -> [Event] {
        days.map { Event(customer: customer, day: $0, type: type) }
    }

    func state(_ m: FeatureMatrix, _ customer: String, asOf: Double = T, file: StaticString = #filePath, line: UInt = #line) -> Lifecycle? {
        guard let row = m.row(customer: customer, asOf: asOf) else {
            XCTFail("no row for \(customer)", file: file, line: line)
            return nil
        }
        return m.lifecycle[row]
    }

    // MARK: Customers without subscription events: judged by own activity

    func testActivityStatesNewActiveLapsedReactivated() throws {
        let m = try build(
            events("fresh", "login", [-10])                                   // first activity 10 days ago
            + events("steady", "login", [-100, -80, -60, -40, -20, -5])        // never a gap over 20 days
            + events("gone", "login", [-200, -100, -31])                      // last 31 days ago > 30
            + events("edge", "login", [-60, -30])                             // last exactly 30 days ago: not lapsed
            + events("justOver", "login", [-60, -30.0001])                    // a little more than 30 days: lapsed
            + events("back", "login", [-120, -100, -10])                      // silent from day-age 11 to 99, back at 10
            + events("backLongAgo", "login", [-200, -100, -64, -50, -35, -20, -5])  // returned 64 days ago: active again
            + events("justNew", "login", [-30, -1])                           // first activity exactly 30 days ago
            + events("notNew", "login", [-30.0001, -1]))
        XCTAssertEqual(m.lifecycle.count, m.rowCount)
        XCTAssertEqual(state(m, "fresh"), .new)
        XCTAssertEqual(state(m, "steady"), .active)
        XCTAssertEqual(state(m, "gone"), .lapsed)
        XCTAssertEqual(state(m, "edge"), .active, "activity at day-age 30, the previous one at 60: no gap over 30 days")
        XCTAssertEqual(state(m, "justOver"), .lapsed)
        XCTAssertEqual(state(m, "back"), .reactivated)
        XCTAssertEqual(state(m, "backLongAgo"), .active)
        XCTAssertEqual(state(m, "justNew"), .new)
        XCTAssertEqual(state(m, "notNew"), .active, "day-age 30 → day-age 1 is a 28-day gap: not a return")
        XCTAssertEqual(m.ownRecencyDays[m.row(customer: "gone")!], 31, accuracy: 1e-9)
        XCTAssertEqual(m.ownRecencyDays[m.row(customer: "justOver")!], 30.0001, accuracy: 1e-6)
    }

    func testReactivationNeedsTheGapAndACustomerKnownBeforeIt() throws {
        let m = try build(
            events("gap30", "login", [-45, -15])          // silent at day-ages 16…44 only (29 days): no
            + events("gap31", "login", [-46.5, -15])      // day-age 46 → 15: day-ages 16…45 silent (30 days): yes
            + events("twoReturns", "login", [-300, -200, -25, -3])  // back at 25 (gap 26…199), still within 30 days
            + events("lateReturn", "login", [-300, -31.5, -2]))     // back at day-age 31 > new_days, then 2: gap 3…30 is 28 days
        XCTAssertEqual(state(m, "gap30"), .active)
        XCTAssertEqual(state(m, "gap31"), .reactivated)
        XCTAssertEqual(state(m, "twoReturns"), .reactivated)
        XCTAssertEqual(state(m, "lateReturn"), .active, "the return was more than new_days ago")
    }

    func testBusinessEventsNeitherMakeActiveNorKeepFromLapsing() throws {
        // Still emailed (and a ticket closed) after leaving: lapsed, and churned under inactivity.
        let log = events("emailed", "login", [-100]) + events("emailed", "email_sent", [-20, -10, -1, 5])
            + events("emailed", "ticket_resolved", [-5])
            + events("onlyEmailed", "email_sent", [-40, -20])      // never acted: start = first email, 40 days ago
            + events("newlyEmailed", "email_sent", [-10])
            + events("answered", "login", [-100]) + events("answered", "agent_reply", [-2, 3])
            + events("stays", "login", [-3, 4])
        let m = try build(log, label: true)
        XCTAssertEqual(state(m, "emailed"), .lapsed)
        XCTAssertEqual(m.ownRecencyDays[m.row(customer: "emailed")!], 100, accuracy: 1e-9)
        XCTAssertEqual(m.value("recency_days", row: m.row(customer: "emailed")!)!, 1, accuracy: 1e-9,
                       "features keep counting every event (they match the polars peer)")
        XCTAssertEqual(m.value("churned", row: m.row(customer: "emailed")!), 1, "an email in the horizon is not the customer's activity")
        XCTAssertEqual(state(m, "onlyEmailed"), .lapsed)
        XCTAssertTrue(m.ownRecencyDays[m.row(customer: "onlyEmailed")!].isNaN)
        XCTAssertEqual(state(m, "newlyEmailed"), .new)
        // A support reply under its own event type is the customer's until the config says otherwise.
        XCTAssertEqual(state(m, "answered"), .reactivated)
        XCTAssertEqual(m.value("churned", row: m.row(customer: "answered")!), 0)
        XCTAssertEqual(m.value("churned", row: m.row(customer: "stays")!), 0)
        var config = FeatureConfig()
        config.lifecycle.business.append("agent_reply")
        let b = try build(log, config: config, label: true)
        XCTAssertEqual(state(b, "answered"), .lapsed)
        XCTAssertEqual(b.value("churned", row: b.row(customer: "answered")!), 1)
        // A role name in `business` covers every event type mapped to that role.
        config = FeatureConfig()
        config.roles.map("agent_reply", to: .ticketResolved)
        XCTAssertEqual(state(try build(log, config: config), "answered"), .lapsed)
    }

    func testCancellationLabelIsUnchangedByBusinessEvents() throws {
        var config = FeatureConfig()
        config.churn = .init(definition: .cancellation, horizonDays: 30)
        let m = try build(events("a", "login", [-5]) + events("a", "subscription_start", [-50]) + events("a", "subscription_cancel", [3])
                          + events("b", "login", [-5]) + events("b", "email_sent", [3]), config: config, label: true)
        XCTAssertEqual(m.value("churned", row: m.row(customer: "a")!), 1)
        XCTAssertEqual(m.value("churned", row: m.row(customer: "b")!), 0)
    }

    /// Under the cancellation label only a subscriber can churn: an active customer without a
    /// subscription is outside that model's universe (and out of its `in_universe` column); under
    /// inactivity the same customer is in.
    func testCancellationUniverseNeedsASubscription() throws {
        let log = events("subscriber", "subscription_start", [-50]) + events("subscriber", "login", [-5])
            + events("nonSubscriber", "login", [-60, -40, -20, -5])
            + events("cancelled", "subscription_start", [-90]) + events("cancelled", "subscription_cancel", [-40])
            + events("cancelled", "login", [-2])
        var cancellation = FeatureConfig()
        cancellation.churn = .init(definition: .cancellation, horizonDays: 30)
        let m = try build(log, config: cancellation, label: true)
        XCTAssertTrue(m.universeNeedsSubscription)
        XCTAssertEqual(state(m, "nonSubscriber"), .active, "the lifecycle state itself does not change")
        XCTAssertEqual(m.inUniverse(row: m.row(customer: "subscriber")!), true)
        XCTAssertEqual(m.inUniverse(row: m.row(customer: "nonSubscriber")!), false)
        XCTAssertEqual(m.inUniverse(row: m.row(customer: "cancelled")!), false)
        XCTAssertEqual(m.universeMask, m.customerIDs.map { $0 == "subscriber" })
        let inactivity = try build(log, label: true)
        XCTAssertFalse(inactivity.universeNeedsSubscription)
        XCTAssertEqual(inactivity.inUniverse(row: inactivity.row(customer: "nonSubscriber")!), true)
        XCTAssertEqual(inactivity.inUniverse(row: inactivity.row(customer: "cancelled")!), false)
    }

    func testSignedUpWithoutActivityIsNewThenLapsedAndReactivatedOnReturn() throws {
        let t31 = Self.T + 31 * Self.day, t60 = Self.T + 60 * Self.day
        let signups = ["quiet": Self.T - 10 * Self.day, "oldSignup": Self.T - 100 * Self.day, "other": Self.T - 500 * Self.day]
        let m = try build(events("oldSignup", "login", [-5, 10]) + events("other", "login", [-400, 35]),
                          asOf: [Self.T, t31, t60], signups: signups)
        XCTAssertEqual(state(m, "quiet"), .new)
        XCTAssertEqual(state(m, "quiet", asOf: t31), .lapsed, "signed up 41 days before, never active")
        XCTAssertTrue(m.ownRecencyDays[m.row(customer: "quiet")!].isNaN)
        XCTAssertEqual(state(m, "oldSignup"), .reactivated, "known (signed up) 100 days before its first activity 5 days ago")
        XCTAssertEqual(state(m, "oldSignup", asOf: t31), .active, "the return is 36 days old: no longer reactivated")
        XCTAssertEqual(state(m, "oldSignup", asOf: t60), .lapsed)
        XCTAssertEqual(state(m, "other"), .lapsed)
        XCTAssertEqual(state(m, "other", asOf: t31), .lapsed, "point-in-time: the day-35 event is after T+31")
        XCTAssertEqual(state(m, "other", asOf: t60), .reactivated)
    }

    // MARK: Customers with subscription events: judged by the subscription

    func testSubscriptionStates() throws {
        let m = try build(
            events("quietSubscriber", "subscription_start", [-100])
            + events("newSubscriber", "subscription_start", [-10])
            + events("cancelled", "subscription_start", [-100]) + events("cancelled", "subscription_cancel", [-50])
            + events("cancelled", "login", [-1])                                       // activity after a cancel: still churned
            + events("restarted", "subscription_start", [-200]) + events("restarted", "subscription_cancel", [-100])
            + events("restarted", "subscription_start", [-10])
            + events("restartedLongAgo", "subscription_start", [-200]) + events("restartedLongAgo", "subscription_cancel", [-150])
            + events("restartedLongAgo", "subscription_start", [-100])
            + events("restartedLongAgo", "login", [-95, -85, -75, -65, -55, -45, -35, -25, -15, -5])
            + events("subscriberBack", "subscription_start", [-200]) + events("subscriberBack", "login", [-5])
            + events("emailedSubscriber", "subscription_start", [-200]) + events("emailedSubscriber", "email_sent", [-3]))
        XCTAssertEqual(state(m, "quietSubscriber"), .active, "a subscriber is never lapsed for being quiet")
        XCTAssertEqual(m.ownRecencyDays[m.row(customer: "quietSubscriber")!], 100, accuracy: 1e-9)
        XCTAssertEqual(state(m, "newSubscriber"), .new)
        XCTAssertEqual(state(m, "cancelled"), .churned)
        XCTAssertEqual(state(m, "restarted"), .reactivated)
        XCTAssertEqual(state(m, "restartedLongAgo"), .active)
        XCTAssertEqual(state(m, "subscriberBack"), .reactivated, "the gap rule applies to subscribers too")
        XCTAssertEqual(state(m, "emailedSubscriber"), .active)
    }

    func testSubscriptionTiesGoToTheLaterEventInFileOrderAndTimeBeatsFileOrder() throws {
        let m = try build(
            events("tieCancelLast", "subscription_start", [-100, -10]) + events("tieCancelLast", "subscription_cancel", [-10])
            + events("tieStartLast", "subscription_start", [-100]) + events("tieStartLast", "subscription_cancel", [-10])
            + events("tieStartLast", "subscription_start", [-10])
            // Not in time order: the cancel comes later in the file but earlier in time.
            + events("unsorted", "subscription_start", [-10]) + events("unsorted", "subscription_cancel", [-50])
            + events("unsorted", "subscription_start", [-100])
            + events("unsortedCancel", "subscription_cancel", [-10]) + events("unsortedCancel", "subscription_start", [-100]))
        XCTAssertEqual(state(m, "tieCancelLast"), .churned)
        XCTAssertEqual(state(m, "tieStartLast"), .reactivated)
        XCTAssertEqual(state(m, "unsorted"), .reactivated)
        XCTAssertEqual(state(m, "unsortedCancel"), .churned)
    }

    func testCancelThenRestartAcrossSnapshots() throws {
        let t1 = Self.T - 60 * Self.day, t2 = Self.T - 20 * Self.day, t3 = Self.T + 40 * Self.day
        let m = try build(events("a", "subscription_start", [-200]) + events("a", "subscription_cancel", [-50])
                          + events("a", "subscription_start", [-10]),
                          asOf: [t1, t2, Self.T, t3])
        XCTAssertEqual(state(m, "a", asOf: t1), .active)
        XCTAssertEqual(state(m, "a", asOf: t2), .churned)
        XCTAssertEqual(state(m, "a", asOf: Self.T), .reactivated)
        XCTAssertEqual(state(m, "a", asOf: t3), .active, "50 days after the restart")
    }

    // MARK: Thresholds from the config

    func testThresholdsComeFromTheConfigAndLapsedDaysDefaultsToTheHorizon() throws {
        let log = events("a", "login", [-100, -45]) + events("b", "login", [-35])
        let m = try build(log)
        XCTAssertEqual(state(m, "a"), .lapsed)
        var config = FeatureConfig()
        config.churn.horizonDays = 60
        XCTAssertEqual(config.lapsedDays, 60)
        let h = try build(log, config: config)
        XCTAssertEqual(state(h, "a"), .active, "lapsed_days follows the 60-day horizon")
        config.lifecycle.lapsedDays = 40
        XCTAssertEqual(config.lapsedDays, 40)
        XCTAssertEqual(state(try build(log, config: config), "a"), .lapsed)
        config.lifecycle.newDays = 60
        XCTAssertEqual(state(try build(log, config: config), "b"), .new)
    }

    func testConfigDefaultsAndParsing() throws {
        let d = FeatureConfig()
        XCTAssertEqual(d.lifecycle, LifecycleSettings(newDays: 30, lapsedDays: nil, business: ["email_sent", "ticket_resolved"]))
        XCTAssertEqual(d.lapsedDays, 30)
        let files = try KPITestFiles()
        let yaml = try FeatureConfig.load(path: try files.write("c.yaml", """
            churn: {horizon_days: 45}
            lifecycle:
              new_days: 14
              business: [email_sent, agent_reply]
            """))
        XCTAssertEqual(yaml.lifecycle, LifecycleSettings(newDays: 14, lapsedDays: nil, business: ["email_sent", "agent_reply"]))
        XCTAssertEqual(yaml.lapsedDays, 45)
        let json = try FeatureConfig.load(path: try files.write("c.json", #"{"lifecycle": {"lapsed_days": 90, "business": "email_sent"}}"#))
        XCTAssertEqual(json.lifecycle, LifecycleSettings(newDays: 30, lapsedDays: 90, business: ["email_sent"]))
        XCTAssertEqual(json.lapsedDays, 90)
        let absent = try FeatureConfig.load(path: try files.write("n.yaml", "windows: [30]\n"))
        XCTAssertEqual(absent.lifecycle, LifecycleSettings())
        // Round trip through the encoder; the default section is not written, so model files that
        // re-encode their config for the checksum keep the checksum they were written with.
        let back = try JSONDecoder().decode(FeatureConfig.self, from: JSONEncoder().encode(json))
        XCTAssertEqual(back.lifecycle, json.lifecycle)
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(FeatureConfig()), as: UTF8.self).contains("lifecycle"))
        XCTAssertTrue(String(decoding: try JSONEncoder().encode(json), as: UTF8.self).contains(#""lapsed_days":90"#))
    }

    func testBadLifecycleValuesAreClearErrors() throws {
        let files = try KPITestFiles()
        func message(_ text: String) throws -> String {
            let path = try files.write("bad.yaml", text)
            do { _ = try FeatureConfig.load(path: path); return "no error" } catch { return "\(error)" }
        }
        let path = files.path + "/bad.yaml"
        XCTAssertEqual(try message("lifecycle: {new_days: 0}"),
                       "lifecycle.new_days must be a whole number of days between 1 and 3650, got 0.")
        XCTAssertEqual(try message("lifecycle: {lapsed_days: -3}"),
                       "lifecycle.lapsed_days must be a whole number of days between 1 and 3650, got -3.")
        XCTAssertEqual(try message("lifecycle: {new_day: 10}"),
                       "\(path): lifecycle: unknown key 'new_day' (keys: new_days, lapsed_days, business).")
        XCTAssertEqual(try message("lifecycle: {business: ['']}"),
                       "lifecycle.business: names must not be empty (give roles such as email_sent or event types).")
        XCTAssertTrue(try message("lifecycle: {new_days: soon}").hasPrefix("\(path), at 'lifecycle.new_days': "))
        var config = FeatureConfig()
        config.lifecycle.newDays = 4000
        XCTAssertThrowsError(try FeatureAccumulator(spec: FeatureSpec(config: config, asOf: [Self.T]))) { error in
            XCTAssertEqual(error as? IngestError, .invalidLifecycle(.daysOutOfRange(key: "new_days", value: 4000)))
        }
    }

    // MARK: The features table and report

    func testLabelledTableMarksTheUniverseBeforeChurnedAndReportCountsStates() throws {
        let files = try KPITestFiles()
        let events = try files.write("e.csv", """
            customer_id,timestamp,event_type,value,ref
            a,2025-05-20,login,,
            b,2025-01-01,login,,
            b,2025-05-25,email_sent,,
            c,2025-01-01,subscription_start,,
            c,2025-02-01,subscription_cancel,,
            d,2025-01-10,login,,
            d,2025-05-28,login,,
            a,2025-06-03,login,,

            """)
        let out = files.path + "/f.csv"
        let settings = FeatureRun.Settings(asOf: Self.T, label: true)
        let report = try FeatureRun.run(reader: EventLogReader(source: .csv(path: events)), config: FeatureConfig(),
                                        settings: settings, out: out)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(Array(lines[0].suffix(2)), ["in_universe", "churned"])
        XCTAssertFalse(report.featureNames.contains("in_universe"), "not a feature")
        let cells = Dictionary(uniqueKeysWithValues: lines.dropFirst().map { ($0[0], Array($0.suffix(2))) })
        XCTAssertEqual(cells["a"], ["1", "0"])     // new
        XCTAssertEqual(cells["b"], ["0", "1"])     // lapsed (only emailed since January)
        XCTAssertEqual(cells["c"], ["0", "1"])     // churned
        XCTAssertEqual(cells["d"], ["1", "1"])     // reactivated
        XCTAssertEqual(report.lifecycle, [LifecycleCounts(asOf: "2025-06-01", counts: [.new: 1, .active: 0, .reactivated: 1, .lapsed: 1, .churned: 1])])
        XCTAssertEqual(report.lifecycle[0].universe, 2)
        XCTAssertEqual(report.lifecycle[0].description,
                       "Lifecycle as of 2025-06-01: new 1, active 0, reactivated 1, lapsed 1, churned 1 (at-risk universe 2)")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as! [String: Any]
        let first = try XCTUnwrap((json["lifecycle"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["as_of"] as? String, "2025-06-01")
        XCTAssertEqual(first["churned"] as? Int, 1)
        XCTAssertEqual(first["universe"] as? Int, 2)
        // Without --label: no in_universe column, the states are still counted.
        let plain = try FeatureRun.run(reader: EventLogReader(source: .csv(path: events)), config: FeatureConfig(),
                                       settings: FeatureRun.Settings(asOf: Self.T), out: out)
        XCTAssertFalse(try String(contentsOfFile: out, encoding: .utf8).contains("in_universe"))
        XCTAssertEqual(plain.lifecycle, report.lifecycle)
    }

    // MARK: Independent check on the bundled sample

    /// As of 2025-12-01 on datasets/sample, from the raw CSV: a customer with subscription events
    /// is churned iff the latest one is a cancel; any other is lapsed iff its last own event
    /// (not email_sent or ticket_resolved) is more than 30 days before T. Customers within a day of
    /// that boundary are skipped.
    func testSampleStatesAgreeWithASimpleReadingOfTheRawLog() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("datasets/sample/events.csv").path
        let T = Double(Timestamp.daysFromCivil(year: 2025, month: 12, day: 1)) * Self.day
        struct Seen { var subTime = -Double.infinity; var subCancel = false; var lastOwn = -Double.infinity }
        var seen = [String: Seen]()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // The sample's timestamps are all YYYY-MM-DDTHH:MM:SSZ.
        func number(_ b: [UInt8], _ from: Int, _ count: Int) -> Int { b[from..<(from + count)].reduce(0) { $0 * 10 + Int($1 - 48) } }
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            let b = Array(f[1].utf8)
            guard b.count == 20 && b[10] == UInt8(ascii: "T") && b[19] == UInt8(ascii: "Z") else {
                return XCTFail("unexpected timestamp \(f[1])")
            }
            let days = Timestamp.daysFromCivil(year: number(b, 0, 4), month: number(b, 5, 2), day: number(b, 8, 2))
            let t = Double(days) * Self.day + Double(number(b, 11, 2) * 3600 + number(b, 14, 2) * 60 + number(b, 17, 2))
            guard t < T else { continue }
            var s = seen[String(f[0]), default: Seen()]
            let type = f[2]
            if type == "subscription_start" || type == "subscription_cancel", t >= s.subTime {
                s.subTime = t; s.subCancel = type == "subscription_cancel"
            }
            if type != "email_sent" && type != "ticket_resolved" { s.lastOwn = max(s.lastOwn, t) }
            seen[String(f[0])] = s
        }
        let reader = EventLogReader(source: .csv(path: path))
        let m = try FeaturePipeline.build(reader: reader, spec: FeatureSpec(asOf: [T])).features
        XCTAssertEqual(m.rowCount, seen.count)
        var checked = 0, mismatches = [String]()
        for r in 0..<m.rowCount {
            let s = try XCTUnwrap(seen[m.customerIDs[r]])
            let expected: Bool        // churned (subscribers) or lapsed (others)
            let got: Bool
            if s.subTime.isFinite {
                expected = s.subCancel; got = m.lifecycle[r] == .churned
            } else {
                let age = T - s.lastOwn
                if abs(age - 30 * Self.day) <= Self.day { continue }
                expected = age > 30 * Self.day; got = m.lifecycle[r] == .lapsed
            }
            checked += 1
            if expected != got { mismatches.append("row \(r): \(m.lifecycle[r].name)") }
        }
        XCTAssertGreaterThan(checked, 4500)
        XCTAssertEqual(mismatches.count, 0, mismatches.prefix(5).joined(separator: "; "))
    }
}
