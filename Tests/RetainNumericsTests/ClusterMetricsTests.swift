import Foundation
import XCTest
@testable import RetainCore
@testable import RetainNumerics

/// References: Fixtures/metrics/clusters.{csv,json}, written by Fixtures/make_metrics_fixtures.py
/// with scikit-learn 1.9.1 (900 rows × 5 features, labels 7, -2, 3, 11 and a singleton 42).
final class ClusterMetricsTests: XCTestCase {
    static let tolerance = 1e-12

    /// clusters.json, decoded with `JSONDecoder` (exact for repr-written doubles).
    private struct Reference: Decodable {
        var silhouette, silhouette_without_singleton: Double
        var calinski_harabasz, calinski_harabasz_without_singleton: Double
        var silhouette_samples: [Double]
    }

    private struct Clusters {
        var features: Matrix
        var labels: [Int]
        var reference: Reference

        /// The rows whose label is not `label`.
        func dropping(label: Int) -> (Matrix, [Int]) {
            let keep = labels.indices.filter { labels[$0] != label }
            let m = try! Matrix(keep.map { features.row($0) })
            return (m, keep.map { labels[$0] })
        }
    }

    private static let clusters: Clusters = {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/metrics")
        let csv = try! String(contentsOf: dir.appendingPathComponent("clusters.csv"), encoding: .utf8)
        var rows = [[Double]]()
        var labels = [Int]()
        for line in csv.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            labels.append(Int(f[0])!)
            rows.append(f.dropFirst().map { Double($0)! })
        }
        let json = try! Data(contentsOf: dir.appendingPathComponent("clusters.json"))
        let reference = try! JSONDecoder().decode(Reference.self, from: json)
        return Clusters(features: try! Matrix(rows), labels: labels, reference: reference)
    }()

    private func assertClose(_ actual: Double, _ expected: Double, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(actual - expected), Self.tolerance * max(1, abs(expected)),
                                 "\(what): \(actual) vs scikit-learn \(expected)", file: file, line: line)
    }

    private func assertThrows(_ expression: @autoclosure () throws -> some Any, _ message: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertEqual((error as? NumericsError)?.description, message, file: file, line: line)
        }
    }

    func testSilhouetteMatchesScikitLearn() throws {
        let c = Self.clusters
        assertClose(try ClusterMetrics.silhouetteScore(c.features, labels: c.labels), c.reference.silhouette, "silhouette")
        let (x, y) = c.dropping(label: 42)
        assertClose(try ClusterMetrics.silhouetteScore(x, labels: y), c.reference.silhouette_without_singleton,
                    "silhouette without the singleton")
    }

    func testSilhouetteSamplesMatchScikitLearnRowByRow() throws {
        let c = Self.clusters
        let expected = c.reference.silhouette_samples
        let got = try ClusterMetrics.silhouetteSamples(c.features, labels: c.labels)
        XCTAssertEqual(got.count, expected.count)
        var worst = 0.0
        for (g, e) in zip(got, expected) { worst = max(worst, abs(g - e)) }
        XCTAssertLessThanOrEqual(worst, Self.tolerance)
        // The singleton cluster's row scores exactly 0, as in scikit-learn.
        let singleton = c.labels.firstIndex(of: 42)!
        XCTAssertEqual(got[singleton], 0)
    }

    func testSilhouetteDoesNotDependOnBlockingOrThreads() throws {
        let c = Self.clusters
        let reference = try ClusterMetrics.silhouetteSamples(c.features, labels: c.labels)
        // Tiny blocks cross every tile edge, including a row's own distance at a tile boundary.
        let tiled = try ClusterMetrics.silhouetteSamplesValidated(c.features, labels: c.labels, rowBlock: 7, columnTile: 50)
        for (a, b) in zip(reference, tiled) { XCTAssertEqual(a, b, accuracy: 1e-14) }
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 1
        let single = try ClusterMetrics.silhouetteSamples(c.features, labels: c.labels)
        Parallel.threadCount = 2
        let double = try ClusterMetrics.silhouetteSamples(c.features, labels: c.labels)
        XCTAssertEqual(single, double, "results must be bit-identical on 1 and 2 threads")
    }

    func testSilhouetteAboveSampleLimitIsSeededAndNearTheExactScore() throws {
        let c = Self.clusters
        let exact = c.reference.silhouette
        let a = try ClusterMetrics.silhouetteScore(c.features, labels: c.labels, sampleLimit: 400, seed: 7)
        let again = try ClusterMetrics.silhouetteScore(c.features, labels: c.labels, sampleLimit: 400, seed: 7)
        let other = try ClusterMetrics.silhouetteScore(c.features, labels: c.labels, sampleLimit: 400, seed: 8)
        XCTAssertEqual(a, again, "same seed, same sample")
        XCTAssertNotEqual(a, other, "another seed draws another sample")
        XCTAssertEqual(a, exact, accuracy: 0.03)
        XCTAssertEqual(other, exact, accuracy: 0.03)
        // At or above n the limit changes nothing.
        XCTAssertEqual(try ClusterMetrics.silhouetteScore(c.features, labels: c.labels, sampleLimit: 900, seed: 7),
                       try ClusterMetrics.silhouetteScore(c.features, labels: c.labels))
    }

    func testSampleDrawIsUniformAndWithoutReplacement() {
        var rng = SeededGenerator(seed: 1)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<50_000 { counts[ClusterMetrics.uniformIndex(below: 5, using: &rng)] += 1 }
        for k in counts { XCTAssertEqual(Double(k), 10_000, accuracy: 400) }
    }

    func testSilhouetteThrowsWhenLabelCountIsOutsideTwoToNMinusOne() {
        let x = try! Matrix([[0.0], [1.0], [2.0]])
        assertThrows(try ClusterMetrics.silhouetteScore(x, labels: [5, 5, 5]),
                     "invalid labels: number of labels is 1. Valid values are 2 to n_samples - 1 (inclusive), "
                        + "here n_samples = 3. Use at least two segments, and fewer segments than rows.")
        assertThrows(try ClusterMetrics.calinskiHarabaszScore(x, labels: [0, 1, 2]),
                     "invalid labels: number of labels is 3. Valid values are 2 to n_samples - 1 (inclusive), "
                        + "here n_samples = 3. Use at least two segments, and fewer segments than rows.")
    }

    func testClusterMetricsRejectMalformedInput() {
        let x = try! Matrix([[0.0, 1.0], [1.0, .infinity], [2.0, 0.0]])
        assertThrows(try ClusterMetrics.silhouetteSamples(x, labels: [0, 1]),
                     "dimension mismatch: silhouette got 3 feature rows but 2 labels; pass one label per row.")
        assertThrows(try ClusterMetrics.calinskiHarabaszScore(x, labels: [0, 1, 1]),
                     "Calinski-Harabasz features: row 2, column 2 is NaN or infinite. Clean or impute the input first.")
    }

    func testSilhouetteOfTwoTightDistantPairs() throws {
        // Rows 0, 1 at 0 and 1; rows 2, 3 at 10 and 11. For row 0: a = 1, b = (10 + 11)/2 = 10.5.
        let x = try Matrix([[0.0], [1.0], [10.0], [11.0]])
        let s = try ClusterMetrics.silhouetteSamples(x, labels: [0, 0, 1, 1])
        XCTAssertEqual(s[0], (10.5 - 1) / 10.5, accuracy: 1e-15)
        XCTAssertEqual(s[1], (9.5 - 1) / 9.5, accuracy: 1e-15)
        XCTAssertEqual(s[2], (9.5 - 1) / 9.5, accuracy: 1e-15)
    }

    func testCalinskiHarabaszMatchesScikitLearn() throws {
        let c = Self.clusters
        assertClose(try ClusterMetrics.calinskiHarabaszScore(c.features, labels: c.labels),
                    c.reference.calinski_harabasz, "Calinski-Harabasz")
        let (x, y) = c.dropping(label: 42)
        assertClose(try ClusterMetrics.calinskiHarabaszScore(x, labels: y),
                    c.reference.calinski_harabasz_without_singleton, "Calinski-Harabasz without the singleton")
    }

    func testCalinskiHarabaszIsOneWhenClustersArePoints() throws {
        let x = try Matrix([[0.0], [0.0], [5.0], [5.0]])
        XCTAssertEqual(try ClusterMetrics.calinskiHarabaszScore(x, labels: [1, 1, 2, 2]), 1)
    }
}
