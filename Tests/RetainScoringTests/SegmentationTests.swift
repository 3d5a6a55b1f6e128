import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

final class SegmentationTests: XCTestCase {
    func testRFMQuintilesGiveTiesTheSameScoreAndRankMissingWorst() {
        let f = RFM.quintiles([0, 0, 0, 0, 0, 0, 1, 2, 3, 4], higherIsBetter: true)
        XCTAssertEqual(Set(f.prefix(6)).count, 1)
        XCTAssertEqual(f[9], 5)
        let r = RFM.quintiles([1, 2, 3, 4, .nan], higherIsBetter: false)
        XCTAssertEqual(r[0], 5)
        XCTAssertEqual(r[4], 1)
    }

    func testRFMNamesFollowTheUsualGrid() {
        XCTAssertEqual(RFM.name(r: 5, f: 5, m: 5), "Champions")
        XCTAssertEqual(RFM.name(r: 1, f: 1, m: 1), "Lost")
        XCTAssertEqual(RFM.name(r: 2, f: 4, m: 3), "At risk")
        XCTAssertEqual(RFM.name(r: 2, f: 1, m: 1), "Hibernating")
        XCTAssertEqual(RFM.name(r: 5, f: 1, m: 1), "New customers")
    }

    func testSegmentNamesComeFromTheProfile() {
        let pop = ["recency_days": 20.0, "active_days_30d": 3, "sum_purchase_90d_mean": 100, "tenure_days": 300]
        XCTAssertEqual(SegmentNaming.name(["tenure_days": 20, "recency_days": 2, "active_days_30d": 5], population: pop), "new")
        XCTAssertEqual(SegmentNaming.name(["tenure_days": 400, "recency_days": 90, "active_days_30d": 0], population: pop), "dormant")
        XCTAssertEqual(SegmentNaming.name(["tenure_days": 400, "recency_days": 40, "active_days_30d": 1], population: pop), "fading")
        XCTAssertEqual(SegmentNaming.name(["tenure_days": 400, "recency_days": 5, "active_days_30d": 8, "sum_purchase_90d": 300], population: pop), "high-value active")
        XCTAssertEqual(SegmentNaming.unique(["fading", "active", "fading"]), ["fading", "active", "fading 2"])
    }

    func testSegmentationSeparatesActiveAndDormantCustomersAndItsBundleVerifies() throws {
        var rng = SeededGenerator(seed: 3)
        var values: [Double] = [], ids: [String] = []
        for i in 0..<200 {
            let active = i % 2 == 0
            let u = rng.nextUnit()
            values += active ? [2 + 3 * u, 4 + u, 200 + 50 * u, 10 + 5 * u, 400] : [120 + 30 * u, 0, 0, 0, 400]
            ids.append("C\(i)")
        }
        let m = FeatureMatrix(names: ["recency_days", "n_purchase_90d", "sum_purchase_90d", "active_days_30d", "tenure_days"],
                              customerIDs: ids, asOf: Array(repeating: 0, count: 200), values: values)
        let r = try Segmentation.fit(m, asOf: 0, config: FeatureConfig(), k: nil, createdAt: "t", toolVersion: "v")
        XCTAssertEqual(r.bundle.k, 2)
        XCTAssertEqual(r.bundle.kSearch.map(\.k), Array(2...10))
        XCTAssertEqual(Set(r.bundle.segments.map(\.name)), ["high-value active", "dormant"])
        XCTAssertEqual(r.bundle.segments.map(\.size).sorted(), [100, 100])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seg-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try r.bundle.encoded().write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try SegmentBundle.load(path: path).segments, r.bundle.segments)

        // Names are editable by hand; anything else edited is refused.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"dormant\"", with: "\"Win-back candidates\"").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertTrue(try SegmentBundle.load(path: path).segments.map(\.name).contains("Win-back candidates"))
        try text.replacingOccurrences(of: "\"size\" : 100", with: "\"size\" : 101").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SegmentBundle.load(path: path)) { XCTAssertTrue("\($0)".contains("SHA-256"), "\($0)") }
    }
}

final class CalibrationTests: XCTestCase {
    func testIsotonicFitIsMonotoneAndPoolsViolators() {
        let z: [Double] = [1, 2, 3, 4, 5, 6]
        let y: [Double] = [0, 1, 0, 0, 1, 1]
        let iso = IsotonicCalibration.fit(z: z, y: y)
        XCTAssertEqual(iso.p, iso.p.sorted())
        // PAV: [0], [1, 0, 0] pooled to 1/3, [1, 1].
        XCTAssertEqual(iso.p.count, 3)
        XCTAssertEqual(iso.p[1], 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(iso.z[1], 3, accuracy: 1e-12)
        XCTAssertEqual(iso.p[0], 0.5 / 6, accuracy: 1e-12)   // clipped away from 0
        XCTAssertEqual(iso.apply(-10), iso.p[0])
        XCTAssertEqual(iso.apply(100), iso.p[2])
        XCTAssertEqual(iso.apply(2), (iso.p[0] + iso.p[1]) / 2, accuracy: 1e-12)
    }
}
