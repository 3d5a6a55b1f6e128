import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures

/// The workflows behind `retain metrics`, `retain cohorts` and `retain features`: their reports,
/// text cells and JSON objects.
final class ReportTests: XCTestCase {
    static let log = """
        customer_id,timestamp,event_type,value,ref
        a,2025-01-10T10:00:00Z,login,,
        b,2025-01-20T10:00:00Z,purchase,20,
        a,2025-02-03T10:00:00Z,purchase,10.5,
        a,2025-02-20T10:00:00Z,nps,9,
        b,2025-03-05T10:00:00Z,login,,

        """

    func day(_ text: String) -> Double { Double(Timestamp.daysFromCivil(year: Int(text.prefix(4))!, month: Int(text.dropFirst(5).prefix(2))!, day: Int(text.suffix(2))!)) * 86_400 }

    func testMetricsTableLabelsMonthsAndFormatsByUnit() throws {
        let files = try KPITestFiles()
        let events = try files.write("e.csv", Self.log)
        let config = FeatureConfig()
        let settings = MetricsReport.Settings(from: day("2025-01-01"), to: day("2025-04-01"), by: .month, definitions: true)
        let report = try MetricsReport.compute(reader: EventLogReader(source: .csv(path: events)), config: config, settings: settings)
        XCTAssertEqual(report.kpis.spec.inactiveDays, 30, "the config's churn horizon")
        XCTAssertEqual(report.churnText, "lost after 30 days without events")
        let (header, sections) = report.table()
        XCTAssertEqual(header, ["KPI", "total", "2025-01", "2025-02", "2025-03"])
        XCTAssertEqual(sections.first?.title, "customer base")
        let purchases = try XCTUnwrap(sections.flatMap(\.rows).first { $0[0] == KPI.purchases.label })
        XCTAssertEqual(purchases, [KPI.purchases.label, "2", "1", "1", "0"])
        XCTAssertEqual(MetricsReport.format(12.345, .churnRate), "12.3")
        XCTAssertEqual(MetricsReport.format(nil, .nps), "—")
        XCTAssertEqual(MetricsReport.format(7, .ces), "7.00")
        XCTAssertEqual(MetricsReport.plain(3), "3")
        XCTAssertEqual(report.settingsText, "churn inactivity, inactive days 30, conversion purchase role")

        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any])
        XCTAssertEqual(json["from"] as? String, "2025-01-01")
        XCTAssertEqual(json["by"] as? String, "month")
        XCTAssertEqual((json["periods"] as? [Any])?.count, 3)
        XCTAssertNotNil(json["definitions"] as? [String: String])
        XCTAssertEqual((json["total"] as? [String: Any])?["revenue"] as? Double, 30.5)
    }

    func testMetricsSettingsOverrideTheConfigsChurn() throws {
        var config = FeatureConfig()
        config.churn.horizonDays = 60
        let spec = try MetricsReport.Settings(from: day("2025-01-01"), to: day("2025-02-01")).spec(config: config)
        XCTAssertEqual(spec.inactiveDays, 60)
        let overridden = try MetricsReport.Settings(from: day("2025-01-01"), to: day("2025-02-01"), churn: .cancellation, inactiveDays: 7).spec(config: config)
        XCTAssertEqual(overridden.inactiveDays, 7)
        XCTAssertEqual(overridden.churn, .cancellation)
    }

    func testCohortsReportJSONNamesTheMeasure() throws {
        let files = try KPITestFiles()
        let events = try files.write("e.csv", Self.log)
        let report = try CohortsReport.compute(reader: EventLogReader(source: .csv(path: events)), roles: RoleMap(), by: .month, metric: .revenue)
        XCTAssertTrue(report.csv.hasPrefix("cohort,customers,measure,m0,m1,m2\n2025-01,2,revenue,20.00,10.50,"), report.csv)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any])
        XCTAssertEqual(json["metric"] as? String, "revenue")
        let first = try XCTUnwrap((json["cohorts"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["start"] as? String, "2025-01-01")
        XCTAssertNotNil(first["revenue_per_customer"])
        XCTAssertNil(first["active"])
    }

    func testFeatureRunWritesTheTableAndReportsIt() throws {
        let files = try KPITestFiles()
        let events = try files.write("e.csv", Self.log)
        let out = files.path + "/f.csv"
        let settings = FeatureRun.Settings(asOf: day("2025-03-01"), label: true, horizon: 90, snapshots: 2, everyDays: 14)
        XCTAssertEqual(settings.dates, [day("2025-03-01"), day("2025-02-15")])
        let config = settings.config(FeatureConfig())
        XCTAssertEqual(config.churn.horizonDays, 90)
        let report = try FeatureRun.run(reader: EventLogReader(source: .csv(path: events)), config: config, settings: settings, out: out)
        XCTAssertEqual(report.snapshots, ["2025-02-15", "2025-03-01"])
        XCTAssertEqual(report.customers, 2)
        XCTAssertEqual(report.rows, 4)
        XCTAssertEqual(report.events, 5)
        XCTAssertEqual(report.warnings.count, 1, "the log ends before the label horizon closes")
        XCTAssertTrue(report.warnings[0].hasPrefix("the log ends on 2025-03-05, before the label horizon of 2025-03-01 closes"), report.warnings[0])
        let text = try String(contentsOfFile: out, encoding: .utf8)
        // --label adds in_universe (not a feature) just before churned.
        var header = report.featureNames
        header.insert("in_universe", at: header.count - 1)
        XCTAssertTrue(text.hasPrefix("customer_id,as_of," + header.joined(separator: ",") + "\n"))
        // a: first event 36 days before 2025-02-15, last 12 days; b: first event 26 days before.
        XCTAssertEqual(report.lifecycle.map(\.asOf), ["2025-02-15", "2025-03-01"])
        XCTAssertEqual(report.lifecycle.map { $0.counts[.new] }, [1, 0])
        XCTAssertEqual(report.lifecycle.map { $0.counts[.active] }, [1, 2])
        XCTAssertEqual(text.split(separator: "\n").count, 5)
        XCTAssertEqual(FeatureRun.rejectsPath(out: out), out + ".rejects.csv")
    }

    func testFormatDateIsTheUTCDay() {
        XCTAssertEqual(formatDate(day("2024-02-29") + 86_399), "2024-02-29")
        XCTAssertEqual(formatDate(-1), "1969-12-31")
    }
}
