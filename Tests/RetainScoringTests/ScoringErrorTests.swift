import XCTest
@testable import RetainScoring

/// Messages of the cases folded into `ScoringError` from the former per-workflow enums; the texts
/// are what the CLI prints, and none names a CLI flag.
final class ScoringErrorTests: XCTestCase {
    func testEventTypesThatLookLikeIdsOrEmailsAreCountedNotListed() {
        XCTAssertEqual(ScoringError.eventTypeList(["login", "session_end"]), "login, session_end")
        let misaligned = ScoringError.noPurchaseEvents(source: "e.csv", eventTypes: ["C000001", "C000002", "c000003@example.com"])
        XCTAssertEqual(misaligned.description, "e.csv has no purchase events: none of its event types (3 distinct values, one of which holds 7 characters "
                       + "of letters and digits (it looks like an id or a code: are the columns in the right order?)) has the role purchase. "
                       + "Map your purchase event type to that role (roles: {purchase: EVENT_TYPE} in the config).")
        XCTAssertNil(misaligned.description.range(of: #"@example\.com|C0[0-9]{5}"#, options: .regularExpression))
    }

    func testMessagesOfFoldedCases() {
        let cases: [(ScoringError, String)] = [
            (.unknownRuleName(path: "r.yaml", rule: 2, action: "x", kind: .key, name: "whn", valid: ["action", "description", "when"]),
             "r.yaml, rule 2 (action 'x'): unknown key 'whn'. Valid: action, description, when."),
            (.unknownRuleName(path: "r.yaml", rule: 1, action: "y", kind: .tier, name: "hi", valid: ["high", "medium", "low"]),
             "r.yaml, rule 1 (action 'y'): unknown tier 'hi'. Valid: high, medium, low."),
            (.oneClass(part: .heldOut, rows: 12),
             "the held-out rows (12) hold only one class (all churned or none); choose another as-of date or horizon, or more observation dates."),
            (.tooFewObservationDates(snapshots: 2, holdout: 2),
             "2 observation dates with 2 held out leave no training date; use more observation dates or hold out fewer."),
            (.noChurnLabel, "the feature matrix has no 'churned' label column; build it with labels."),
            (.tooFewRowsForSegments(rows: 3, k: 4), "k-means needs at least 4 rows for 4 clusters, got 3."),
            (.centreCount(file: "c.csv", found: 2, k: 3), "c.csv has 2 centres for 3 segments."),
            (.noColumnsToCluster(file: "t.csv"), "t.csv: no numeric columns to cluster."),
            (.clvHorizonTooShort(0), "the CLV horizon must be at least 1 period, got 0."),
            (.wrongModelKind(path: "m.json", found: .segments, expected: .churn), "m.json is a segment model, not a churn model."),
            (.modelUnreadable(path: "m.json", reason: "no such file"), "cannot read model file m.json: no such file."),
            (.rulesUnreadable(path: "r.yaml", reason: "no such file"), "cannot read rules file r.yaml: no such file."),
            (.noFeatureColumns(file: "t.csv", withID: true), "t.csv: no feature columns left besides the label and id."),
        ]
        for (error, text) in cases {
            XCTAssertEqual(error.description, text)
            XCTAssertEqual(error.localizedDescription, text)
            XCTAssertFalse(text.contains("--"), text)
        }
    }

    func testEventTypeListStopsAtTen() {
        XCTAssertEqual(ScoringError.eventTypeList((1...12).map { "t\($0)" }), "t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, …")
    }
}
