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

    func testProbabilityIsTheLogisticOfTheStandardisedLinearPredictor() throws {
        let scorer = Scorer(bundle: HandModel.bundle())
        // z = 1*(64-10)/10 - 1*(0.2-1)/0.5 + 0.5*(3-1)/1 - 0.5*(4-8)/2 = 5.4 + 1.6 + 1 + 1 = 9
        let r = try scorer.score(input([("a", [64, 0.2, 3, 4, 50, 2, 400]), ("b", [10, 1, 1, 8, 0, 0, 10])]))
        XCTAssertEqual(r.batch[0].churnProbability, 1 / (1 + exp(-9)), accuracy: 1e-12)
        XCTAssertEqual(r.batch[1].churnProbability, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.batch[0].riskTier, "high")
        XCTAssertEqual(r.batch[1].riskTier, "medium")
        XCTAssertEqual(r.batch[0].flags, ["at_risk", "high_value", "detractor"])
        XCTAssertEqual(r.batch[1].flags, ["new"])
    }

    func testSimpleCLVIsOrderValueTimesFrequencyOverFlooredChurnProbability() throws {
        let scorer = Scorer(bundle: HandModel.bundle())
        let r = try scorer.score(input([("a", [10, 1, 1, 8, 50, 2, 400]), ("b", [64, 0.2, 3, 4, 50, 2, 400])]))
        XCTAssertEqual(r.batch[0].predictedValue, 50 * 2 / 0.5, accuracy: 1e-9)
        XCTAssertEqual(r.batch[1].predictedValue, 50 * 2 / r.batch[1].churnProbability, accuracy: 1e-6)
        var options = ScoringOptions()
        options.clvValues = ["a": 123]
        let fitted = try Scorer(bundle: HandModel.bundle(), options: options).score(input([("a", [10, 1, 1, 8, 50, 2, 400])]))
        XCTAssertEqual(fitted.batch[0].predictedValue, 123)
    }

    func testTopFractionFlagsTheRiskiestCustomersAtRisk() throws {
        let bundle = HandModel.bundle(high: 0.999999, medium: 0.5, topFraction: 0.5)
        let rows = (0..<4).map { ("c\($0)", [Double(10 + 10 * $0), 1, 1, 8, 0, 0, 100]) }
        let r = try Scorer(bundle: bundle).score(input(rows))
        XCTAssertEqual(r.batch.scores.map { $0.flags.contains("at_risk") }, [false, false, true, true])
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
        XCTAssertTrue((0...1).contains(r.batch[0].churnProbability))
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
