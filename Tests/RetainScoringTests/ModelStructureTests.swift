import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainScoring

/// Model files are validated on load whatever their checksum (anyone can recompute an unkeyed
/// SHA-256), and rules and model files too deep for the parsers are refused before parsing.
final class ModelStructureTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("crash-models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func churn() throws -> ModelBundle {
        try ModelBundle.load(path: Self.root.appendingPathComponent("models/sample-churn.json").path)
    }

    private func segments() throws -> SegmentBundle {
        try ModelEnvelope.load(SegmentBundle.self, path: Self.root.appendingPathComponent("models/sample-segments.json").path)
    }

    /// Writes `model` re-signed with the library's own checksum, then loads it as `type`.
    private func reSignedLoadError<P: ModelPayload>(_ model: P, as type: P.Type, name: String = "edited.json") throws -> (String, Error?) {
        var model = model
        model.checksum = try ModelEnvelope.checksum(of: model)
        let path = dir.appendingPathComponent(name).path
        try ModelEnvelope.encode(model).write(to: URL(fileURLWithPath: path))
        do { _ = try ModelEnvelope.load(type, path: path); return (path, nil) } catch { return (path, error) }
    }

    private func assertInconsistent<P: ModelPayload>(_ model: P, field: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (path, error) = try reSignedLoadError(model, as: P.self)
        guard case .inconsistentModel(let p, let f, _)? = error as? ScoringError else {
            return XCTFail("expected inconsistentModel for \(field), got \(String(describing: error))", file: file, line: line)
        }
        XCTAssertEqual(p, path, file: file, line: line)
        XCTAssertEqual(f, field, file: file, line: line)
    }

    func testTheSampleModelsPassTheStructureChecks() throws {
        XCTAssertNoThrow(try churn().checkStructure())
        XCTAssertNoThrow(try segments().checkStructure())
        // Re-signing an unchanged model loads.
        let (_, error) = try reSignedLoadError(try churn(), as: ModelBundle.self)
        XCTAssertNil(error)
    }

    func testAReSignedChurnModelWithAShortenedIsotonicTableIsRefused() throws {
        // The sample model stores an isotonic table (its holdout is large enough) but may apply Platt:
        // switch it to isotonic so the table is the one in use.
        func churn() throws -> ModelBundle {
            var m = try self.churn()
            XCTAssertNotNil(m.isotonic)
            m.calibrationMethod = "isotonic"
            return m
        }
        var m = try churn()
        m.isotonic?.p.removeLast(3)
        try assertInconsistent(m, field: "isotonic.p")
        var empty = try churn()
        empty.isotonic?.z = []
        empty.isotonic?.p = []
        try assertInconsistent(empty, field: "isotonic.z")
        var unsorted = try churn()
        unsorted.isotonic?.z.swapAt(0, 1)
        try assertInconsistent(unsorted, field: "isotonic.z")
        var outside = try churn()
        outside.isotonic?.p[0] = 1.5
        try assertInconsistent(outside, field: "isotonic.p[0]")
        var missing = try churn()
        missing.isotonic = nil
        try assertInconsistent(missing, field: "isotonic")
    }

    func testAReSignedChurnModelWithLengthsThatDisagreeIsRefused() throws {
        var m = try churn()
        m.coefficients.removeLast()
        try assertInconsistent(m, field: "coefficients")
        var se = try churn()
        se.standardErrors.append(nil)
        try assertInconsistent(se, field: "standard_errors")
        var scale = try churn()
        scale.features[2].scale = 0
        try assertInconsistent(scale, field: "features[2].scale")
        var thresholds = try churn()
        thresholds.thresholds.high = 2
        try assertInconsistent(thresholds, field: "thresholds.high")
        var method = try churn()
        method.calibrationMethod = "magic"
        try assertInconsistent(method, field: "calibration_method")
    }

    func testAReSignedSegmentModelWithShortenedCentresIsRefused() throws {
        var m = try segments()
        m.centres[1].removeLast()
        try assertInconsistent(m, field: "centres[1]")
        var fewer = try segments()
        fewer.centres.removeLast()
        try assertInconsistent(fewer, field: "centres")
        var names = try segments()
        names.segments.removeLast()
        try assertInconsistent(names, field: "segments")
        var k = try segments()
        k.k = 0
        try assertInconsistent(k, field: "k")
    }

    func testTheStructureErrorNamesTheFileAndFieldButNoValues() {
        let message = ScoringError.inconsistentModel(path: "m.json", field: "isotonic.p", problem: "has 3 values for 5 values of isotonic.z").description
        XCTAssertTrue(message.hasPrefix("m.json is a damaged model file: isotonic.p has 3 values for 5 values of isotonic.z."), message)
    }

    // MARK: Depth and size before parsing

    func testDeeplyNestedRulesAreRefusedBeforeParsing() throws {
        let text = "rules: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        XCTAssertThrowsError(try ActionRules.parse(text, path: "deep.yaml")) {
            XCTAssertEqual($0 as? ScoringError, .fileBeyondLimit(path: "deep.yaml", what: "a rules file", problem: .tooDeep(line: 1, limit: 64)))
        }
        let path = dir.appendingPathComponent("deep.yaml").path
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try ActionRules.load(path: path)) {
            XCTAssertEqual($0 as? ScoringError, .fileBeyondLimit(path: path, what: "a rules file", problem: .tooDeep(line: 1, limit: 64)))
        }
        let huge = dir.appendingPathComponent("huge.yaml").path
        try ("rules:\n" + String(repeating: "  - action: a\n", count: 100_000)).write(toFile: huge, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try ActionRules.load(path: huge)) {
            XCTAssertEqual($0 as? ScoringError, .fileBeyondLimit(path: huge, what: "a rules file", problem: .tooLarge(limit: 1 << 20)))
        }
        let folder = dir.appendingPathComponent("rules.yaml").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        XCTAssertThrowsError(try ActionRules.load(path: folder)) {
            XCTAssertEqual($0 as? ScoringError, .rulesUnreadable(path: folder, reason: "it is a directory"))
        }
    }

    func testADeeplyNestedModelFileIsRefusedBeforeParsing() throws {
        let deep = Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        XCTAssertThrowsError(try ModelBundle.decode(deep, path: "deep.json")) {
            XCTAssertEqual($0 as? ScoringError, .fileBeyondLimit(path: "deep.json", what: "a model file", problem: .tooDeep(line: 1, limit: 64)))
        }
        let nested = Data(("{\"format\": \"retain.model\", \"x\": " + String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000) + "}").utf8)
        XCTAssertThrowsError(try AnyModel.load(path: { let p = dir.appendingPathComponent("n.json").path; try? nested.write(to: URL(fileURLWithPath: p)); return p }())) {
            guard case .fileBeyondLimit(_, "a model file", .tooDeep(1, 64))? = $0 as? ScoringError else { return XCTFail("\($0)") }
        }
    }
}
