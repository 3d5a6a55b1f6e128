import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainScoring

/// Scoring one day: the config rule, the model id, a prepared table, the id column check, drift text.
final class DailyScoringTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("daily-scoring-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A table of the hand model's columns: a is risky (long since a purchase, tickets), b is safe.
    func table() throws -> String {
        try write("t.csv", "customer_id," + HandModel.names.joined(separator: ",") + "\n"
                  + "a,40,0.2,4,3,20,1,400\n" + "b,1,2,0,10,50,2,400\n")
    }

    func testModelIDIsTheFileNameAndTheChecksumsFirst12HexDigits() {
        var b = HandModel.bundle()
        b.checksum = "sha256:0123456789abcdef0123"
        XCTAssertEqual(DailyScoring.modelID(b, path: "/m/churn-v2.json"), "churn-v2@0123456789ab")
    }

    func testConfigIsTheBundlesUnlessAFileIsGivenWithRolesOnTop() throws {
        var b = HandModel.bundle()
        b.config.churn.horizonDays = 45
        let fromBundle = try DailyScoring.config(for: EventInput(events: "e.csv", roles: ["session=session_end"]), bundle: b)
        XCTAssertEqual(fromBundle.churn.horizonDays, 45)
        XCTAssertEqual(fromBundle.roles.role(of: "session_end"), .session)
        let file = try write("c.yaml", "churn:\n  horizon_days: 60\n")
        let fromFile = try DailyScoring.config(for: EventInput(events: "e.csv", config: file), bundle: b)
        XCTAssertEqual(fromFile.churn.horizonDays, 60)
    }

    func testPreparedTableIsScoredAndTheRulesSetActions() throws {
        let rules = ActionRules(rules: [ActionRule(action: "call", description: "Call them.", when: RuleConditions(tier: ["high"]))])
        let scoring = DailyScoring(bundle: HandModel.bundle(high: 0.9, medium: 0.5), modelPath: "hand.json", rules: rules,
                                   date: "2025-12-01", source: .table(path: try table(), idColumn: "customer_id"))
        var phases: [String] = []
        let result = try scoring.run { phases.append($0) }
        XCTAssertEqual(phases, ["read and score", "actions"])
        XCTAssertEqual(result.batch.customerIDs, ["a", "b"])
        XCTAssertEqual(result.batch.action(0), "call")
        XCTAssertEqual(result.batch.action(1), "none")
        XCTAssertEqual(result.modelID, scoring.modelID)
        let report = ScoreReport(result, date: "2025-12-01", seconds: 0)
        XCTAssertEqual(report.customers, 2)
        XCTAssertEqual(report.actionIDs, ["call", "none"])
        XCTAssertEqual(report.actions, ["call": 1, "none": 1])
    }

    func testMissingIdColumnIsNamedWithoutListingTheColumns() throws {
        let path = try table()
        let scoring = DailyScoring(bundle: HandModel.bundle(), modelPath: "hand.json", date: "2025-12-01",
                                   source: .table(path: path, idColumn: "id"))
        XCTAssertThrowsError(try scoring.run()) { error in
            XCTAssertEqual("\(error)", "\(path): no id column 'id' in the header.")
        }
    }

    func testScoringDateMustBeADay() {
        XCTAssertEqual(try DailyScoring.instant(of: "2025-12-01"), 1_764_547_200)
        XCTAssertThrowsError(try DailyScoring.instant(of: "2025-12-01T10:00:00Z"))
        XCTAssertThrowsError(try DailyScoring.instant(of: "yesterday"))
    }

    func testDriftWarningNamesTheScoreAndTheFeaturesOverTheThreshold() {
        let quiet = DriftReport(scorePSI: 0.05, featurePSI: ["a": 0.1], featuresOver: [], threshold: 0.2)
        XCTAssertNil(quiet.warning)
        let loud = DriftReport(scorePSI: 0.3, featurePSI: ["a": 0.25, "b": 0.5], featuresOver: ["b", "a"], threshold: 0.2)
        XCTAssertEqual(loud.warning, "drift against the training data (PSI > 0.2): score (0.300); b (0.500), a (0.250)")
        let featuresOnly = DriftReport(scorePSI: 0.1, featurePSI: ["a": 0.25], featuresOver: ["a"], threshold: 0.2)
        XCTAssertEqual(featuresOnly.warning, "drift against the training data (PSI > 0.2): a (0.250)")
    }

    func testReportJSONKeepsTheCommandsKeys() throws {
        let scoring = DailyScoring(bundle: HandModel.bundle(), modelPath: "hand.json", date: "2025-12-01",
                                   source: .table(path: try table(), idColumn: "customer_id"))
        let report = ScoreReport(try scoring.run(), date: "2025-12-01", seconds: 1.5, out: "s.csv", db: "h.db")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: try RetainJSON.encoder().encode(report)) as? [String: Any])
        XCTAssertEqual(Set(json.keys), ["customers", "tiers", "actions", "flags", "drift", "seconds", "model", "as_of", "out",
                                        "lifecycle", "universe", "win_back", "notes"])
        XCTAssertEqual(json["lifecycle"] as? [String: Int], ["unknown": 2])
        XCTAssertEqual(json["universe"] as? Int, 2)
        XCTAssertTrue(json["drift"] is NSNull)
        XCTAssertEqual(json["as_of"] as? String, "2025-12-01")
    }
}
