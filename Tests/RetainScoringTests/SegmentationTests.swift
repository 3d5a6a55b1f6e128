import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

final class SegmentationTests: XCTestCase {
    static let names = Segmentation.featureNames   // recency, n_purchase_90d, sum_purchase_90d, active_days_30d, tenure_days, tickets_90d

    // MARK: RFM

    func testRFMQuintilesGiveTiesTheSameScoreAndRankMissingWorst() {
        // Positions 0…9, no ties: 1 + ⌊5·i/10⌋ = 1 1 2 2 3 3 4 4 5 5.
        XCTAssertEqual(RFM.quintiles([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], higherIsBetter: true), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        XCTAssertEqual(RFM.quintiles([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], higherIsBetter: false), [5, 5, 4, 4, 3, 3, 2, 2, 1, 1])
        // Six zeros at positions 0…5 share mid-rank 2.5 → 1 + ⌊1.25⌋ = 2; then 1, 2, 3, 4 at positions 6…9 → 4, 4, 5, 5.
        XCTAssertEqual(RFM.quintiles([0, 0, 0, 0, 0, 0, 1, 2, 3, 4], higherIsBetter: true), [2, 2, 2, 2, 2, 2, 4, 4, 5, 5])
        let r = RFM.quintiles([1, 2, 3, 4, .nan], higherIsBetter: false)
        XCTAssertEqual(r, [5, 4, 3, 2, 1])
    }

    func testRFMSegmentsFollowTheRFGrid() {
        // Rows R = 5…1, columns F = 1…5, as in the README.
        let grid = [
            ["new", "potential loyalists", "potential loyalists", "champions", "champions"],
            ["promising", "potential loyalists", "potential loyalists", "loyal", "loyal"],
            ["about to sleep", "about to sleep", "need attention", "loyal", "loyal"],
            ["hibernating", "hibernating", "at risk", "at risk", "can't lose"],
            ["lost", "hibernating", "at risk", "at risk", "can't lose"],
        ]
        for (row, r) in (1...5).reversed().enumerated() {
            for f in 1...5 { XCTAssertEqual(RFM.segment(r: r, f: f), grid[row][f - 1], "R \(r) F \(f)") }
        }
        XCTAssertEqual(Set(grid.flatMap { $0 }), Set(RFM.segmentNames))
    }

    /// Ten customers with purchases and two without, as of day 20,000.
    ///
    ///     id  R days  F   M total  M mean
    ///     A     1     1     30      30
    ///     B     2    12    900      75
    ///     C     4     6    400      66.67
    ///     D     7     1     50      50
    ///     E    15     2     70      35
    ///     F    30     3    120      40
    ///     G    60     9    630      70
    ///     H    90     3    110      36.67
    ///     I   150     1     20      20
    ///     J   300     2     45      22.5
    ///
    /// R (fewer days better), worst first: J I H G F E D C B A at positions 0…9 → 1 1 2 2 3 3 4 4 5 5,
    /// so A 5, B 5, C 4, D 4, E 3, F 3, G 2, H 2, I 1, J 1.
    /// F ascending: 1 ×3 (A D I) positions 0–2, mid 1 → 1; 2 ×2 (E J) positions 3–4, mid 3.5 → 1 + ⌊1.75⌋ = 2;
    /// 3 ×2 (F H) mid 5.5 → 3; 6 (C) position 7 → 4; 9 (G) position 8 → 5; 12 (B) position 9 → 5.
    /// M total ascending: I A J D E H F C G B → 1 1 2 2 3 3 4 4 5 5.
    /// M mean ascending: I J A E H F D C G B → 1 1 2 2 3 3 4 4 5 5.
    /// Segments (R, F): A (5,1) new; B (5,5) champions; C (4,4) loyal; D (4,1) promising; E (3,2) about to sleep;
    /// F (3,3) need attention; G (2,5) can't lose; H (2,3) at risk; I (1,1) lost; J (1,2) hibernating.
    func testRFMScoresAndSegmentsMatchAHandComputedTable() throws {
        let day = 86_400.0, asOf = 20_000 * day
        let table: [(String, Double, Int, Double)] = [("A", 1, 1, 30), ("B", 2, 12, 900), ("C", 4, 6, 400), ("D", 7, 1, 50), ("E", 15, 2, 70),
                                                      ("F", 30, 3, 120), ("G", 60, 9, 630), ("H", 90, 3, 110), ("I", 150, 1, 20), ("J", 300, 2, 45)]
        var purchases: [String: RFM.Purchases] = [:]
        for (id, r, f, m) in table { purchases[id] = RFM.Purchases(count: f, total: m, last: asOf - r * day + 3_600) }  // 01:00 on the day R days before
        purchases["X"] = RFM.Purchases(count: 1, total: 5, last: asOf - day)   // not a customer of the matrix: ignored
        let ids = table.map(\.0) + ["K", "L"]
        let churned: [Double] = [0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0]
        let m = FeatureMatrix(names: ["recency_days", "churned"], customerIDs: ids, asOf: Array(repeating: asOf, count: 12),
                              values: churned.flatMap { [1, $0] })
        let fit = RFM.fit(m, purchases: purchases, asOf: asOf, config: FeatureConfig(), createdAt: "t", toolVersion: "v")
        let r = [5, 5, 4, 4, 3, 3, 2, 2, 1, 1], f = [1, 5, 4, 1, 2, 3, 5, 3, 1, 2], mTotal = [1, 5, 4, 2, 3, 4, 5, 3, 1, 2]
        let segments = ["new", "champions", "loyal", "promising", "about to sleep", "need attention", "can't lose", "at risk", "lost", "hibernating"]
        for i in 0..<10 {
            XCTAssertEqual(fit.scores[i], RFM.Score(r: r[i], f: f[i], m: mTotal[i], segment: segments[i]), ids[i])
        }
        XCTAssertNil(fit.scores[10]); XCTAssertNil(fit.scores[11])
        let b = fit.bundle
        XCTAssertEqual(b.segmentMethod, .rfm)
        XCTAssertEqual(b.segments.map(\.name), ["champions", "loyal", "new", "promising", "need attention", "about to sleep", "at risk",
                                                "can't lose", "hibernating", "lost", "no purchases"])
        XCTAssertEqual(b.segments.map(\.size), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2])
        XCTAssertEqual(b.k, 11)
        XCTAssertEqual(b.segments.last?.share ?? 0, 2.0 / 12, accuracy: 1e-12)
        XCTAssertEqual(b.segments.last?.churnRate ?? -1, 0.5, accuracy: 1e-12)   // K churned, L did not
        XCTAssertEqual(b.rfmCounts["no purchases"], 2)
        XCTAssertEqual(b.segments.first { $0.name == "can't lose" }?.centroid["days_since_purchase"], 60)
        XCTAssertEqual(b.rfm?.customersWithPurchases, 10)
        XCTAssertEqual(b.rfm?.scoreRanges.first { $0.dimension == "r" && $0.score == 5 }.map { [$0.min, $0.max] }, [1, 2])
        XCTAssertEqual(b.rfm?.scoreRanges.first { $0.dimension == "f" && $0.score == 2 }.map { [$0.min, $0.max, Double($0.customers)] }, [2, 2, 2])

        let mean = RFM.fit(m, purchases: purchases, asOf: asOf, config: FeatureConfig(), monetary: .mean, createdAt: "t", toolVersion: "v")
        XCTAssertEqual(mean.scores.prefix(10).map { $0!.m }, [2, 5, 4, 4, 2, 3, 5, 3, 1, 1])
        XCTAssertEqual(mean.scores.prefix(10).map { $0!.segment }, segments)   // M does not move the grid

        // The file verifies and lists, but is refused where customers must be assigned to segments.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rfm-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try b.encoded().write(to: URL(fileURLWithPath: path))
        guard case .segments(let loaded) = try AnyModel.load(path: path) else { return XCTFail("not a segment model") }
        XCTAssertEqual(loaded.rfm, b.rfm)
        XCTAssertThrowsError(try SegmentBundle.load(path: path)) {
            XCTAssertEqual($0 as? ScoringError, .rfmSegmentsNotScorable(path: path))
            XCTAssertTrue("\($0)".contains("is an RFM segment model"), "\($0)")
        }
    }

    func testRFMPurchasesCountOnlyPurchaseEventsBeforeTheAsOfDate() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rfm-events-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
            customer_id,timestamp,event_type,value
            a,2025-11-01T10:00:00Z,purchase,10
            a,2025-11-20T23:59:00Z,purchase,
            a,2025-11-25T10:00:00Z,session,
            a,2025-12-01T00:00:00Z,purchase,99
            b,2025-11-30T08:00:00Z,order,7
            c,2025-11-30T08:00:00Z,login,

            """.write(toFile: path, atomically: true, encoding: .utf8)
        let asOf = 1_764_547_200.0   // 2025-12-01T00:00:00Z
        var roles = RoleMap()
        let plain = try RFM.purchases(EventLogReader(source: .csv(path: path)), roles: roles, before: asOf)
        XCTAssertEqual(plain, ["a": RFM.Purchases(count: 2, total: 10, last: asOf - 10 * 86_400 - 60)])
        roles.map("order", to: .purchase)
        let mapped = try RFM.purchases(EventLogReader(source: .csv(path: path)), roles: roles, before: asOf)
        XCTAssertEqual(mapped["b"], RFM.Purchases(count: 1, total: 7, last: asOf - 16 * 3_600))
        XCTAssertNil(mapped["c"])
    }

    // MARK: Names

    func testNamesComeFromTheDimensionsThatSetEachCentreApart() {
        //                recency  n_purch  sum   active  tenure  tickets
        let centres: [[Double]] = [
            [1.5, -0.6, -0.7, -1.1, 0.3, -0.5],    // activity −1.3, value −0.65: "dormant" (low spend folded in)
            [-0.6, 1.2, 1.3, 0.6, 0.2, -0.5],      // value 1.25, activity 0.6
            [-0.2, -0.7, -0.7, 0.2, -1.2, -0.5],   // tenure −1.2, value −0.7 (activity 0.2 below the threshold)
            [-0.5, -0.7, -0.7, 1.1, 0, -0.5],      // activity 0.8, value −0.7
            [0, 0, 0, 0, 0, 0.2],                  // nothing beyond 0.5 SD
            [-0.3, 1.2, 1.3, 0.8, 0, 1.8],         // support 1.8, value 1.25, activity 0.55
        ]
        XCTAssertEqual(SegmentNaming.names(centres: centres, features: Self.names),
                       ["dormant", "high-value active", "new low-spend", "engaged browsers", "mainstream", "support-heavy high-value"])
    }

    func testDormantAndNewNeedTheSegmentsMeansToSayIt() {
        let centres: [[Double]] = [[1.5, -0.6, -0.7, -1.1, 0.3, -0.5], [-0.2, -0.7, -0.7, 0.2, -1.2, -0.5]]
        // 0.4 active days and 45 days of tenure: dormant, new.
        XCTAssertEqual(SegmentNaming.names(centres: centres, features: Self.names,
                                           originals: [["active_days_30d": 0.4, "tenure_days": 500], ["active_days_30d": 3, "tenure_days": 45]]),
                       ["dormant", "new low-spend"])
        // 2.5 active days is fading, not dormant (and low spend is then said); 200 days of tenure is newer, not new.
        XCTAssertEqual(SegmentNaming.names(centres: centres, features: Self.names,
                                           originals: [["active_days_30d": 2.5, "tenure_days": 500], ["active_days_30d": 3, "tenure_days": 200]]),
                       ["low-spend fading", "newer low-spend"])
    }

    func testRepeatedNamesGetTheirNextTraitAndOnlyThenARelativeWord() {
        // Both "high-value active"; tenure +0.2 against −0.4 tells them apart.
        let twins: [[Double]] = [[-0.6, 1.2, 1.3, 0.6, 0.2, -0.5], [-0.6, 1.2, 1.3, 0.6, -0.4, -0.5], [1.5, -0.6, -0.7, -1.1, 0.3, -0.5]]
        XCTAssertEqual(SegmentNaming.names(centres: twins, features: Self.names),
                       ["long-standing high-value active", "new high-value active", "dormant"])
        // Same side of the average on every dimension: the widest gap (activity 0.6 vs 0.9) decides.
        let same: [[Double]] = [[-0.6, 1.2, 1.3, 0.6, 0.2, -0.5], [-0.9, 1.0, 1.1, 0.9, 0.1, -0.5]]
        XCTAssertEqual(SegmentNaming.names(centres: same, features: Self.names),
                       ["long-standing high-value active (less active)", "long-standing high-value active (more active)"])
        // A model without support or tenure features names from what it has.
        XCTAssertEqual(SegmentNaming.names(centres: [[1, -1], [-1, 1]], features: ["recency_days", "sum_purchase_90d"]),
                       ["dormant", "high-value active"])
    }

    // MARK: k-means and the choice of k

    /// Four groups of 245 customers and one of 15 (1.5%) far from them.
    func fiveGroups() -> FeatureMatrix {
        var rng = SeededGenerator(seed: 11)
        var values: [Double] = [], ids: [String] = []
        let groups: [(Int, [Double], [Double])] = [
            (245, [5, 5, 300, 15, 400, 0], [1, 1, 20, 2, 20, 0]),
            (245, [150, 0, 0, 0, 600, 0], [10, 0, 0, 0, 20, 0]),
            (245, [10, 0, 0, 10, 30, 0], [2, 0, 0, 2, 5, 0]),
            (245, [20, 1, 50, 5, 900, 3], [3, 0, 5, 1, 30, 1]),
            (15, [3, 30, 5000, 28, 2000, 10], [0.5, 2, 200, 1, 50, 1]),
        ]
        for (g, (n, centre, spread)) in groups.enumerated() {
            for i in 0..<n {
                values += zip(centre, spread).map { c, s in max(0, c + s * (2 * rng.nextUnit() - 1)) }
                ids.append("G\(g)-\(i)")
            }
        }
        return FeatureMatrix(names: Self.names, customerIDs: ids, asOf: Array(repeating: 0, count: ids.count), values: values)
    }

    func testAutoKStaysInItsRangeAndRejectsAKWithASegmentUnderTwoPercent() throws {
        let m = fiveGroups()
        let r = try Segmentation.fit(m, asOf: 0, config: FeatureConfig(), k: nil, createdAt: "t", toolVersion: "v")
        let b = r.bundle
        XCTAssertEqual(b.kSearch.map(\.k), Array(3...8))
        XCTAssertTrue((3...8).contains(b.k))
        XCTAssertTrue(b.segments.allSatisfy { $0.share >= 0.02 }, "\(b.segments.map(\.share))")
        XCTAssertEqual(Set(b.segments.map(\.name)).count, b.k, "\(b.segments.map(\.name))")
        for row in b.kSearch {
            XCTAssertEqual(row.admissible, row.smallestShare! >= 0.02, "k = \(row.k)")
            XCTAssertEqual(row.smallestShare!, Double(try KMeans(clusterCount: row.k, restarts: 4).fit(
                try Preprocessing.fit(m, rows: Array(0..<m.rowCount), columns: Array(0..<6)).design(m, rows: Array(0..<m.rowCount)), seed: 0).sizes.min()!) / 995,
                accuracy: 1e-12)
        }
        XCTAssertTrue(b.kSearch.contains { $0.admissible == false }, "the tiny group should be split off at some k")
        let admissible = b.kSearch.filter { $0.admissible == true }
        XCTAssertEqual(b.k, admissible.max { $0.silhouette < $1.silhouette }!.k)
        XCTAssertTrue(b.kSelection.contains("rejected: k = "), b.kSelection)

        // Without the rule, the best silhouette isolates the 15 customers.
        let free = try Segmentation.fit(m, asOf: 0, config: FeatureConfig(), k: nil, minShare: 0, createdAt: "t", toolVersion: "v").bundle
        XCTAssertLessThan(free.segments.map(\.share).min()!, 0.02)
        XCTAssertNotEqual(free.k, b.k)

        let narrow = try Segmentation.fit(m, asOf: 0, config: FeatureConfig(), k: nil, kRange: 4...5, createdAt: "t", toolVersion: "v").bundle
        XCTAssertEqual(narrow.kSearch.map(\.k), [4, 5])
    }

    func testAutoKFailsClearlyWhenNoKKeepsEverySegmentLargeEnough() {
        let m = fiveGroups()
        XCTAssertThrowsError(try Segmentation.fit(m, asOf: 0, config: FeatureConfig(), k: nil, kRange: 3...4, minShare: 0.4,
                                                  createdAt: "t", toolVersion: "v")) { error in
            guard case .noAdmissibleK(let range, let share, let shares)? = error as? ScoringError else { return XCTFail("\(error)") }
            XCTAssertEqual(range, 3...4); XCTAssertEqual(share, 0.4); XCTAssertEqual(Set(shares.keys), [3, 4])
            XCTAssertTrue("\(error)".hasPrefix("no k in 3...4 gives every segment at least 40% of the customers (smallest segment: k = 3: "), "\(error)")
        }
        XCTAssertThrowsError(try Segmentation.fit(m, asOf: 0, config: FeatureConfig(), k: nil, kRange: 1...4, createdAt: "t", toolVersion: "v")) {
            XCTAssertEqual($0 as? ScoringError, .invalidKRange(1...4, minShare: 0.02))
        }
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
        let r = try Segmentation.fit(m, asOf: 0, config: FeatureConfig(), k: 2, createdAt: "t", toolVersion: "v")
        XCTAssertEqual(r.bundle.k, 2)
        XCTAssertEqual(r.bundle.kSearch, [])
        XCTAssertEqual(r.bundle.segmentMethod, .kmeans)
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

    func testSegmentFilesWithoutMethodOrAdmissibilityStillLoad() throws {
        // A file written before the method field and the 2% rule: the sample model without them, re-signed.
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models/sample-segments.json").path
        var old = try SegmentBundle.load(path: sample)
        old.method = nil
        for i in old.kSearch.indices { old.kSearch[i].admissible = nil; old.kSearch[i].smallestShare = nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retain-oldseg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("old-segments.json").path
        try ModelEnvelope.write(old, to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertFalse(text.contains("\"method\""), "the file has no method key")
        XCTAssertFalse(text.contains("\"admissible\""), "the file has no admissible key")
        let b = try SegmentBundle.load(path: path)
        XCTAssertNil(b.method)
        XCTAssertEqual(b.segmentMethod, .kmeans)
        XCTAssertTrue(b.kSearch.allSatisfy { $0.admissible == nil })
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
