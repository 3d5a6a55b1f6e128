import Foundation

// Structural validation of model files on load.
//
// The checksum is an unkeyed SHA-256: anyone who edits a file can recompute it. So a file whose
// checksum matches is still checked for consistent structure (lengths that agree, finite values,
// probabilities in [0, 1]) before it is used; scoring with a shortened table would otherwise index
// out of bounds and crash.

/// A structural problem: the field (its JSON key path) and what is wrong with it.
struct StructureProblem: Error {
    var field: String
    var problem: String
}

/// A model whose structure `ModelEnvelope.decode` checks after the checksum.
protocol StructureChecked {
    func checkStructure() throws
}

/// Checks used by the models' `checkStructure()`.
enum Structure {
    static func count(_ field: String, _ found: Int, _ expected: Int, of what: String) throws {
        guard found == expected else { throw StructureProblem(field: field, problem: "has \(found) values for \(expected) \(what)") }
    }

    static func finite(_ field: String, _ value: Double) throws {
        guard value.isFinite else { throw StructureProblem(field: field, problem: "is not a finite number") }
    }

    static func finite(_ field: String, _ values: [Double]) throws {
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw StructureProblem(field: "\(field)[\(i)]", problem: "is not a finite number")
        }
    }

    static func probability(_ field: String, _ value: Double) throws {
        guard value >= 0 && value <= 1 else { throw StructureProblem(field: field, problem: "is not a probability in [0, 1]") }
    }

    static func features(_ features: [BundleFeature]) throws {
        for (i, f) in features.enumerated() {
            try finite("features[\(i)].impute", f.impute)
            try finite("features[\(i)].mean", f.mean)
            try finite("features[\(i)].scale", f.scale)
            guard f.scale != 0 else { throw StructureProblem(field: "features[\(i)].scale", problem: "is zero") }
        }
    }
}

extension ModelBundle: StructureChecked {
    /// Throws `StructureProblem` for the first inconsistency: lengths, finite values, calibration, thresholds.
    func checkStructure() throws {
        try Structure.features(features)
        try Structure.count("coefficients", coefficients.count, features.count, of: "features")
        try Structure.count("standard_errors", standardErrors.count, features.count, of: "features")
        try Structure.finite("coefficients", coefficients)
        try Structure.finite("intercept", intercept)
        switch calibrationMethod {
        case "none":
            break
        case "platt":
            guard let calibration else { throw StructureProblem(field: "calibration", problem: "is missing (calibration_method is platt)") }
            try Structure.finite("calibration.a", calibration.a)
            try Structure.finite("calibration.b", calibration.b)
        case "isotonic":
            guard let isotonic else { throw StructureProblem(field: "isotonic", problem: "is missing (calibration_method is isotonic)") }
            try isotonic.checkStructure()
        default:
            throw StructureProblem(field: "calibration_method", problem: "is not one of platt, isotonic, none")
        }
        if let calibration {
            try Structure.finite("calibration.a", calibration.a)
            try Structure.finite("calibration.b", calibration.b)
        }
        if let isotonic { try isotonic.checkStructure() }
        try Structure.probability("thresholds.high", thresholds.high)
        try Structure.probability("thresholds.medium", thresholds.medium)
        try Structure.probability("thresholds.top_fraction", thresholds.topFraction)
        if let b = thresholds.baseRate { try Structure.probability("thresholds.base_rate", b) }
        guard thresholds.medium <= thresholds.high else {
            throw StructureProblem(field: "thresholds.medium", problem: "is above thresholds.high")
        }
    }
}

extension IsotonicCalibration {
    /// Throws `StructureProblem` unless `z` and `p` are non-empty, of one length, finite, `z`
    /// strictly increasing and `p` probabilities.
    func checkStructure() throws {
        guard !z.isEmpty else { throw StructureProblem(field: "isotonic.z", problem: "is empty") }
        guard z.count == p.count else {
            throw StructureProblem(field: "isotonic.p", problem: "has \(p.count) values for \(z.count) values of isotonic.z")
        }
        try Structure.finite("isotonic.z", z)
        try Structure.finite("isotonic.p", p)
        for i in 1..<z.count where !(z[i - 1] < z[i]) {
            throw StructureProblem(field: "isotonic.z", problem: "is not in increasing order at index \(i)")
        }
        for (i, v) in p.enumerated() { try Structure.probability("isotonic.p[\(i)]", v) }
    }
}

extension SegmentBundle: StructureChecked {
    /// Throws `StructureProblem` unless there are k ≥ 1 centres of one value per feature, finite,
    /// and k segments.
    func checkStructure() throws {
        guard k >= 1 else { throw StructureProblem(field: "k", problem: "is below 1") }
        if segmentMethod == .rfm { return try checkRFMStructure() }
        guard !features.isEmpty else { throw StructureProblem(field: "features", problem: "is empty") }
        try Structure.features(features)
        try Structure.count("centres", centres.count, k, of: "segments (k)")
        try Structure.count("segments", segments.count, k, of: "segments (k)")
        for (s, centre) in centres.enumerated() {
            try Structure.count("centres[\(s)]", centre.count, features.count, of: "features")
            try Structure.finite("centres[\(s)]", centre)
        }
    }
}
