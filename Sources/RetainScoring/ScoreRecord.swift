import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
/// One customer's score on one day: what `retain score` writes into the history and `retain export`
/// reads back. Plain values only (the store knows nothing about models).
public struct ScoreRecord: Sendable, Equatable, Codable {
    /// The customer.
    public var customerID: String
    /// Scoring date, `YYYY-MM-DD`.
    public var date: String
    /// Id of the model bundle that scored (its checksum prefix or name).
    public var modelID: String
    /// Calibrated churn probability in [0, 1]; nil outside the at-risk universe (not scored).
    public var churnProbability: Double?
    /// `high`, `medium` or `low`; empty outside the at-risk universe.
    public var riskTier: String
    /// Predicted value (the bundle's value model, or a CLV model's value).
    public var predictedValue: Double
    /// Segment name (empty when no segmentation was given).
    public var segment: String
    /// Flags such as `at_risk`, `high_value`, `detractor`, `promoter`, `new`.
    public var flags: [String]
    /// The recommended action id (e.g. `personal_outreach`, `win_back_offer`, `none`).
    public var action: String
    /// Up to three reasons in words, most important first.
    public var reasons: [String]
    /// Lifecycle state (`new`, `active`, `reactivated`, `lapsed`, `churned`); empty when not known
    /// (e.g. records written before lifecycles existed).
    public var lifecycle: String
    /// P(alive) from the purchase model (nil without one).
    public var probabilityAlive: Double?
    /// Rank among the day's win-back candidates (1 = first); nil for others.
    public var winbackRank: Int?

    /// Whether the record is in the at-risk universe: it has a probability, and its lifecycle (when
    /// known) is `new`, `active` or `reactivated`.
    public var inUniverse: Bool {
        churnProbability != nil && (lifecycle.isEmpty || (Lifecycle(name: lifecycle)?.inUniverse ?? false))
    }

    public init(customerID: String, date: String, modelID: String, churnProbability: Double?, riskTier: String,
                predictedValue: Double, segment: String, flags: [String], action: String, reasons: [String],
                lifecycle: String = "", probabilityAlive: Double? = nil, winbackRank: Int? = nil) {
        self.lifecycle = lifecycle
        self.probabilityAlive = probabilityAlive
        self.winbackRank = winbackRank
        self.customerID = customerID
        self.date = date
        self.modelID = modelID
        self.churnProbability = churnProbability
        self.riskTier = riskTier
        self.predictedValue = predictedValue
        self.segment = segment
        self.flags = flags
        self.action = action
        self.reasons = reasons
    }

    /// Decodes a record; `churn_probability` may be null or absent (outside the at-risk universe), and
    /// `lifecycle`, `p_alive` and `winback_rank` absent (records written before they existed).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        customerID = try c.decode(String.self, forKey: .customerID)
        date = try c.decode(String.self, forKey: .date)
        modelID = try c.decode(String.self, forKey: .modelID)
        churnProbability = try c.decodeIfPresent(Double.self, forKey: .churnProbability)
        riskTier = try c.decode(String.self, forKey: .riskTier)
        predictedValue = try c.decode(Double.self, forKey: .predictedValue)
        segment = try c.decode(String.self, forKey: .segment)
        flags = try c.decode([String].self, forKey: .flags)
        action = try c.decode(String.self, forKey: .action)
        reasons = try c.decode([String].self, forKey: .reasons)
        lifecycle = try c.decodeIfPresent(String.self, forKey: .lifecycle) ?? ""
        probabilityAlive = try c.decodeIfPresent(Double.self, forKey: .probabilityAlive)
        winbackRank = try c.decodeIfPresent(Int.self, forKey: .winbackRank)
    }

    enum CodingKeys: String, CodingKey {
        case date, segment, flags, action, reasons
        case customerID = "customer_id", modelID = "model_id", churnProbability = "churn_probability"
        case riskTier = "risk_tier", predictedValue = "predicted_value"
        case lifecycle, probabilityAlive = "p_alive", winbackRank = "winback_rank"
    }
}
