import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

final class ActionRulesTests: XCTestCase {
    func customer(_ flags: [String], tier: String = "low", p: Double = 0.1, value: Double = 10, segment: String = "") -> CustomerScore {
        CustomerScore(customerID: "c", churnProbability: p, riskTier: tier, predictedValue: value, segment: segment, flags: flags, reasons: [])
    }

    /// A customer outside the at-risk universe: no probability or tier, a lifecycle.
    func outside(_ flags: [String], lifecycle: String, value: Double = 10) -> CustomerScore {
        CustomerScore(customerID: "c", churnProbability: nil, riskTier: "", predictedValue: value, segment: "", flags: flags, reasons: [],
                      lifecycle: lifecycle)
    }

    func testDefaultRulesGiveEachActionToWhomItIsMeantFor() {
        let r = ActionRules.defaults
        XCTAssertEqual(r.action(for: customer(["at_risk", "high_value"])), "personal_outreach")
        XCTAssertEqual(r.action(for: customer(["at_risk", "detractor"])), "save_offer")
        XCTAssertEqual(r.action(for: customer(["detractor", "high_value"])), "service_recovery")
        XCTAssertEqual(r.action(for: customer(["high_value", "promoter"])), "loyalty_reward")
        XCTAssertEqual(r.action(for: customer(["promoter"])), "referral_invite")
        XCTAssertEqual(r.action(for: customer(["new"])), "none")
        // Outside the universe: win-back for lapsed / churned candidates, nothing meant for current customers.
        XCTAssertEqual(r.action(for: outside(["win_back", "high_value", "detractor"], lifecycle: "lapsed")), "win_back_offer")
        XCTAssertEqual(r.action(for: outside(["win_back", "promoter"], lifecycle: "churned")), "win_back_offer")
        XCTAssertEqual(r.action(for: outside(["detractor", "high_value", "promoter"], lifecycle: "churned", value: 0)), "none")
        XCTAssertEqual(r.action(for: outside(["detractor"], lifecycle: "")), "none")
    }

    func testLifecycleConditionsMatchNamedStatesAndNeverAnUnknownOne() throws {
        let rules = try ActionRules.parse("""
            rules:
              - action: gone
                when: { lifecycle: [lapsed, churned] }
              - action: current
                when: { not_lifecycle: [new], in_universe: true }
              - action: outside
                when: { in_universe: false }
            """)
        XCTAssertEqual(rules.action(for: outside([], lifecycle: "lapsed")), "gone")
        XCTAssertEqual(rules.action(for: outside([], lifecycle: "")), "outside")
        var c = customer([]); c.lifecycle = "active"
        XCTAssertEqual(rules.action(for: c), "current")
        c.lifecycle = "new"
        XCTAssertEqual(rules.action(for: c), "none")
        c.lifecycle = ""
        XCTAssertEqual(rules.action(for: c), "current")
        XCTAssertThrowsError(try ActionRules.parse("rules:\n  - action: x\n    when: { lifecycle: [dormant] }\n", path: "r.yaml")) { e in
            XCTAssertEqual("\(e)", "r.yaml, rule 1 (action 'x'): unknown lifecycle state 'dormant'. Valid: new, active, reactivated, lapsed, churned.")
        }
    }

    func testFirstMatchingRuleWins() {
        let broad = ActionRule(action: "broad", description: "", when: RuleConditions(flags: ["at_risk"]))
        let narrow = ActionRule(action: "narrow", description: "", when: RuleConditions(flags: ["at_risk"], minProbability: 0.8))
        let c = customer(["at_risk"], p: 0.9)
        XCTAssertEqual(ActionRules(rules: [broad, narrow]).action(for: c), "broad")
        XCTAssertEqual(ActionRules(rules: [narrow, broad]).action(for: c), "narrow")
        XCTAssertEqual(ActionRules(rules: [narrow, broad]).action(for: customer(["at_risk"], p: 0.5)), "broad")
    }

    func testYAMLRuleFileWithEveryCondition() throws {
        let yaml = """
            rules:
              - action: vip_call
                description: Call the valuable risky ones
                when: { tier: [high], min_value: 100, segment: [fading] }
              - action: nudge
                when:
                  flags: [at_risk]
                  not_flags: [new]
                  min_probability: 0.5
            """
        let rules = try ActionRules.parse(yaml)
        XCTAssertEqual(rules.rules.count, 2)
        XCTAssertEqual(rules.rules[0].description, "Call the valuable risky ones")
        XCTAssertEqual(rules.action(for: customer(["at_risk"], tier: "high", p: 0.9, value: 150, segment: "fading")), "vip_call")
        XCTAssertEqual(rules.action(for: customer(["at_risk"], tier: "high", p: 0.9, value: 50, segment: "fading")), "nudge")
        XCTAssertEqual(rules.action(for: customer(["at_risk", "new"], tier: "high", p: 0.9, value: 50)), "none")
        XCTAssertEqual(rules.actionIDs, ["vip_call", "nudge", "none"])
        let json = try ActionRules.parse(#"{"rules": [{"action": "x", "when": {"flags": ["promoter"]}}]}"#)
        XCTAssertEqual(json.action(for: customer(["promoter"])), "x")
    }

    func testInvalidRuleFileIsRefusedWithItsName() {
        XCTAssertThrowsError(try ActionRules.parse("rules:\n  - description: no action\n", path: "r.yaml")) { e in
            XCTAssertTrue("\(e)".contains("r.yaml"), "\(e)")
        }
    }
}

final class ActionRulesValidationTests: XCTestCase {
    func testMisspeltFlagIsAnErrorNamingFileAndRule() {
        let yaml = "rules:\n  - action: call\n    when: { flags: [at_risk] }\n  - action: nudge\n    when: { flags: [at-risk] }\n"
        XCTAssertThrowsError(try ActionRules.parse(yaml, path: "r.yaml")) { e in
            XCTAssertEqual("\(e)", "r.yaml, rule 2 (action 'nudge'): unknown flag 'at-risk'. Valid: \(ScoreFlags.named.map(\.name).joined(separator: ", ")).")
        }
    }

    func testMisspeltConditionKeyIsAnErrorInsteadOfMatchingEveryone() {
        let yaml = "rules:\n  - action: call\n    when: { flag: [at_risk] }\n"
        XCTAssertThrowsError(try ActionRules.parse(yaml, path: "r.yaml")) { e in
            XCTAssertEqual("\(e)", "r.yaml, rule 1 (action 'call'): unknown key 'flag'. Valid: flags, not_flags, tier, segment, min_probability, min_value, lifecycle, not_lifecycle, in_universe.")
        }
    }

    func testMisspeltRuleKeyAndTierAreErrors() {
        XCTAssertThrowsError(try ActionRules.parse("rules:\n  - action: a\n    wen: { flags: [new] }\n", path: "r.yaml")) { e in
            XCTAssertTrue("\(e)".hasPrefix("r.yaml, rule 1 (action 'a'): unknown key 'wen'."), "\(e)")
        }
        XCTAssertThrowsError(try ActionRules.parse("rules:\n  - action: a\n    when: { tier: [urgent] }\n", path: "r.yaml")) { e in
            XCTAssertTrue("\(e)".hasPrefix("r.yaml, rule 1 (action 'a'): unknown tier 'urgent'."), "\(e)")
        }
    }

    func testDefaultRulesPassTheirOwnValidation() throws {
        let data = try JSONEncoder().encode(ActionRules.defaults)
        XCTAssertEqual(try ActionRules.parse(String(decoding: data, as: UTF8.self)), ActionRules.defaults)
    }
}
