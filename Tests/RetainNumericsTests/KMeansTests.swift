import Foundation
import XCTest
@testable import RetainCore
@testable import RetainNumerics

/// References: Fixtures/kmeans, written by Fixtures/make_kmeans_fixtures.py with scikit-learn's
/// `KMeans(algorithm="lloyd", init=centres, n_init=1)`.
final class KMeansTests: XCTestCase {
    private struct Reference: Decodable {
        let data: String
        let k: Int
        let tol: Double
        let max_iter: Int
        let n_iter: Int
        let inertia: Double
        let centres: [[Double]]
        let labels: [Int]
    }

    private struct FixtureError: Error { let message: String }

    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/kmeans")

    private func csv(_ name: String) throws -> Matrix {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
        let rows = try text.split(whereSeparator: \.isNewline).map { line in
            try line.split(separator: ",").map { field -> Double in
                guard let v = Double(field) else { throw FixtureError(message: "bad number \(field) in \(name)") }
                return v
            }
        }
        return try Matrix(rows)
    }

    private func reference(_ name: String) throws -> (ref: Reference, x: Matrix, initial: Matrix) {
        let json = try Data(contentsOf: Self.fixtures.appendingPathComponent("\(name).json"))
        let ref = try JSONDecoder().decode(Reference.self, from: json)
        return (ref, try csv("\(ref.data).x.csv"), try csv("\(ref.data).init.csv"))
    }

    /// A Gaussian mixture with `clusters` overlapping components (Box–Muller on SeededGenerator).
    private func mixture(rows: Int, columns: Int, clusters: Int, spread: Double = 3, seed: UInt64) -> Matrix {
        var g = SeededGenerator(seed: seed)
        let means = (0..<(clusters * columns)).map { _ in g.nextUnit() * spread * 2 - spread + 10 }
        var m = Matrix(rows: rows, columns: columns)
        for i in 0..<rows {
            let c = Int(g.next() % UInt64(clusters))
            for j in 0..<columns {
                let z = (-2 * log(1 - g.nextUnit())).squareRoot() * cos(2 * Double.pi * g.nextUnit())
                m[i, j] = means[c * columns + j] + z
            }
        }
        return m
    }

    private func assertClose(_ a: Double, _ b: Double, _ rel: Double = 1e-9, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(a - b), rel * max(abs(b), 1e-300), "\(what): \(a) vs \(b)", file: file, line: line)
    }

    private func errorText(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch { return "\(error)" }
    }

    // MARK: Agreement with scikit-learn

    func testFitMatchesScikitLearnLloydFromSameInitialCentres() throws {
        for name in ["blobs", "overlap_exact", "overlap_tol", "overlap_maxiter", "empty"] {
            let (ref, x, initial) = try reference(name)
            for algorithm in KMeans.Algorithm.allCases {
                let settings = KMeans(clusterCount: ref.k, maxIterations: ref.max_iter, tolerance: ref.tol,
                                      algorithm: algorithm)
                let model = try settings.fit(x, initialCentres: initial)
                let what = "\(name) \(algorithm)"
                XCTAssertEqual(model.labels, ref.labels, what)
                XCTAssertEqual(model.iterations, ref.n_iter, what)
                assertClose(model.inertia, ref.inertia, 1e-9, "\(what) inertia")
                let scale = ref.centres.joined().map(abs).max()!
                for (j, centre) in ref.centres.enumerated() {
                    for (t, v) in centre.enumerated() {
                        XCTAssertLessThanOrEqual(abs(model.centroids[j, t] - v), 1e-9 * max(abs(v), scale * 1e-3),
                                                 "\(what) centre \(j), column \(t)")
                    }
                }
            }
        }
    }

    func testFitStopsAtMaxIterationsWithoutConvergingAndRelabels() throws {
        let (ref, x, initial) = try reference("overlap_maxiter")
        let model = try KMeans(clusterCount: ref.k, maxIterations: 3).fit(x, initialCentres: initial)
        XCTAssertEqual(model.iterations, 3)
        XCTAssertFalse(model.converged)
        // Labels belong to the returned centres (the final E-step).
        XCTAssertEqual(try model.assign(x), model.labels)
    }

    func testFitConvergesStrictlyWhenToleranceIsZero() throws {
        let (ref, x, initial) = try reference("overlap_exact")
        let model = try KMeans(clusterCount: ref.k).fit(x, initialCentres: initial)
        XCTAssertTrue(model.converged)
        XCTAssertEqual(try model.assign(x), model.labels)
        // Strict convergence: the centres are the means of their rows.
        for j in 0..<ref.k {
            let rows = model.labels.indices.filter { model.labels[$0] == j }
            for t in 0..<x.columns {
                let mean = rows.map { x[$0, t] }.reduce(0, +) / Double(rows.count)
                XCTAssertEqual(model.centroids[j, t], mean, accuracy: 1e-12 * max(1, abs(mean)))
            }
        }
    }

    func testEmptyClusterIsReseeded() throws {
        let (ref, x, initial) = try reference("empty")
        for algorithm in KMeans.Algorithm.allCases {
            let model = try KMeans(clusterCount: 4, algorithm: algorithm).fit(x, initialCentres: initial)
            // The centre at (1000, 1000, 1000) attracts no row; it moves onto the outlier at row 38.
            XCTAssertEqual(model.sizes.sorted(), [1, 99, 100, 100])
            XCTAssertEqual(model.labels[37], ref.labels[37])
            XCTAssertEqual(model.centroids.row(model.labels[37]), [30, 30, 30])
            XCTAssertEqual(model.labels, ref.labels)
        }
    }

    // MARK: Hamerly, threads, restarts, seeding

    func testHamerlyEqualsLloyd() throws {
        let x = mixture(rows: 4000, columns: 5, clusters: 7, spread: 1.5, seed: 11)
        for tolerance in [0, 1e-4] {
            for seed in [UInt64(1), 2] {
                let lloyd = try KMeans(clusterCount: 7, tolerance: tolerance, algorithm: .lloyd).fit(x, seed: seed)
                let hamerly = try KMeans(clusterCount: 7, tolerance: tolerance, algorithm: .hamerly).fit(x, seed: seed)
                XCTAssertEqual(lloyd, hamerly, "tolerance \(tolerance), seed \(seed)")
                XCTAssertGreaterThan(lloyd.iterations, 5)
            }
        }
    }

    func testHamerlyEqualsLloydOnTiesAndDuplicateRows() throws {
        // Rows exactly halfway between two centres, and duplicated rows: labels go to the lower index.
        let x = try Matrix([[0, 0], [2, 0], [1, 0], [1, 0], [0, 2], [2, 2], [1, 2], [1, 2], [1, 1]])
        let initial = try Matrix([[0, 1], [2, 1]])
        let lloyd = try KMeans(clusterCount: 2, algorithm: .lloyd).fit(x, initialCentres: initial)
        let hamerly = try KMeans(clusterCount: 2, algorithm: .hamerly).fit(x, initialCentres: initial)
        XCTAssertEqual(lloyd, hamerly)
        XCTAssertEqual(lloyd.labels, [0, 1, 0, 0, 0, 1, 0, 0, 0])
    }

    func testHamerlyEqualsLloydFarFromOrigin() throws {
        // ‖x‖² − 2x·c + ‖c‖² cancels badly here; labels must still be the exact nearest centres.
        var x = mixture(rows: 3000, columns: 4, clusters: 5, spread: 1, seed: 12)
        for i in 0..<x.values.count { x.values[i] += 1e6 }
        let lloyd = try KMeans(clusterCount: 5, algorithm: .lloyd).fit(x, seed: 4)
        let hamerly = try KMeans(clusterCount: 5, algorithm: .hamerly).fit(x, seed: 4)
        XCTAssertEqual(lloyd, hamerly)
        XCTAssertEqual(try lloyd.assign(x), lloyd.labels)
        for i in stride(from: 0, to: x.rows, by: 7) {
            let xi = x.row(i)
            let distances = (0..<5).map { j in zip(xi, lloyd.centroids.row(j)).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
            XCTAssertEqual(lloyd.labels[i], distances.firstIndex(of: distances.min()!)!, "row \(i)")
        }
    }

    func testOneClusterIsTheMean() throws {
        let x = mixture(rows: 500, columns: 3, clusters: 2, seed: 2)
        let model = try KMeans(clusterCount: 1).fit(x, seed: 0)
        XCTAssertEqual(model.iterations, 2)  // labels change once (from none), then strict convergence
        XCTAssertTrue(model.converged)
        for t in 0..<3 {
            let column = x.column(t), mean = column.reduce(0, +) / 500
            XCTAssertEqual(model.centroids[0, t], mean, accuracy: 1e-12 * abs(mean))
        }
        XCTAssertEqual(model.sizes, [500])
    }

    func testAsManyClustersAsRowsGivesZeroInertia() throws {
        let x = try Matrix([[0, 0], [1, 0], [0, 1], [5, 5]])
        for algorithm in KMeans.Algorithm.allCases {
            let model = try KMeans(clusterCount: 4, algorithm: algorithm).fit(x, seed: 3)
            XCTAssertEqual(model.inertia, 0)
            XCTAssertEqual(model.sizes, [1, 1, 1, 1])
        }
    }

    func testResultsIdenticalWithOneAndTwoThreads() throws {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let x = mixture(rows: 5000, columns: 4, clusters: 6, seed: 5)  // 5 row chunks
        for algorithm in KMeans.Algorithm.allCases {
            let settings = KMeans(clusterCount: 6, tolerance: 1e-6, restarts: 2, algorithm: algorithm)
            Parallel.threadCount = 1
            let one = try settings.fit(x, seed: 3)
            Parallel.threadCount = 2
            let two = try settings.fit(x, seed: 3)
            XCTAssertEqual(one, two, "\(algorithm)")
            XCTAssertEqual(one.inertia.bitPattern, two.inertia.bitPattern)
        }
    }

    func testRestartsKeepLowestInertia() throws {
        let x = mixture(rows: 1500, columns: 3, clusters: 8, spread: 4, seed: 9)
        let settings = KMeans(clusterCount: 8, restarts: 6)
        let best = try settings.fit(x, seed: 21)
        let runs = try KMeans.restartSeeds(21, count: 6).map { try settings.fit(x, runSeeds: [$0]) }
        XCTAssertGreaterThan(Set(runs.map(\.inertia)).count, 1, "the restarts should find different optima")
        let lowest = runs.min { $0.inertia < $1.inertia }!
        XCTAssertEqual(best, lowest)
        // One restart is the first run of several.
        XCTAssertEqual(try KMeans(clusterCount: 8).fit(x, seed: 21), runs[0])
    }

    func testKMeansPlusPlusIsReproducibleForSeed() throws {
        let x = mixture(rows: 3000, columns: 4, clusters: 5, seed: 4)
        func seeding(_ seed: UInt64) -> [Double] {
            x.withView { view in
                var rng = SeededGenerator(seed: seed)
                return KMeansData(view, clusterCount: 5).kMeansPlusPlus(using: &rng)
            }
        }
        let a = seeding(8), b = seeding(8), c = seeding(9)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        // Every seed centre is a distinct data row.
        let rows = Set(x.rowArrays)
        let centres = (0..<5).map { Array(a[($0 * 4)..<($0 * 4 + 4)]) }
        XCTAssertTrue(centres.allSatisfy(rows.contains))
        XCTAssertEqual(Set(centres).count, 5)
        XCTAssertEqual(try KMeans(clusterCount: 5).fit(x, seed: 8), try KMeans(clusterCount: 5).fit(x, seed: 8))
    }

    func testFitSeparatesWellSpacedClusters() throws {
        var rows: [[Double]] = []
        for i in 0..<60 { rows.append([Double(i % 3) * 0.1, 100 + Double(i % 5) * 0.1]) }
        for i in 0..<40 { rows.append([50 + Double(i % 4) * 0.1, Double(i % 2) * 0.1]) }
        let model = try KMeans(clusterCount: 2, restarts: 3).fit(try Matrix(rows), seed: 1)
        XCTAssertEqual(model.sizes.sorted(), [40, 60])
        XCTAssertEqual(Set(model.labels[0..<60]).count, 1)
        XCTAssertEqual(Set(model.labels[60...]).count, 1)
        XCTAssertTrue(model.converged)
    }

    // MARK: Assigning new rows, round trip

    func testAssignNewRows() throws {
        let (ref, x, initial) = try reference("blobs")
        let model = try KMeans(clusterCount: ref.k).fit(x, initialCentres: initial)
        XCTAssertEqual(try model.assign(x), model.labels)
        let nearCentres = try Matrix((0..<ref.k).reversed().map { j in model.centroids.row(j).map { $0 + 0.01 } })
        XCTAssertEqual(try model.assign(nearCentres), Array((0..<ref.k).reversed()))
        XCTAssertEqual(errorText { try model.assign(Matrix(rows: 2, columns: 3)) },
                       "dimension mismatch: k-means model has 5 centres of 4 columns, the rows to assign have 3 columns")
        XCTAssertEqual(try model.assign(Matrix(rows: 0, columns: 4)), [])
    }

    func testModelRoundTripsThroughJSON() throws {
        let (ref, x, initial) = try reference("empty")
        let model = try KMeans(clusterCount: ref.k).fit(x, initialCentres: initial)
        let decoded = try JSONDecoder().decode(KMeansModel.self, from: JSONEncoder().encode(model))
        XCTAssertEqual(decoded, model)
    }

    // MARK: Errors

    func testFitThrowsWhenRowsBelowClusters() throws {
        let x = try Matrix([[1, 2], [3, 4], [5, 6]])
        XCTAssertEqual(errorText { try KMeans(clusterCount: 4).fit(x) },
                       "k-means with 4 clusters needs at least 4 rows, got 3.")
        XCTAssertThrowsError(try KMeans(clusterCount: 4).fit(x)) { error in
            XCTAssertEqual(error as? NumericsError, .tooFewRows(rows: 3, needed: 4, context: "k-means with 4 clusters"))
        }
    }

    func testFitThrowsWhenClusterCountBelowOne() throws {
        let x = try Matrix([[1, 2], [3, 4]])
        XCTAssertEqual(errorText { try KMeans(clusterCount: 0).fit(x) },
                       "invalid clusterCount = 0: k-means needs at least 1 cluster.")
        XCTAssertEqual(errorText { try KMeans(clusterCount: 1, restarts: 0).fit(x) },
                       "invalid restarts = 0: k-means needs at least 1 run.")
        XCTAssertEqual(errorText { try KMeans(clusterCount: 1, tolerance: -1).fit(x) },
                       "invalid tolerance = -1.0: use a finite value >= 0 (0 waits for no label to change).")
    }

    func testFitThrowsOnNonFiniteInputNamingRowAndColumn() throws {
        var x = Matrix(rows: 5, columns: 3, repeating: 1)
        x[3, 2] = .nan
        XCTAssertEqual(errorText { try KMeans(clusterCount: 2).fit(x) },
                       "k-means input: row 4, column 3 is NaN or infinite. Clean or impute the input first.")
        x[3, 2] = 0
        x[1, 0] = -.infinity
        XCTAssertEqual(errorText { try KMeans(clusterCount: 2).fit(x, initialCentres: Matrix(rows: 2, columns: 3)) },
                       "k-means input: row 2, column 1 is NaN or infinite. Clean or impute the input first.")
    }

    func testFitThrowsOnInitialCentresOfWrongShape() throws {
        let x = Matrix(rows: 10, columns: 3, repeating: 1)
        XCTAssertEqual(errorText { try KMeans(clusterCount: 2).fit(x, initialCentres: Matrix(rows: 3, columns: 3)) },
                       "dimension mismatch: initial centres are 3 x 3, expected 2 x 3 (one row per cluster, one column per feature)")
        XCTAssertEqual(errorText { try KMeans(clusterCount: 2).fit(x, initialCentres: Matrix(rows: 2, columns: 4)) },
                       "dimension mismatch: initial centres are 2 x 4, expected 2 x 3 (one row per cluster, one column per feature)")
        var centres = Matrix(rows: 2, columns: 3)
        centres[1, 1] = .nan
        XCTAssertEqual(errorText { try KMeans(clusterCount: 2).fit(x, initialCentres: centres) },
                       "k-means initial centres: row 2, column 2 is NaN or infinite. Clean or impute the input first.")
    }
}
