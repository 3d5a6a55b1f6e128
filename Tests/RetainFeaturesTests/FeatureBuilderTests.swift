import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainNumerics
@testable import RetainFeatures

/// Feature values on hand-computed tiny logs. Times are given as day offsets from T = 2025-06-01
/// (negative = before T), so every expected value can be checked by eye.
final class FeatureBuilderTests: XCTestCase {
    static let T = 1_748_736_000.0          // 2025-06-01T00:00:00Z
    static let day = 86_400.0

    struct Event { var customer: String; var day: Double; var type: String; var value: Double = .nan; var ref: String? = nil }

    /// Interns the events as the reader would and builds the features.
    func build(_ events: [Event], config: FeatureConfig = FeatureConfig(), asOf: [Double] = [T], label: Bool = false,
               signups: [String: Double] = [:]) throws -> FeatureMatrix {
        var customers = [String: Int32](), ids = [String]()
        var types = [String: Int32](), typeNames = [String]()
        var refs = [String: Int32]()
        var c = [Int32](), t = [Double](), ty = [Int32](), v = [Double](), r = [Int32]()
        for e in events {
            if customers[e.customer] == nil { customers[e.customer] = Int32(ids.count); ids.append(e.customer) }
            if types[e.type] == nil { types[e.type] = Int32(typeNames.count); typeNames.append(e.type) }
            c.append(customers[e.customer]!)
            t.append(Self.T + e.day * Self.day)
            ty.append(types[e.type]!)
            v.append(e.value)
            if let ref = e.ref {
                if refs[ref] == nil { refs[ref] = Int32(refs.count) }
                r.append(refs[ref]!)
            } else { r.append(-1) }
        }
        var acc = try FeatureAccumulator(spec: FeatureSpec(config: config, asOf: asOf, label: label))
        acc.setEventTypes(typeNames)
        c.withUnsafeBufferPointer { cb in t.withUnsafeBufferPointer { tb in ty.withUnsafeBufferPointer { yb in
            v.withUnsafeBufferPointer { vb in r.withUnsafeBufferPointer { rb in
                acc.add(customer: cb, time: tb, type: yb, value: vb, ref: rb)
            } } } } }
        return acc.finish(customerIDs: ids, signups: signups)
    }

    func value(_ m: FeatureMatrix, _ customer: String, _ name: String, asOf: Double? = nil) -> Double? {
        guard let row = m.row(customer: customer, asOf: asOf) else { return nil }
        return m.value(name, row: row)
    }

    func testWindowIncludesItsStartAndExcludesT() throws {
        let m = try build([
            Event(customer: "a", day: -30, type: "login"),          // exactly T - 30d: in the 30-day window
            Event(customer: "a", day: -30.00001, type: "login"),    // just before: only in 90d
            Event(customer: "a", day: 0, type: "login"),            // exactly T: excluded
            Event(customer: "a", day: -0.5, type: "login"),
        ])
        XCTAssertEqual(value(m, "a", "n_login_30d"), 2)
        XCTAssertEqual(value(m, "a", "n_login_90d"), 3)
        XCTAssertEqual(value(m, "a", "n_login_7d"), 1)
        XCTAssertEqual(value(m, "a", "recency_days")!, 0.5, accuracy: 1e-12)
    }

    func testRecencyTenureAndActiveDays() throws {
        let m = try build([
            Event(customer: "a", day: -100, type: "login"),
            Event(customer: "a", day: -2.25, type: "purchase", value: 40),
            Event(customer: "a", day: -2.5, type: "login"),         // same UTC day as the purchase
            Event(customer: "a", day: -10, type: "login"),
        ], signups: ["a": Self.T - 400 * Self.day])
        XCTAssertEqual(value(m, "a", "tenure_days"), 400, "signup date wins over the first event")
        XCTAssertEqual(value(m, "a", "recency_days")!, 2.25, accuracy: 1e-12)
        XCTAssertEqual(value(m, "a", "recency_purchase_days")!, 2.25, accuracy: 1e-12)
        XCTAssertEqual(value(m, "a", "active_days_7d"), 1)
        XCTAssertEqual(value(m, "a", "active_days_30d"), 2)
        XCTAssertEqual(value(m, "a", "active_days_90d"), 2)
        XCTAssertNil(m.value("recency_session_days", row: 0), "no session role in the log: no column")
    }

    func testTenureFallsBackToFirstEventAndPurchaseFeatures() throws {
        let m = try build([
            Event(customer: "a", day: -60, type: "purchase", value: 10),
            Event(customer: "a", day: -20, type: "purchase", value: 30),
            Event(customer: "a", day: -5, type: "purchase", value: 50),
            Event(customer: "b", day: -5, type: "login"),
        ])
        XCTAssertEqual(value(m, "a", "tenure_days"), 60)
        XCTAssertEqual(value(m, "a", "sum_purchase_30d"), 80)
        XCTAssertEqual(value(m, "a", "aov_30d"), 40)
        XCTAssertEqual(value(m, "a", "sum_purchase_90d"), 90)
        XCTAssertEqual(value(m, "a", "purchase_frequency_per_30d")!, 3.0 / 60 * 30, accuracy: 1e-12)
        XCTAssertEqual(value(m, "b", "sum_purchase_30d"), 0)
        XCTAssertTrue(value(m, "b", "aov_30d")!.isNaN, "no purchases: empty AOV")
        XCTAssertTrue(value(m, "b", "recency_purchase_days")!.isNaN)
    }

    func testSessionBounceAndEmailRates() throws {
        let m = try build([
            Event(customer: "a", day: -1, type: "session", value: 100),
            Event(customer: "a", day: -2, type: "session", value: 300),
            Event(customer: "a", day: -1, type: "page_view", ref: "s1"),
            Event(customer: "a", day: -1, type: "page_view", ref: "s1"),
            Event(customer: "a", day: -2, type: "page_view", ref: "s2"),
            Event(customer: "a", day: -3, type: "email_sent"), Event(customer: "a", day: -3, type: "email_sent"),
            Event(customer: "a", day: -3, type: "email_sent"), Event(customer: "a", day: -3, type: "email_sent"),
            Event(customer: "a", day: -2, type: "email_open"), Event(customer: "a", day: -2, type: "email_click"),
            Event(customer: "a", day: -1, type: "email_unsubscribe"),
        ])
        XCTAssertEqual(value(m, "a", "mean_session_seconds_7d"), 200)
        XCTAssertEqual(value(m, "a", "bounce_rate_7d"), 0.5, "s2 has one page view")
        XCTAssertEqual(value(m, "a", "email_open_rate_7d"), 0.25)
        XCTAssertEqual(value(m, "a", "email_ctr_7d"), 0.25)
        XCTAssertEqual(value(m, "a", "email_unsubscribed"), 1)
    }

    func testSupportResolutionAndFirstContactResolution() throws {
        let m = try build([
            Event(customer: "a", day: -5, type: "ticket_opened", ref: "t1"),
            Event(customer: "a", day: -4.5, type: "ticket_resolved", ref: "t1"),     // 12 h, no extra contact
            Event(customer: "a", day: -3, type: "ticket_opened", ref: "t2"),
            Event(customer: "a", day: -2.9, type: "contact", ref: "t2"),
            Event(customer: "a", day: -2.8, type: "contact", ref: "t2"),
            Event(customer: "a", day: -2, type: "ticket_resolved", ref: "t2"),       // 24 h, two contacts
            Event(customer: "a", day: -1, type: "ticket_opened", ref: "t3"),         // unresolved
            Event(customer: "a", day: 0.5, type: "ticket_resolved", ref: "t3"),      // after T: ignored
        ])
        XCTAssertEqual(value(m, "a", "tickets_7d"), 3)
        XCTAssertEqual(value(m, "a", "mean_resolution_hours_7d"), 18)
        XCTAssertEqual(value(m, "a", "fcr_rate_7d"), 0.5)
    }

    func testSurveysSocialAndTrends() throws {
        let m = try build([
            Event(customer: "a", day: -10, type: "nps", value: 9),
            Event(customer: "a", day: -3, type: "nps", value: 4),
            Event(customer: "a", day: -3, type: "nps", value: 6),                    // same instant: the higher wins
            Event(customer: "a", day: -200, type: "csat", value: 1),                 // outside 180 days
            Event(customer: "a", day: -20, type: "csat", value: 4), Event(customer: "a", day: -10, type: "csat", value: 5),
            Event(customer: "a", day: -5, type: "ces", value: 2),
            Event(customer: "a", day: -1, type: "like"), Event(customer: "a", day: -2, type: "share"), Event(customer: "a", day: -40, type: "comment"),
            Event(customer: "a", day: -10, type: "login"), Event(customer: "a", day: -11, type: "login"),
            Event(customer: "a", day: -45, type: "login"), Event(customer: "a", day: -50, type: "login"), Event(customer: "a", day: -55, type: "login"),
        ])
        XCTAssertEqual(value(m, "a", "nps_last"), 6)
        XCTAssertEqual(value(m, "a", "nps_detractor"), 1)
        XCTAssertEqual(value(m, "a", "nps_promoter"), 0)
        XCTAssertEqual(value(m, "a", "csat_mean_180d"), 4.5)
        XCTAssertEqual(value(m, "a", "ces_mean_180d"), 2)
        XCTAssertEqual(value(m, "a", "social_interactions_7d"), 2)
        XCTAssertEqual(value(m, "a", "social_interactions_90d"), 3)
        XCTAssertEqual(value(m, "a", "trend_login_30d"), 3.0 / 4.0, "(2 + 1) / (3 + 1)")
    }

    func testRoleMappingFromConfigRenamesTypes() throws {
        var config = FeatureConfig()
        config.roles = RoleMap(roleToTypes: [.session: ["session_end"], .purchase: ["order", "renewal"]])
        let m = try build([
            Event(customer: "a", day: -1, type: "session_end", value: 60),
            Event(customer: "a", day: -2, type: "order", value: 10),
            Event(customer: "a", day: -3, type: "renewal", value: 5),
        ], config: config)
        XCTAssertEqual(value(m, "a", "mean_session_seconds_7d"), 60)
        XCTAssertEqual(value(m, "a", "sum_purchase_7d"), 15)
        XCTAssertEqual(value(m, "a", "n_order_7d"), 1)
        XCTAssertEqual(value(m, "a", "recency_purchase_days"), 2)
    }

    func testCustomFeaturesAndRatios() throws {
        var config = FeatureConfig()
        config.custom = [
            CustomFeature(name: "big", aggregate: .max, role: .purchase, windowDays: 30),
            CustomFeature(name: "small", aggregate: .min, eventType: "purchase"),
            CustomFeature(name: "mean_p", aggregate: .mean, role: .purchase, windowDays: 30),
            CustomFeature(name: "login_days", aggregate: .distinctDays, eventType: "login", windowDays: 14),
            CustomFeature(name: "since_login", aggregate: .daysSinceLast, eventType: "login"),
            CustomFeature(name: "spend_per_login", ratio: ["sum_purchase_30d", "n_login_30d"]),
        ]
        let m = try build([
            Event(customer: "a", day: -40, type: "purchase", value: 1),
            Event(customer: "a", day: -20, type: "purchase", value: 30),
            Event(customer: "a", day: -5, type: "purchase", value: 10),
            Event(customer: "a", day: -3.2, type: "login"), Event(customer: "a", day: -3.1, type: "login"), Event(customer: "a", day: -13, type: "login"),
            Event(customer: "a", day: -20, type: "login"),
        ], config: config)
        XCTAssertEqual(value(m, "a", "big"), 30)
        XCTAssertEqual(value(m, "a", "small"), 1)
        XCTAssertEqual(value(m, "a", "mean_p"), 20)
        XCTAssertEqual(value(m, "a", "login_days"), 2)
        XCTAssertEqual(value(m, "a", "since_login")!, 3.1, accuracy: 1e-12)
        XCTAssertEqual(value(m, "a", "spend_per_login"), 40.0 / 4.0)
    }

    func testInactivityAndCancellationLabelsUseOnlyTheHorizon() throws {
        let events = [
            Event(customer: "stays", day: -5, type: "login"), Event(customer: "stays", day: 29.9, type: "login"),
            Event(customer: "leaves", day: -5, type: "login"), Event(customer: "leaves", day: 30, type: "login"),  // T + 30d: outside
            Event(customer: "cancels", day: -5, type: "login"), Event(customer: "cancels", day: 3, type: "subscription_cancel"),
        ]
        let m = try build(events, label: true)
        XCTAssertEqual(value(m, "stays", "churned"), 0)
        XCTAssertEqual(value(m, "leaves", "churned"), 1)
        XCTAssertEqual(value(m, "cancels", "churned"), 0, "inactivity: the cancel event is activity")
        var config = FeatureConfig()
        config.churn = .init(definition: .cancellation, horizonDays: 30)
        let c = try build(events, config: config, label: true)
        XCTAssertEqual(value(c, "cancels", "churned"), 1)
        XCTAssertEqual(value(c, "leaves", "churned"), 0)
    }

    func testSnapshotsGiveOneRowPerCustomerAndDateWithOnlyPastEvents() throws {
        let t2 = Self.T - 30 * Self.day
        let m = try build([
            Event(customer: "a", day: -40, type: "login"),
            Event(customer: "a", day: -10, type: "login"),
            Event(customer: "b", day: -10, type: "login"),            // b did not exist at T - 30d
        ], asOf: [Self.T, t2])
        XCTAssertEqual(m.rowCount, 3)
        XCTAssertEqual(m.asOf, [t2, Self.T, Self.T], "sorted by date, then customer")
        XCTAssertEqual(value(m, "a", "n_login_30d", asOf: t2), 1)
        XCTAssertEqual(value(m, "a", "recency_days", asOf: t2), 10)
        XCTAssertEqual(value(m, "a", "n_login_30d", asOf: Self.T), 1)
        XCTAssertEqual(value(m, "a", "n_login_90d", asOf: Self.T), 2)
    }

    func testEventsAtOrAfterTNeverChangeAFeature() throws {
        var rng = SystemRandomNumberGenerator()
        let types = ["login", "purchase", "session", "page_view", "nps", "csat", "ticket_opened", "ticket_resolved", "like"]
        var base = [Event]()
        for i in 0..<300 {
            base.append(Event(customer: "c\(i % 7)", day: -Double.random(in: 0.001...120, using: &rng), type: types[i % types.count],
                              value: Double(i % 11), ref: i % 3 == 0 ? "r\(i % 20)" : nil))
        }
        let reference = try build(base)
        var future = base
        for i in 0..<200 {
            future.append(Event(customer: "c\(i % 9)", day: Double.random(in: 0...60, using: &rng), type: types[i % types.count],
                                value: Double(i), ref: "r\(i % 20)"))
        }
        future.append(Event(customer: "c1", day: 0, type: "purchase", value: 1e6))       // exactly at T
        let withFuture = try build(future)
        // Customers only seen after T get no row; everyone else is identical.
        let names = reference.names
        for row in 0..<reference.rowCount {
            let id = reference.customerIDs[row]
            guard let other = withFuture.row(customer: id) else { return XCTFail("lost \(id)") }
            for name in names {
                let a = reference.value(name, row: row)!, b = withFuture.value(name, row: other)!
                XCTAssertTrue(a == b || (a.isNaN && b.isNaN), "\(id) \(name): \(a) vs \(b)")
            }
        }
    }

    func testShufflingEventsChangesNothing() throws {
        var events = [Event]()
        for i in 0..<200 { events.append(Event(customer: "c\(i % 5)", day: -Double(i % 97) - 0.5, type: ["login", "purchase", "nps"][i % 3], value: Double(i % 10))) }
        let a = try build(events)
        var g = SystemRandomNumberGenerator()
        let b = try build(events.shuffled(using: &g))
        XCTAssertEqual(a.names, b.names)
        XCTAssertEqual(a.customerIDs, b.customerIDs)
        for (x, y) in zip(a.values, b.values) { XCTAssertTrue(x == y || (x.isNaN && y.isNaN)) }
    }

    func testFeaturesDoNotDependOnTheThreadCount() throws {
        // Enough events for the parallel pass (blocks of 4,096 events or more run on several threads).
        var rng = SeededGenerator(seed: 11)
        let types = ["login", "purchase", "session_end", "nps", "csat", "ces", "subscription_cancel"]
        var events = [Event]()
        for _ in 0..<6_000 {
            let type = types[Int(rng.nextUnit() * Double(types.count))]
            events.append(Event(customer: "c\(Int(rng.nextUnit() * 97))", day: rng.nextUnit() * 400 - 300,
                                type: type, value: (rng.nextUnit() * 10).rounded()))
        }
        let asOf = [Self.T, Self.T - 45 * Self.day]
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 1
        let reference = try build(events, asOf: asOf, label: true)
        for threads in [2, 3, 5] {
            Parallel.threadCount = threads
            let other = try build(events, asOf: asOf, label: true)
            XCTAssertEqual(reference.names, other.names)
            XCTAssertEqual(reference.customerIDs, other.customerIDs)
            XCTAssertEqual(reference.values.map(\.bitPattern), other.values.map(\.bitPattern), "\(threads) threads")
        }
    }

    func testCustomersWithOnlyASignupBeforeTGetARow() throws {
        let m = try build([Event(customer: "a", day: -1, type: "login")],
                          signups: ["new": Self.T - 2 * Self.day, "future": Self.T + Self.day])
        XCTAssertEqual(m.customerIDs, ["a", "new"])
        XCTAssertEqual(value(m, "new", "tenure_days"), 2)
        XCTAssertTrue(value(m, "new", "recency_days")!.isNaN)
        XCTAssertEqual(value(m, "new", "n_login_30d"), 0)
    }

    func testInvalidConfigIsRejectedWithAMessage() {
        var config = FeatureConfig()
        config.windows = [0]
        XCTAssertThrowsError(try FeatureAccumulator(spec: FeatureSpec(config: config, asOf: [Self.T]))) {
            XCTAssertEqual("\($0)", "windows must be whole days between 1 and 3650, got [0].")
        }
        var r = RoleMap()
        XCTAssertThrowsError(try r.parse(assignment: "sessions=session_end")) {
            XCTAssertTrue("\($0)".contains("unknown role 'sessions'"))
        }
    }
}
