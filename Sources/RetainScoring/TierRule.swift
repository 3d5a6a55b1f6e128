import Foundation

/// How a training run fixes the risk-tier cut-offs on the calibrated churn probability.
///
/// - `baseRate` (default, written `base-rate`): medium = the training base rate b (share of
///   churned among the rows the model was fitted on), high = min(2b, (1 + b) / 2). Since
///   high ≥ medium = b, a customer above the base rate is never `low`.
/// - `absolute(high:medium:)` (written `absolute:HIGH,MEDIUM`): the given probabilities.
/// - `top(high:medium:)` (written `top:HIGH_FRACTION,MEDIUM_FRACTION`): the probabilities above
///   which the given top fractions of the training population (universe rows of the latest
///   observation date) lie, computed once at training.
///
/// Every rule gives fixed numbers stored in the model, so a customer's tier never depends on who
/// else is scored.
public enum TierRule: Sendable, Equatable, CustomStringConvertible {
    case baseRate
    case absolute(high: Double, medium: Double)
    case top(high: Double, medium: Double)

    /// Parses `base-rate`, `absolute:HIGH,MEDIUM` or `top:HIGH_FRACTION,MEDIUM_FRACTION`.
    ///
    /// - Throws: `ScoringError.invalidTierRule` when the text is none of these, a number is not
    ///   in range (probabilities in [0, 1]; fractions in (0, 1]), or medium is above high
    ///   (for `top`, the high fraction above the medium fraction).
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "base-rate" || t == "base_rate" { self = .baseRate; return }
        let parts = t.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, ["absolute", "top"].contains(parts[0]) else {
            throw ScoringError.invalidTierRule(text: text, reason: "expected base-rate, absolute:HIGH,MEDIUM or top:HIGH_FRACTION,MEDIUM_FRACTION")
        }
        let numbers = parts[1].split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == 2, let a = numbers[0], let b = numbers[1], a.isFinite, b.isFinite else {
            throw ScoringError.invalidTierRule(text: text, reason: "\(parts[0]) needs two numbers separated by a comma, e.g. \(parts[0] == "top" ? "top:0.1,0.3" : "absolute:0.5,0.2")")
        }
        if parts[0] == "absolute" {
            guard (0...1).contains(a), (0...1).contains(b) else {
                throw ScoringError.invalidTierRule(text: text, reason: "the thresholds are probabilities and must lie in [0, 1]")
            }
            guard b <= a else { throw ScoringError.invalidTierRule(text: text, reason: "the medium threshold (\(b)) is above the high one (\(a))") }
            self = .absolute(high: a, medium: b)
        } else {
            guard a > 0, a <= 1, b > 0, b <= 1 else {
                throw ScoringError.invalidTierRule(text: text, reason: "the fractions must lie in (0, 1]")
            }
            guard a <= b else {
                throw ScoringError.invalidTierRule(text: text, reason: "the high fraction (\(a)) is larger than the medium fraction (\(b)); the medium tier includes the high one")
            }
            self = .top(high: a, medium: b)
        }
    }

    /// The rule as written on the command line.
    public var description: String {
        switch self {
        case .baseRate: return "base-rate"
        case .absolute(let h, let m): return "absolute:\(TierRule.text(h)),\(TierRule.text(m))"
        case .top(let h, let m): return "top:\(TierRule.text(h)),\(TierRule.text(m))"
        }
    }

    /// The thresholds the rule gives.
    ///
    /// - Parameters:
    ///   - baseRate: Share of churned among the rows the model was fitted on, in (0, 1).
    ///   - baseRows: How many rows that share is over (for the description).
    ///   - population: Calibrated probabilities of the training population (for `top`).
    ///   - populationDescription: What `population` is, in words.
    public func thresholds(baseRate: Double, baseRows: Int, population: [Double], populationDescription: String) -> RiskThresholds {
        let base = String(format: "training base rate b = %.4f over %d rows", baseRate, baseRows)
        switch self {
        case .baseRate:
            let t = TierRule.baseRateThresholds(baseRate)
            return RiskThresholds(rule: "base_rate: medium = b, high = min(2b, (1 + b) / 2), \(base); a customer above the base rate is never low",
                                  baseRate: baseRate, high: t.high, medium: t.medium)
        case .absolute(let h, let m):
            return RiskThresholds(rule: "absolute: high and medium given as probabilities (\(base))", baseRate: baseRate, high: h, medium: m)
        case .top(let h, let m):
            let sorted = population.sorted()
            return RiskThresholds(
                rule: String(format: "top: high = the top %g %%, medium = the top %g %% of %@, turned into fixed probabilities at training (%@)",
                             100 * h, 100 * m, populationDescription, base),
                baseRate: baseRate, high: TierRule.cut(sorted, fraction: h), medium: TierRule.cut(sorted, fraction: m))
        }
    }

    /// The default cut-offs for base rate `b`: medium = b, high = min(2b, (1 + b) / 2).
    public static func baseRateThresholds(_ b: Double) -> (high: Double, medium: Double) {
        (min(2 * b, (1 + b) / 2), b)
    }

    /// The probability at or above which the top `fraction` of `sorted` (ascending) lies: the
    /// value at index ⌊(1 − fraction)·n⌋ (the highest value when that is n); 0.5 when empty.
    static func cut(_ sorted: [Double], fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0.5 }
        let n = sorted.count
        let i = Int(((1 - fraction) * Double(n) + 1e-9).rounded(.down))  // 1e-9: (1 − 0.3)·200 is 140, not 139.99…
        return sorted[min(n - 1, max(0, i))]
    }

    static func text(_ v: Double) -> String { String(format: "%g", v) }
}
