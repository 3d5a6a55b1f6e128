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
    /// Calibrated churn probability in [0, 1].
    public var churnProbability: Double
    /// `high`, `medium` or `low`.
    public var riskTier: String
    /// Predicted value (simple CLV, or a CLV model's value).
    public var predictedValue: Double
    /// Segment name (empty when no segmentation was given).
    public var segment: String
    /// Flags such as `at_risk`, `high_value`, `detractor`, `promoter`, `new`.
    public var flags: [String]
    /// The recommended action id (e.g. `personal_outreach`, `win_back_offer`, `none`).
    public var action: String
    /// Up to three reasons in words, most important first.
    public var reasons: [String]

    public init(customerID: String, date: String, modelID: String, churnProbability: Double, riskTier: String,
                predictedValue: Double, segment: String, flags: [String], action: String, reasons: [String]) {
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

    enum CodingKeys: String, CodingKey {
        case date, segment, flags, action, reasons
        case customerID = "customer_id", modelID = "model_id", churnProbability = "churn_probability"
        case riskTier = "risk_tier", predictedValue = "predicted_value"
    }
}
