import Foundation
import RetainCore
import RetainNumerics

/// A fitted customer-lifetime-value model, stored as a model file of kind `clv` (see `ModelEnvelope`):
/// the purchase model's parameters (BG/NBD, Pareto/NBD or MBG/NBD), the optional Gamma-Gamma
/// spend parameters, the time unit they are in and the end of the calibration period.
///
///     let model = CLVModel(purchase: .betaGeometricNBD(fit.params), gammaGamma: spend.params,
///                          timeUnit: .week, calibrationEnd: "1997-09-30", customers: 2357,
///                          createdAt: now, toolVersion: RetainVersion.string)
///     try ModelEnvelope.write(model, to: "models/clv.json")
///     let back = try CLVModel.load(path: "models/clv.json")
public struct CLVModel: ModelPayload, Equatable {
    public static let kind = ModelKind.clv

    /// The purchase (transaction-count and dropout) model and its parameters.
    public enum Purchase: Sendable, Equatable, Codable {
        /// BG/NBD (Fader, Hardie & Lee 2005).
        case betaGeometricNBD(FittedBetaGeometricNBD.Parameters)
        /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987).
        case paretoNBD(FittedParetoNBD.Parameters)
        /// MBG/NBD (Batislam, Denizel & Filiztekin 2007).
        case modifiedBetaGeometricNBD(FittedModifiedBetaGeometricNBD.Parameters)

        /// The name written in the file: "bgnbd", "pareto-nbd" or "mbgnbd".
        public var name: String {
            switch self {
            case .betaGeometricNBD: return "bgnbd"
            case .paretoNBD: return "pareto-nbd"
            case .modifiedBetaGeometricNBD: return "mbgnbd"
            }
        }

        /// The model's published name: "BG/NBD", "Pareto/NBD" or "MBG/NBD".
        public var title: String {
            switch self {
            case .betaGeometricNBD: return "BG/NBD"
            case .paretoNBD: return "Pareto/NBD"
            case .modifiedBetaGeometricNBD: return "MBG/NBD"
            }
        }

        enum CodingKeys: String, CodingKey { case model, params }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let name = try c.decode(String.self, forKey: .model)
            switch name {
            case "bgnbd": self = .betaGeometricNBD(try c.decode(FittedBetaGeometricNBD.Parameters.self, forKey: .params))
            case "pareto-nbd": self = .paretoNBD(try c.decode(FittedParetoNBD.Parameters.self, forKey: .params))
            case "mbgnbd": self = .modifiedBetaGeometricNBD(try c.decode(FittedModifiedBetaGeometricNBD.Parameters.self, forKey: .params))
            default:
                throw DecodingError.dataCorruptedError(forKey: .model, in: c,
                                                       debugDescription: "purchase model '\(name)' is not one of bgnbd, pareto-nbd, mbgnbd")
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .model)
            switch self {
            case .betaGeometricNBD(let p): try c.encode(p, forKey: .params)
            case .paretoNBD(let p): try c.encode(p, forKey: .params)
            case .modifiedBetaGeometricNBD(let p): try c.encode(p, forKey: .params)
            }
        }
    }

    public var format: String = ModelEnvelope.formatName
    public var formatVersion: Int = ModelEnvelope.formatVersion
    public var kind: ModelKind = .clv
    public var createdAt: String
    public var toolVersion: String
    public var purchase: Purchase
    /// Gamma-Gamma spend parameters (nil when the model predicts purchases only).
    public var gammaGamma: FittedGammaGamma.Parameters?
    /// The unit of the purchase model's rates and of every time argument.
    public var timeUnit: TimeUnit
    /// The last day of the calibration period (YYYY-MM-DD).
    public var calibrationEnd: String
    /// Customers the purchase model was fitted on.
    public var customers: Int
    /// Maximised log-likelihood of the purchase model (nil when unknown).
    public var logLikelihood: Double?
    public var checksum: String = ""

    enum CodingKeys: String, CodingKey {
        case format, kind, purchase, customers, checksum
        case formatVersion = "format_version", createdAt = "created_at", toolVersion = "tool_version"
        case gammaGamma = "gamma_gamma", timeUnit = "time_unit", calibrationEnd = "calibration_end", logLikelihood = "log_likelihood"
    }

    public init(purchase: Purchase, gammaGamma: FittedGammaGamma.Parameters?, timeUnit: TimeUnit, calibrationEnd: String,
                customers: Int, logLikelihood: Double? = nil, createdAt: String, toolVersion: String) {
        self.purchase = purchase; self.gammaGamma = gammaGamma; self.timeUnit = timeUnit; self.calibrationEnd = calibrationEnd
        self.customers = customers; self.logLikelihood = logLikelihood.flatMap(RetainJSON.finite)
        self.createdAt = createdAt; self.toolVersion = toolVersion
    }

    /// The purchase model, ready to predict (fit statistics empty).
    public var purchaseModel: any PurchaseModel {
        switch purchase {
        case .betaGeometricNBD(let p): return FittedBetaGeometricNBD(params: p, timeUnit: timeUnit)
        case .paretoNBD(let p): return FittedParetoNBD(params: p, timeUnit: timeUnit)
        case .modifiedBetaGeometricNBD(let p): return FittedModifiedBetaGeometricNBD(params: p, timeUnit: timeUnit)
        }
    }

    /// The spend model, ready to predict (nil without Gamma-Gamma parameters).
    public var spendModel: FittedGammaGamma? { gammaGamma.map { FittedGammaGamma(params: $0) } }

    /// Writes the model file atomically.
    public func write(to path: String) throws { try ModelEnvelope.write(self, to: path) }

    /// Reads and verifies a CLV model file (format, version, kind, checksum), naming `path` in errors.
    public static func load(path: String) throws -> CLVModel { try ModelEnvelope.load(CLVModel.self, path: path) }
}
