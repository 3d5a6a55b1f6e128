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

    func testDefaultRulesFollowTheDesign() {
        let r = ActionRules.defaults
        XCTAssertEqual(r.action(for: customer(["at_risk", "high_value"])), "personal_outreach")
        XCTAssertEqual(r.action(for: customer(["at_risk", "detractor"])), "win_back_offer")
        XCTAssertEqual(r.action(for: customer(["detractor", "high_value"])), "service_recovery")
        XCTAssertEqual(r.action(for: customer(["high_value", "promoter"])), "loyalty_reward")
        XCTAssertEqual(r.action(for: customer(["promoter"])), "referral_invitation")
        XCTAssertEqual(r.action(for: customer(["new"])), "none")
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
