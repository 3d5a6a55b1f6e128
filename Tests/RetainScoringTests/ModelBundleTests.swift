import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

final class ModelBundleTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    static func bundle() -> ModelBundle {
        let bins = [ReliabilityBin(count: 5, meanPredicted: 0.2, observedRate: 0.25)]
        let metrics = HoldoutMetrics(auc: 0.91, averagePrecision: 0.8, logLoss: 0.31, brier: 0.09, liftTopDecile: 3.1,
                                     captureTopDecile: 0.31, baseRate: 0.2, observations: 100, customers: 100,
                                     calibratedLogLoss: 0.3, calibratedBrier: 0.088, baselineAUC: 0.85,
                                     reliabilityBefore: bins, reliabilityAfter: bins)
        return ModelBundle(
            createdAt: "2026-01-01T00:00:00Z", toolVersion: "0.1.0", asOf: "2025-12-01",
            observationDates: ["2025-10-02", "2025-11-01"], holdoutDates: ["2025-11-01"],
            fingerprint: DataFingerprint(rows: 200, customers: 100, sha256: String(repeating: "a", count: 64)),
            config: FeatureConfig(),
            features: [BundleFeature(name: "recency_days", impute: 12, log1p: true, mean: 2.5, scale: 1.25),
                       BundleFeature(name: "n_purchase_90d", impute: 1, log1p: false, mean: 1.5, scale: 0.75)],
            coefficients: [0.8123456789, -0.4], intercept: -1.2, standardErrors: [0.05, nil], interceptStandardError: 0.02,
            c: 0.1, cSelection: "test", classWeight: "none", calibration: PlattCalibration(a: 1.1, b: -0.05, rows: 100),
            metrics: metrics, thresholds: RiskThresholds(high: 0.6, medium: 0.3, topFraction: 0.1), notes: ["n"])
    }

    func write(_ b: ModelBundle) throws -> String {
        let path = dir.appendingPathComponent("m.json").path
        try b.write(to: path) { d, p in try d.write(to: URL(fileURLWithPath: p)) }
        return path
    }

    func testBundleRoundTripsThroughItsFileWithChecksum() throws {
        let b = Self.bundle()
        let path = try write(b)
        let loaded = try ModelBundle.load(path: path)
        var expected = b
        expected.checksum = try b.contentChecksum()
        XCTAssertEqual(loaded, expected)
        XCTAssertTrue(loaded.checksum.hasPrefix("sha256:"))
        XCTAssertEqual(loaded.checksum.count, 7 + 64)
    }

    func testLoadRefusesAFileWithOneDigitChanged() throws {
        let path = try write(Self.bundle())
        var text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("0.8123456789"))
        text = text.replacingOccurrences(of: "0.8123456789", with: "0.8123456788")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelBundle.load(path: path)) { e in
            XCTAssertEqual(e as? ScoringError, .modelChecksumMismatch(path: path))
            XCTAssertTrue("\(e)".contains(path) && "\(e)".contains("changed"), "\(e)")
        }
    }

    func testLoadRefusesATruncatedFile() throws {
        let path = try write(Self.bundle())
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ModelBundle.load(path: path)) { e in
            XCTAssertEqual(e as? ScoringError, .modelNotJSON(path: path))
            XCTAssertTrue("\(e)".contains("truncated"), "\(e)")
        }
    }

    func testLoadRefusesForeignJSONNamingTheFile() throws {
        let path = dir.appendingPathComponent("other.json").path
        try Data(#"{"name": "not a model", "values": [1, 2]}"#.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ModelBundle.load(path: path)) { e in
            XCTAssertTrue("\(e)".contains(path) && "\(e)".contains("not a retain model file"), "\(e)")
        }
        try Data(#"{"format": "lifetimes.pickle", "format_version": 1}"#.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ModelBundle.load(path: path)) { e in
            XCTAssertEqual(e as? ScoringError, .foreignModel(path: path, found: "lifetimes.pickle"))
        }
    }

    func testLoadOfAPreEnvelopeFileSaysToRemakeItWithTheReadmeCommands() throws {
        let path = dir.appendingPathComponent("old.json").path
        for format in ["retain.churn-model", "retain.segment-model", "retain.logistic-model", "retain.segments"] {
            try Data(#"{"format": "\#(format)", "format_version": 1, "checksum": ""}"#.utf8).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try AnyModel.load(path: path)) { e in
                XCTAssertEqual(e as? ScoringError, .oldModelFormat(path: path, format: format))
                XCTAssertTrue("\(e)".contains("was written by an older retain (format '\(format)')") && "\(e)".contains("models/README.md"), "\(e)")
            }
        }
    }

    func testLoadRefusesAnotherFormatVersion() throws {
        let path = try write(Self.bundle())
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"format_version\" : 2", with: "\"format_version\" : 3")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelBundle.load(path: path)) { e in
            XCTAssertEqual(e as? ScoringError, .unsupportedModelVersion(path: path, version: 3))
        }
    }

    func testEveryKindSharesOneEnvelopeWithItsKind() throws {
        let path = try write(Self.bundle())
        let o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        XCTAssertEqual(o?["format"] as? String, "retain.model")
        XCTAssertEqual(o?["format_version"] as? Int, 2)
        XCTAssertEqual(o?["kind"] as? String, "churn")
        let clv = dir.appendingPathComponent("clv.json").path
        try CLVModelTests.model().write(to: clv)
        let c = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: clv))) as? [String: Any]
        XCTAssertEqual(c?["format"] as? String, "retain.model")
        XCTAssertEqual(c?["kind"] as? String, "clv")
        guard case .churn = try AnyModel.load(path: path) else { return XCTFail("a churn model loads as churn") }
        guard case .clv = try AnyModel.load(path: clv) else { return XCTFail("a CLV model loads as clv") }
    }

    func testAModelOfAnotherKindIsRefusedNamingBothKinds() throws {
        let clv = dir.appendingPathComponent("clv.json").path
        try CLVModelTests.model().write(to: clv)
        XCTAssertThrowsError(try ModelBundle.load(path: clv)) { e in
            XCTAssertEqual(e as? ScoringError, .wrongModelKind(path: clv, found: .clv, expected: .churn))
            XCTAssertEqual("\(e)", "\(clv) is a CLV model, not a churn model.")
        }
        let churn = try write(Self.bundle())
        XCTAssertThrowsError(try SegmentBundle.load(path: churn)) { e in
            XCTAssertEqual("\(e)", "\(churn) is a churn model, not a segment model.")
        }
    }

    func testCatalogListsEveryKindAndRefusesAChangedFile() throws {
        _ = try write(Self.bundle())
        try CLVModelTests.model().write(to: dir.appendingPathComponent("clv.json").path)
        let changed = dir.appendingPathComponent("z-changed.json").path
        try CLVModelTests.model().write(to: changed)
        let text = try String(contentsOfFile: changed, encoding: .utf8).replacingOccurrences(of: "\"customers\" : 2357", with: "\"customers\" : 2358")
        try text.write(toFile: changed, atomically: true, encoding: .utf8)
        let lines = try ModelCatalog.list(directory: dir.path).map(\.line)
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].contains("clv.json  CLV model BG/NBD + Gamma-Gamma (weeks)  calibration end 1997-09-30  2357 customers  r 0.2426, alpha 4.414, a 0.7929, b 2.426  created "), lines[0])
        XCTAssertTrue(lines[1].contains("m.json  as of 2025-12-01  2 features  holdout AUC 0.9100"), lines[1])
        XCTAssertTrue(lines[2].contains("z-changed.json  REFUSED: ") && lines[2].contains("SHA-256 does not match"), lines[2])
    }

    func testScoringDataWithoutTheModelsFeaturesNamesTheMissingOnes() throws {
        let m = FeatureMatrix(names: ["recency_days", "tenure_days"], customerIDs: ["a"], asOf: [0], values: [3, 100])
        XCTAssertThrowsError(try Self.bundle().probabilities(m, model: "m.json")) { e in
            XCTAssertEqual(e as? ScoringError, .missingFeatures(model: "m.json", names: ["n_purchase_90d"]))
            XCTAssertTrue("\(e)".contains("n_purchase_90d"), "\(e)")
        }
    }

    func testProbabilitiesApplyImputationTransformsAndCalibration() throws {
        let b = Self.bundle()
        let m = FeatureMatrix(names: ["n_purchase_90d", "recency_days"], customerIDs: ["a"], asOf: [0], values: [.nan, 20])
        let x1 = (log1p(20.0) - 2.5) / 1.25, x2 = (1.0 - 1.5) / 0.75
        let z = -1.2 + 0.8123456789 * x1 - 0.4 * x2
        let expected = 1 / (1 + exp(-(1.1 * z - 0.05)))
        XCTAssertEqual(try b.probabilities(m)[0], expected, accuracy: 1e-12)
    }
}
