import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// A logistic churn model trained on a prepared feature table, as written by `retain train --features … --out`.
///
/// JSON, self-describing: format name and version, creation time, tool version, the feature
/// names in input order with their coefficients and standard errors, and training metrics.
/// (The full model bundle with preprocessing, holdout metrics and checksum builds on this.)
public struct LogisticModelFile: Codable, Sendable, Equatable {
    /// Format identifier written into every file.
    public static let formatName = "retain.logistic-model"
    /// Current format version.
    public static let formatVersion = 1

    public var format: String = LogisticModelFile.formatName
    public var formatVersion: Int = LogisticModelFile.formatVersion
    public var createdAt: String
    public var toolVersion: String
    public var source: String
    public var label: String
    public var features: [String]
    public var coefficients: [Double]
    public var intercept: Double
    /// Standard errors (null where the Hessian is singular).
    public var standardErrors: [Double?]
    public var interceptStandardError: Double?
    /// Inverse penalty strength; null = unpenalised.
    public var c: Double?
    public var classWeight: String
    public var sampleWeightColumn: String?
    public var iterations: Int
    public var converged: Bool
    public var rows: Int
    public var trainingAUC: Double
    public var trainingLogLoss: Double

    enum CodingKeys: String, CodingKey {
        case format = "format"
        case formatVersion = "format_version"
        case createdAt = "created_at"
        case toolVersion = "tool_version"
        case source = "source"
        case label = "label"
        case features = "features"
        case coefficients = "coefficients"
        case intercept = "intercept"
        case standardErrors = "standard_errors"
        case interceptStandardError = "intercept_standard_error"
        case c = "c"
        case classWeight = "class_weight"
        case sampleWeightColumn = "sample_weight_column"
        case iterations = "iterations"
        case converged = "converged"
        case rows = "rows"
        case trainingAUC = "training_auc"
        case trainingLogLoss = "training_log_loss"
    }

    public init(createdAt: String, toolVersion: String, source: String, label: String, features: [String],
                coefficients: [Double], intercept: Double, standardErrors: [Double?], interceptStandardError: Double?,
                c: Double?, classWeight: String, sampleWeightColumn: String?, iterations: Int, converged: Bool,
                rows: Int, trainingAUC: Double, trainingLogLoss: Double) {
        self.createdAt = createdAt
        self.toolVersion = toolVersion
        self.source = source
        self.label = label
        self.features = features
        self.coefficients = coefficients
        self.intercept = intercept
        self.standardErrors = standardErrors
        self.interceptStandardError = interceptStandardError
        self.c = c
        self.classWeight = classWeight
        self.sampleWeightColumn = sampleWeightColumn
        self.iterations = iterations
        self.converged = converged
        self.rows = rows
        self.trainingAUC = trainingAUC
        self.trainingLogLoss = trainingLogLoss
    }
}

/// A k-means segmentation fitted on a prepared feature table, as written by `retain segment --features … --out`.
public struct SegmentModelFile: Codable, Sendable, Equatable {
    public static let formatName = "retain.segments"
    public static let formatVersion = 1

    public var format: String = SegmentModelFile.formatName
    public var formatVersion: Int = SegmentModelFile.formatVersion
    public var createdAt: String
    public var toolVersion: String
    public var source: String
    public var columns: [String]
    /// Whether the columns were standardised before clustering (parameters below).
    public var standardized: Bool
    public var means: [Double]
    public var scales: [Double]
    /// Centres in original units, one array per segment, in `columns` order.
    public var centroids: [[Double]]
    public var names: [String]
    public var sizes: [Int]
    public var inertia: Double
    public var iterations: Int
    public var converged: Bool
    public var seed: UInt64
    public var restarts: Int

    enum CodingKeys: String, CodingKey {
        case format = "format"
        case formatVersion = "format_version"
        case createdAt = "created_at"
        case toolVersion = "tool_version"
        case source = "source"
        case columns = "columns"
        case standardized = "standardized"
        case means = "means"
        case scales = "scales"
        case centroids = "centroids"
        case names = "names"
        case sizes = "sizes"
        case inertia = "inertia"
        case iterations = "iterations"
        case converged = "converged"
        case seed = "seed"
        case restarts = "restarts"
    }

    public init(createdAt: String, toolVersion: String, source: String, columns: [String], standardized: Bool,
                means: [Double], scales: [Double], centroids: [[Double]], names: [String], sizes: [Int],
                inertia: Double, iterations: Int, converged: Bool, seed: UInt64, restarts: Int) {
        self.createdAt = createdAt
        self.toolVersion = toolVersion
        self.source = source
        self.columns = columns
        self.standardized = standardized
        self.means = means
        self.scales = scales
        self.centroids = centroids
        self.names = names
        self.sizes = sizes
        self.inertia = inertia
        self.iterations = iterations
        self.converged = converged
        self.seed = seed
        self.restarts = restarts
    }
}

/// JSON encoding shared by model files and `--json` output: snake_case keys, sorted, pretty.
public enum RetainJSON {
    /// An encoder with the project's conventions.
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        // No key strategy: it would also rewrite dictionary keys (feature names). Types spell
        // their snake_case keys in CodingKeys instead.
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// A decoder matching `encoder()`.
    public static func decoder() -> JSONDecoder {
        JSONDecoder()
    }

    /// NaN and ±∞ become null (JSON has no such numbers).
    public static func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }
}
