import Foundation
import XCTest
import Yams
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

final class ScoreBatchTests: XCTestCase {
    /// A batch of `n` customers with pseudo-random probabilities, values, tiers, segments and flags.
    func randomBatch(_ n: Int, seed: UInt64) -> ScoreBatch {
        var g = SeededGenerator(seed: seed)
        let tiers = RiskTier.allCases
        // Every 5th customer is outside the universe: no probability or tier.
        let lifecycle: [Lifecycle?] = (0..<n).map { _ in let k = g.below(6); return k == 5 ? nil : Lifecycle.allCases[k] }
        return ScoreBatch(
            customerIDs: (0..<n).map { "c\($0)" },
            churnProbability: (0..<n).map { $0 % 5 == 4 ? .nan : g.nextUnit() },
            riskTier: (0..<n).map { $0 % 5 == 4 ? nil : tiers[g.below(3)] },
            predictedValue: (0..<n).map { _ in 500 * g.nextUnit() },
            lifecycle: lifecycle,
            segmentIndex: (0..<n).map { _ in Int32(g.below(4)) - 1 },
            segmentNames: ["loyal", "fading", "new blood"],
            flags: (0..<n).map { _ in ScoreFlags(rawValue: UInt8(g.below(64))) },
            reasonCount: 0, reasonCodes: [], reasonValues: [], reasonTemplates: [])
    }

    func testCompiledRulesGiveTheSameActionsAsRuleByRuleMatching() throws {
        let yaml = """
            rules:
              - action: vip
                when: { flags: [at_risk, high_value], tier: [high, medium], min_value: 250 }
              - action: fading_call
                when: { segment: [fading], not_flags: [new], min_probability: 0.3 }
              - action: never
                when: { flags: [no_such_flag] }
              - action: unsegmented
                when: { segment: [""], flags: [promoter] }
              - action: low_tier
                when: { tier: [low], not_flags: [detractor, no_such_flag] }
              - action: gone
                when: { lifecycle: [lapsed, churned], flags: [win_back] }
              - action: outside_not_new
                when: { in_universe: false, not_lifecycle: [new] }
              - action: current
                when: { in_universe: true, lifecycle: [active, reactivated], flags: [promoter] }
              - action: rich
                when: { min_value: 400 }
            """
        // Decoded without parse's validation: rules built in code may still name flags no customer has.
        for rules in [try YAMLDecoder().decode(ActionRules.self, from: yaml), ActionRules.defaults] {
            var batch = randomBatch(5_000, seed: 7)
            rules.apply(to: &batch)
            var counts: [String: Int] = [:]
            for i in 0..<batch.count {
                let expected = rules.action(for: batch[i])
                XCTAssertEqual(batch.action(i), expected, "customer \(i): \(batch[i])")
                counts[expected, default: 0] += 1
            }
            // Every rule that can match did, so the comparison covered each branch.
            for id in rules.actionIDs where id != "never" { XCTAssertGreaterThan(counts[id] ?? 0, 0, id) }
            XCTAssertNil(counts["never"])
        }
    }

    func testFlagNamesRoundTrip() {
        XCTAssertEqual(ScoreFlags([.atRisk, .detractor, .new]).names, ["at_risk", "detractor", "new"])
        XCTAssertEqual(ScoreFlags(name: "high_value"), .highValue)
        XCTAssertNil(ScoreFlags(name: "vip"))
    }

    func testCSVFormatsEachColumnAndQuotesWhereNeeded() throws {
        var options = ScoringOptions()
        options.values = ["a,1": .init(value: 100.005, probabilityAlive: 0.25)]
        options.highValueCut = 100
        let scorer = Scorer(bundle: HandModel.bundle(), options: options)
        let input = ScoringInput(names: HandModel.names, customerIDs: ["a,1", "b"],
                                 values: [64, 0.2, 3, 4, 50, 2, 400, /* b */ 10, 1, 1, 8, 0, 0, 10])
        var r = try scorer.score(input)
        ActionRules.defaults.apply(to: &r.batch)
        let pieces = (0..<r.batch.csvPieceCount(rowsPerChunk: 1)).map { r.batch.csvPiece($0, rowsPerChunk: 1) }
        let text = String(decoding: pieces.joined(), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(String(lines[0]), "customer_id,churn_probability,risk_tier,predicted_value,segment,flags,action,reasons,lifecycle,p_alive,winback_rank")
        // p = 1 / (1 + e^-9) = 0.999876605...; value and P(alive) as given; b has no value (0).
        XCTAssertEqual(String(lines[1]), "\"a,1\",0.999877,high,100.01,,at_risk;high_value;detractor,personal_outreach,"
                       + "no purchase in 64 days; logins down 80% vs previous month; 3 support tickets in 30 days,,0.250000,")
        XCTAssertEqual(String(lines[2]), "b,0.500000,medium,0.00,,new,none,,,,")
        XCTAssertEqual(lines[3], "")
        XCTAssertEqual(r.batch.records(date: "2025-12-01", modelID: "m").map(\.reasons), r.batch.scores.map(\.reasons))
    }

    func testLog1pFeaturesUseLog1pOnIntegersAndFractionsAlike() throws {
        var bundle = HandModel.bundle()
        bundle.features = bundle.features.map { var f = $0; f.log1p = true; return f }
        for raw in [[64.0, 0.2, 3, 4], [2047, 0.75, 0, 10], [1023, 1, 1024, 0], [0.5, 3, 17.25, 9]] {
            let r = try Scorer(bundle: bundle).score(ScoringInput(names: Array(HandModel.names.prefix(4)), customerIDs: ["a"], values: raw))
            var z = 0.0
            for (k, f) in bundle.features.enumerated() { z += bundle.coefficients[k] * (log1p(raw[k]) - f.mean) / f.scale }
            XCTAssertEqual(r.batch.churnProbability[0], 1 / (1 + exp(-z)), accuracy: 1e-15, "\(raw)")
        }
    }
}

extension SeededGenerator {
    /// A uniform integer in 0..<n (tests only; the modulo bias is irrelevant here).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
