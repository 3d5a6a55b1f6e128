import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring
@testable import RetainStore

final class ScoreDiffTests: XCTestCase {
    private func history() throws -> ScoreHistory {
        try ScoreHistory(path: try temporaryDirectory(self).appendingPathComponent("h.sqlite").path)
    }

    func testDiffReportsEnteredLeftAndSegmentMovesWithTheToDayReason() throws {
        let h = try history()
        try h.write([
            record("a", "2025-10-01", p: 0.2, action: "loyalty_reward", segment: "Loyal"),
            record("b", "2025-10-01", p: 0.7, flags: ["at_risk"], action: "win_back_offer", segment: "At risk"),
            record("c", "2025-10-01", p: 0.3, segment: "Loyal"),
        ], date: "2025-10-01", modelID: "m1")
        try h.write([
            record("a", "2025-10-02", p: 0.8, flags: ["at_risk"], action: "win_back_offer", segment: "At risk",
                   reasons: ["no purchase in 45 days", "sessions down"]),
            record("b", "2025-10-02", p: 0.3, segment: "Loyal", reasons: ["bought again"]),
            record("d", "2025-10-02", p: 0.9, flags: ["at_risk"], action: "win_back_offer", segment: "At risk"),
        ], date: "2025-10-02", modelID: "m1")
        let d = try h.diff(from: "2025-10-01", to: "2025-10-02")
        let byList = Dictionary(uniqueKeysWithValues: d.lists.map { ($0.list, $0) })
        XCTAssertEqual(byList["at-risk"]?.entered, ["a", "d"])
        XCTAssertEqual(byList["at-risk"]?.left, ["b"])
        XCTAssertEqual(byList["win_back_offer"]?.entered, ["a", "d"])
        XCTAssertEqual(byList["win_back_offer"]?.left, ["b"])
        XCTAssertEqual(byList["loyalty_reward"]?.left, ["a"])
        XCTAssertEqual(byList["Loyal"]?.entered, ["b"])
        XCTAssertEqual(byList["Loyal"]?.left, ["a", "c"])
        XCTAssertEqual(byList["Loyal"]?.kind, "segment")
        XCTAssertNil(byList["none"], "none is never a list")
        XCTAssertEqual(d.moves, [
            .init(customerID: "a", from: "Loyal", to: "At risk", reason: "no purchase in 45 days"),
            .init(customerID: "b", from: "At risk", to: "Loyal", reason: "bought again"),
        ])
    }

    func testDiffOfAnUnscoredDayThrows() throws {
        let h = try history()
        try h.write([record("a", "2025-10-01")], date: "2025-10-01", modelID: "m1")
        XCTAssertThrowsError(try h.diff(from: "2025-10-01", to: "2025-10-09")) {
            XCTAssertEqual($0 as? StoreError, .unknownDate(date: "2025-10-09", scored: ["2025-10-01"]))
        }
    }

    /// Threshold 0.5: c hovers 0.55, 0.48, 0.52, 0.44. Without a margin it flips every day; with
    /// 0.05 it stays on until 0.44 < 0.45.
    func testHysteresisKeepsACustomerOnTheAtRiskListUntilBelowThresholdMinusMargin() throws {
        let h = try history()
        let days = ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04"]
        for (d, p) in zip(days, [0.55, 0.48, 0.52, 0.44]) {
            // `anchor` is flagged at exactly the threshold every day, so the inferred threshold is 0.5.
            try h.write([record("anchor", d, p: 0.5, flags: ["at_risk"]),
                         record("c", d, p: p, flags: p >= 0.5 ? ["at_risk"] : [])], date: d, modelID: "m1")
        }
        func change(_ a: String, _ b: String, margin: Double, threshold: Double? = nil) throws -> (entered: [String], left: [String]) {
            let c = try h.diff(from: a, to: b, margin: margin, threshold: threshold).lists.first { $0.list == "at-risk" }!
            return (c.entered, c.left)
        }
        // No margin: left, entered, left.
        XCTAssertEqual(try change(days[0], days[1], margin: 0).left, ["c"])
        XCTAssertEqual(try change(days[1], days[2], margin: 0).entered, ["c"])
        XCTAssertEqual(try change(days[2], days[3], margin: 0).left, ["c"])
        // Margin 0.05, threshold inferred and given: stays through 0.48 and 0.52, leaves at 0.44.
        for t in [nil, 0.5] {
            XCTAssertTrue(try change(days[0], days[1], margin: 0.05, threshold: t) == ([], []))
            XCTAssertTrue(try change(days[1], days[2], margin: 0.05, threshold: t) == ([], []))
            XCTAssertTrue(try change(days[2], days[3], margin: 0.05, threshold: t) == ([], ["c"]))
            XCTAssertEqual(try h.members(of: .atRisk, date: days[1], margin: 0.05, threshold: t), ["anchor", "c"])
        }
        XCTAssertEqual(try h.diff(from: days[0], to: days[1], margin: 0.05).threshold, 0.5)
    }

    func testHysteresisDoesNotKeepACustomerWhoWasNeverOnTheList() throws {
        let h = try history()
        try h.write([record("anchor", "2025-10-01", p: 0.5, flags: ["at_risk"]), record("c", "2025-10-01", p: 0.40)],
                    date: "2025-10-01", modelID: "m1")
        try h.write([record("anchor", "2025-10-02", p: 0.5, flags: ["at_risk"]), record("c", "2025-10-02", p: 0.48)],
                    date: "2025-10-02", modelID: "m1")
        XCTAssertEqual(try h.members(of: .atRisk, date: "2025-10-02", margin: 0.05), ["anchor"])
    }

    func testResolveListNames() throws {
        let lists = ScoreList.all(in: [record("a", "d", flags: ["at_risk"], action: "win_back_offer", segment: "At risk"),
                                       record("b", "d", action: "none", segment: "Loyal")])
        XCTAssertEqual(lists, [.atRisk, .highValue, .winBack, .action("win_back_offer"), .segment("At risk"), .segment("Loyal")])
        XCTAssertEqual(try ScoreList.resolve("win_back_offer", among: lists), .action("win_back_offer"))
        XCTAssertEqual(try ScoreList.resolve("loyal", among: lists), .segment("Loyal"))
        XCTAssertEqual(try ScoreList.resolve("segment:At risk", among: lists), .segment("At risk"))
        XCTAssertEqual(ScoreList.segment("At risk").fileStem, "segment-at-risk")
        XCTAssertThrowsError(try ScoreList.resolve("vip", among: lists)) {
            XCTAssertEqual("\($0)", "unknown list 'vip'. Valid lists: at-risk, high-value, win-back, win_back_offer, At risk, Loyal.")
        }
    }
}
