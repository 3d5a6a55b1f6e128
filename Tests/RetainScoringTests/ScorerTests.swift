import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

/// A hand-made churn model: four standardised features, no log1p, no calibration.
enum HandModel {
    static let features = [
        BundleFeature(name: "recency_purchase_days", impute: 10, log1p: false, mean: 10, scale: 10),
        BundleFeature(name: "trend_login_30d", impute: 1, log1p: false, mean: 1, scale: 0.5),
        BundleFeature(name: "tickets_30d", impute: 0, log1p: false, mean: 1, scale: 1),
        BundleFeature(name: "nps_last", impute: 8, log1p: false, mean: 8, scale: 2),
    ]
    /// Risk rises with recency and tickets, falls with the login trend and NPS.
    static let coefficients = [1.0, -1.0, 0.5, -0.5]

    static func bundle(high: Double = 0.9, medium: Double = 0.5, topFraction: Double = 0) -> ModelBundle {
        var b = ModelBundleTests.bundle()
        b.features = features
        b.coefficients = coefficients
        b.standardErrors = features.map { _ in nil }
        b.intercept = 0
        b.calibration = nil
        b.calibrationMethod = "none"
        b.thresholds = RiskThresholds(high: high, medium: medium, topFraction: topFraction)
        return b
    }

    static let names = ["recency_purchase_days", "trend_login_30d", "tickets_30d", "nps_last", "aov_90d", "purchase_frequency_per_30d", "tenure_days"]
}

final class ScorerTests: XCTestCase {
    func input(_ rows: [(String, [Double])]) -> ScoringInput {
        ScoringInput(names: HandModel.names, customerIDs: rows.map(\.0), values: rows.flatMap(\.1))
    }

    /// A table to score with one customer on two rows is an error naming both lines (not the id).
    func testDuplicateCustomerInATableIsAnErrorWithBothLines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retain-dup-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "customer_id,x\nC000007,1\n\nC000008,2\nC000007,3\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try Scorer.checkUniqueIDs(["C000007", "C000008"], path: path, column: "customer_id"))
        XCTAssertThrowsError(try Scorer.checkUniqueIDs(["C000007", "C000008", "C000007"], path: path, column: "customer_id")) { error in
            guard case let .duplicateCustomer(_, column, line, first)? = error as? ScoringError else { return XCTFail("\(error)") }
            XCTAssertEqual([column, line, first], ["customer_id", "5", "2"], "the blank line 3 is skipped: the third row is on line 5")
            XCTAssertFalse("\(error)".contains("C000007"))
        }
    }

    func testProbabilityIsTheLogisticOfTheStandardisedLinearPredictor() throws {
        let scorer = Scorer(bundle: HandModel.bundle())
        // z = 1*(64-10)/10 - 1*(0.2-1)/0.5 + 0.5*(3-1)/1 - 0.5*(4-8)/2 = 5.4 + 1.6 + 1 + 1 = 9
        let r = try scorer.score(input([("a", [64, 0.2, 3, 4, 50, 2, 400]), ("b", [10, 1, 1, 8, 0, 0, 10])]))
        XCTAssertEqual(try XCTUnwrap(r.batch[0].churnProbability), 1 / (1 + exp(-9)), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(r.batch[1].churnProbability), 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.batch[0].riskTier, "high")
        XCTAssertEqual(r.batch[1].riskTier, "medium")
        // No sum_purchase_90d column and no value model: value 0, so nobody is high_value.
        XCTAssertEqual(r.batch[0].flags, ["at_risk", "detractor"])
        XCTAssertEqual(r.batch[1].flags, ["new"])
    }

    /// Rows of the hand model with a lifecycle: the universe gets a probability, the others none.
    func testOnlyTheUniverseGetsAProbabilityTierAndAtRisk() throws {
        let risky: [Double] = [64, 0.2, 3, 4, 50, 2, 400]  // p = σ(9), far above the high cut-off
        let m = FeatureMatrix(names: HandModel.names, customerIDs: ["n", "a", "r", "l", "c"], asOf: [Double](repeating: 0, count: 5),
                              values: Array([[Double]](repeating: risky, count: 5).joined()),
                              lifecycle: [.new, .active, .reactivated, .lapsed, .churned], ownRecencyDays: [1, 2, 3, 40, 200])
        var options = ScoringOptions()
        options.values = ["l": .init(value: 30, probabilityAlive: .nan), "c": .init(value: 0, probabilityAlive: .nan)]
        options.highValueCut = 1000
        let r = try Scorer(bundle: HandModel.bundle(), options: options).score(m).batch
        for i in 0..<3 {
            XCTAssertEqual(try XCTUnwrap(r[i].churnProbability), 1 / (1 + exp(-9)), accuracy: 1e-12)
            XCTAssertEqual(r[i].riskTier, "high")
            XCTAssertTrue(r[i].flags.contains("at_risk"))
            XCTAssertNil(r[i].winbackRank)
        }
        XCTAssertEqual(r.scores.map(\.lifecycle), ["new", "active", "reactivated", "lapsed", "churned"])
        for i in 3..<5 {
            XCTAssertNil(r[i].churnProbability)
            XCTAssertEqual(r[i].riskTier, "")
            XCTAssertEqual(r[i].reasons, [])
            XCTAssertFalse(r[i].flags.contains("at_risk"))
        }
        // Lapsed with value: a win-back candidate; churned with no value: not.
        XCTAssertEqual(r[3].flags, ["detractor", "win_back"])
        XCTAssertEqual(r[3].winbackRank, 1)
        XCTAssertNil(r[4].winbackRank)
        XCTAssertEqual(r.counts().tiers, ["high": 3, "medium": 0, "low": 0])
        var rows = String(decoding: r.csvPiece(1), as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertTrue(rows[3].hasPrefix("l,,,"), rows[3])
        XCTAssertTrue(rows[3].hasSuffix(",lapsed,,1"), rows[3])
        rows = String(decoding: r.csvPiece(0), as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(rows, ["customer_id,churn_probability,risk_tier,predicted_value,segment,flags,action,reasons,lifecycle,p_alive,winback_rank"])
    }

    func testATableInUniverseColumnKeepsItsZeroRowsOutOfScoring() throws {
        let names = HandModel.names + ["in_universe"]
        let row: [Double] = [64, 0.2, 3, 4, 50, 2, 400]
        let r = try Scorer(bundle: HandModel.bundle()).score(ScoringInput(names: names, customerIDs: ["in", "out"], values: row + [1] + row + [0])).batch
        XCTAssertNotNil(r[0].churnProbability)
        XCTAssertNil(r[1].churnProbability)
        XCTAssertEqual(r[1].lifecycle, "")
        XCTAssertEqual(r[1].flags, ["detractor"])
    }

    /// Win-back order: lapsed before churned; lapsed by the model's value (which weighs in P(alive))
    /// when P(alive) is known, else own recency, then value; churned by own recency, then value.
    func testWinBackRanksLapsedByValueThenChurnedByRecency() {
        let rows = [0, 1, 2, 3]
        let byValue = ScoringPass.winbackRanks(rows, value: [100, 50, 400, 10], alive: [0.5, 0.9, 0.1, 1], recency: [1, 2, 3, 4], count: 5)
        XCTAssertEqual(byValue, [2, 3, 1, 4, 0])
        let byRecency = ScoringPass.winbackRanks(rows, value: [100, 50, 400, 10], alive: [.nan, 0.9, .nan, .nan], recency: [40, 40, .nan, 35], count: 4)
        XCTAssertEqual(byRecency, [2, 3, 4, 1])
        // Rows 1 and 3 churned: after the lapsed ones whatever their value, and by recency among themselves.
        let mixed = ScoringPass.winbackRanks(rows, value: [100, 900, 400, 800], alive: [0.5, 0.9, 0.1, 1], recency: [1, 50, 3, 20],
                                             churned: { $0 == 1 || $0 == 3 }, count: 4)
        XCTAssertEqual(mixed, [2, 4, 1, 3])
    }

    func testRevenueRateOnATableIsTheLast90DaysValueOverTheHorizon() throws {
        let names = HandModel.names + ["sum_purchase_90d"]
        let r = try Scorer(bundle: HandModel.bundle()).score(ScoringInput(names: names, customerIDs: ["a"], values: [10, 1, 1, 8, 50, 2, 400, 90])).batch
        // 90 / 90 days × 12 months of 30.4375 days, whatever the churn probability.
        XCTAssertEqual(r.predictedValue[0], 365.25, accuracy: 1e-9)
        var options = ScoringOptions()
        options.clvValues = ["a": 123]
        let fitted = try Scorer(bundle: HandModel.bundle(), options: options).score(input([("a", [10, 1, 1, 8, 50, 2, 400])]))
        XCTAssertEqual(fitted.batch[0].predictedValue, 123)
    }

    /// No cut-off depends on the batch: a customer scored alone gets the same row as in the full batch.
    func testACustomerScoredAloneGetsTheSameRowAsInTheBatch() throws {
        var bundle = HandModel.bundle(high: 0.7, medium: 0.4, topFraction: 0.5)
        var value = ValueModel.fit(ValueModel.History(purchases: PurchaseLog.Builder().finish(customerIDs: [], eventTypes: []), firstDay: [], asOfDay: 0))
        value.highValueCut = 200
        bundle.value = value
        var g = SeededGenerator(seed: 11)
        var ids: [String] = [], values: [Double] = [], lifecycle: [Lifecycle] = [], recency: [Double] = []
        var estimates: [String: ValueModel.Estimate] = [:]
        for i in 0..<400 {
            ids.append("c\(i)")
            values += [Double(g.below(120)), Double(g.below(300)) / 100, Double(g.below(6)), Double(g.below(11)), 0, 0, Double(g.below(900))]
            lifecycle.append(Lifecycle.allCases[g.below(5)])
            recency.append(Double(g.below(300)))
            estimates["c\(i)"] = .init(value: Double(g.below(500)), probabilityAlive: .nan)
        }
        var options = ScoringOptions()
        options.values = estimates
        let scorer = Scorer(bundle: bundle, options: options)
        var all = try scorer.score(ScoringInput(names: HandModel.names, customerIDs: ids, values: values, lifecycle: lifecycle, ownRecencyDays: recency)).batch
        ActionRules.defaults.apply(to: &all)
        XCTAssertGreaterThan(all.counts().flags["at_risk"] ?? 0, 20)
        XCTAssertGreaterThan(all.counts().flags["high_value"] ?? 0, 20)
        XCTAssertGreaterThan(all.counts().flags["win_back"] ?? 0, 20)
        let w = HandModel.names.count
        for i in 0..<ids.count {
            var alone = try scorer.score(ScoringInput(names: HandModel.names, customerIDs: [ids[i]], values: Array(values[i * w..<(i + 1) * w]),
                                                      lifecycle: [lifecycle[i]], ownRecencyDays: [recency[i]])).batch
            ActionRules.defaults.apply(to: &alone)
            var expected = all[i]
            // The win-back rank is a position in the day's list; everything else is the customer's own.
            if expected.winbackRank != nil { expected.winbackRank = 1 }
            XCTAssertEqual(alone[0], expected, "customer \(i)")
        }
    }

    func testABundleWithoutAValueModelFallsBackToTheBatchsTopTenPercentAndSaysSo() throws {
        var options = ScoringOptions()
        options.values = Dictionary(uniqueKeysWithValues: (0..<20).map { ("c\($0)", ValueModel.Estimate(value: Double($0 + 1), probabilityAlive: .nan)) })
        let rows = (0..<20).map { ("c\($0)", [10.0, 1, 1, 8, 0, 0, 100]) }
        let r = try Scorer(bundle: HandModel.bundle(), options: options).score(input(rows))
        XCTAssertEqual(r.batch.scores.filter { $0.flags.contains("high_value") }.map(\.customerID), ["c18", "c19"])
        XCTAssertEqual(r.notes.count, 1)
        XCTAssertTrue(r.notes[0].contains("has no value model"), r.notes[0])
        options.highValueCut = 5
        let cut = try Scorer(bundle: HandModel.bundle(), options: options).score(input(rows))
        XCTAssertEqual(cut.batch.scores.filter { $0.flags.contains("high_value") }.count, 16)
        XCTAssertEqual(cut.notes, [])
    }

    func testAtRiskIsTheHighCutOffOnlyWhateverTheBundlesTopFraction() throws {
        let bundle = HandModel.bundle(high: 0.999999, medium: 0.5, topFraction: 0.5)
        let rows = (0..<4).map { ("c\($0)", [Double(10 + 10 * $0), 1, 1, 8, 0, 0, 100]) }
        let r = try Scorer(bundle: bundle).score(input(rows))
        XCTAssertEqual(r.batch.scores.map { $0.flags.contains("at_risk") }, [false, false, false, false])
    }

    func testMissingModelFeaturesAreNamedInTheError() {
        let scorer = Scorer(bundle: HandModel.bundle(), modelName: "m.json")
        let bad = ScoringInput(names: ["recency_purchase_days", "nps_last"], customerIDs: ["a"], values: [1, 2])
        XCTAssertThrowsError(try scorer.score(bad)) { e in
            XCTAssertEqual(e as? ScoringError, .missingFeatures(model: "m.json", names: ["trend_login_30d", "tickets_30d"]))
        }
    }

    func testSampleBundleScoresItsOwnFeatureTableInUnitRange() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bundle = try ModelBundle.load(path: root.appendingPathComponent("models/sample-churn.json").path)
        XCTAssertNotNil(bundle.trainingDistribution)
        // A synthetic input with every feature at its imputed value scores like the average customer.
        let names = bundle.features.map(\.name)
        let values = bundle.features.map(\.impute)
        let r = try Scorer(bundle: bundle).score(ScoringInput(names: names, customerIDs: ["x"], values: values))
        XCTAssertTrue((0...1).contains(try XCTUnwrap(r.batch[0].churnProbability)))
    }
}

final class ScoreCSVTests: XCTestCase {
    func testScoringATableFileBlockByBlockEqualsScoringItInMemory() throws {
        var g = SeededGenerator(seed: 5)
        var text = "customer_id," + HandModel.names.joined(separator: ",") + ",ignored\n"
        var rows: [(String, [Double])] = []
        for i in 0..<3_000 {
            let v = [Double(g.below(120)), Double(g.below(300)) / 100, Double(g.below(6)), Double(g.below(11)),
                     Double(g.below(90)), Double(g.below(5)), Double(g.below(900))]
            rows.append(("c\(i)", v))
            // Every 17th NPS cell is empty (missing), every 29th line is followed by a blank line.
            text += "c\(i)," + v.enumerated().map { $0.offset == 3 && i % 17 == 0 ? "" : "\($0.element)" }.joined(separator: ",") + ",x\n"
            if i % 29 == 0 { text += "\n" }
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("score-csv-\(UUID().uuidString).csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        var values = rows.flatMap(\.1)
        for i in stride(from: 0, to: rows.count, by: 17) { values[i * HandModel.names.count + 3] = .nan }
        let scorer = Scorer(bundle: HandModel.bundle(topFraction: 0.1))
        let memory = try scorer.score(ScoringInput(names: HandModel.names, customerIDs: rows.map(\.0), values: values)).batch
        for blockBytes in [200, 5_000, 1 << 18] {
            let file = try scorer.score(csv: url.path, idColumn: "customer_id", blockBytes: blockBytes).batch
            XCTAssertEqual(file.count, 3_000)
            XCTAssertEqual(file.scores, memory.scores, "blockBytes \(blockBytes)")
        }
        XCTAssertGreaterThan(memory.scores.filter { !$0.reasons.isEmpty }.count, 1_000, "the comparison should cover reasons")
        // Without an id column, rows are numbered in file order (blank lines do not count).
        let numbered = try scorer.score(csv: url.path, idColumn: nil, blockBytes: 200).batch
        XCTAssertEqual(numbered.customerIDs.prefix(3), ["1", "2", "3"])
        XCTAssertEqual(numbered.customerIDs.last, "3000")
        XCTAssertEqual(numbered.churnProbability, memory.churnProbability)
    }

    func testATableWithoutTheModelColumnsIsRefusedNamingThem() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("score-csv-\(UUID().uuidString).csv")
        try "customer_id,recency_purchase_days,nps_last\nc1,3,4\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try Scorer(bundle: HandModel.bundle(), modelName: "m.json").score(csv: url.path, idColumn: "customer_id")) { e in
            XCTAssertEqual(e as? ScoringError, .missingFeatures(model: "m.json", names: ["trend_login_30d", "tickets_30d"]))
        }
    }
}

final class TopCutTests: XCTestCase {
    func testKthLargestAgreesWithSortingIncludingTies() {
        var g = SeededGenerator(seed: 11)
        for n in [1, 2, 3, 10, 1000, 4097] {
            let v = (0..<n).map { _ in g.below(4) == 0 ? 0 : Double(g.below(50)) / 7 }  // many ties, many zeros
            let sorted = v.sorted(by: >)
            for k in Set([1, 2, n / 10, n / 2, n].filter { $0 >= 1 && $0 <= n }) {
                XCTAssertEqual(Scorer.kthLargest(v, k), sorted[k - 1], "n \(n) k \(k)")
            }
        }
        XCTAssertEqual(Scorer.topCut([0.1, 0.9, 0.5, 0.7], fraction: 0.5), 0.7)
        XCTAssertNil(Scorer.topCut([0.1, 0.9], fraction: 0))
    }
}
