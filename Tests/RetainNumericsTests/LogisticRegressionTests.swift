import XCTest
@testable import RetainCore
@testable import RetainNumerics

final class LogisticRegressionTests: XCTestCase {
    /// Loads a fixture case: X, y, weights, and scikit-learn's coefficients and intercept.
    private func loadCase(_ name: String) throws -> (x: Matrix, y: [Double], w: [Double], ref: [String: Any]) {
        let (header, rows) = try Fixture.csv("logistic/\(name).csv")
        let p = header.count - 2
        let x = try Matrix(rows.map { Array($0[0..<p]) })
        return (x, rows.map { $0[p] }, rows.map { $0[p + 1] }, try Fixture.json("logistic/\(name).json"))
    }

    /// Fits with the fixture's settings and checks coefficients within 1e-6 of scikit-learn's
    /// `LogisticRegression(solver="newton-cholesky", tol=1e-10)`.
    private func assertMatchesScikitLearn(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (x, y, w, ref) = try loadCase(name)
        let c = ref["C"] as? Double
        let balanced = (ref["class_weight"] as? String) == "balanced"
        let useWeights = ref["use_weights"] as? Bool ?? false
        let model = try LogisticRegression(c: c, classWeight: balanced ? .balanced : .none)
            .fit(x, y, sampleWeights: useWeights ? w : nil)
        XCTAssertTrue(model.converged, "\(name) did not converge", file: file, line: line)
        let refCoef = ref["coefficients"] as! [Double]
        let refIntercept = ref["intercept"] as! Double
        for (a, b) in zip(model.coefficients, refCoef) {
            XCTAssertEqual(a, b, accuracy: 1e-6, "\(name) coefficient", file: file, line: line)
        }
        XCTAssertEqual(model.intercept, refIntercept, accuracy: 1e-6, "\(name) intercept", file: file, line: line)
    }

    func testPenalisedFitMatchesScikitLearn() throws { try assertMatchesScikitLearn("plain_c1") }
    func testStrongPenaltyMatchesScikitLearn() throws { try assertMatchesScikitLearn("plain_c0_01") }
    func testUnpenalisedFitMatchesScikitLearn() throws { try assertMatchesScikitLearn("unpenalised") }
    func testSampleWeightedFitMatchesScikitLearn() throws { try assertMatchesScikitLearn("weighted") }
    func testBalancedClassWeightsMatchScikitLearn() throws { try assertMatchesScikitLearn("balanced") }
    func testBalancedAndSampleWeightsTogetherMatchScikitLearn() throws { try assertMatchesScikitLearn("balanced_weighted") }
    func testPenalisedFitConvergesOnPerfectlySeparableData() throws { try assertMatchesScikitLearn("separable_c1") }
    func testDuplicatedAndConstantColumnsDoNotCrashAndMatchScikitLearn() throws { try assertMatchesScikitLearn("collinear_c1") }

    func testUnpenalisedFitOnSeparableDataThrowsClearError() throws {
        let (x, y, _, _) = try loadCase("separable_c1")
        XCTAssertThrowsError(try LogisticRegression(c: nil).fit(x, y)) { error in
            XCTAssertTrue("\(error)".contains("perfectly separable"), "\(error)")
            XCTAssertEqual(error as? NumericsError, .separable(quasi: false))
            XCTAssertFalse("\(error)".contains("--"), "library messages name no CLI flag: \(error)")
        }
    }

    func testUnpenalisedDuplicatedColumnGivesFiniteFitAndNaNStandardErrors() throws {
        let (x0, y, _, _) = try loadCase("plain_c1")
        // Duplicate column 0: the unpenalised Hessian is singular; the pseudo-inverse step must still converge.
        let rows = (0..<x0.rows).map { i in x0.row(i) + [x0[i, 0]] }
        let model = try LogisticRegression(c: nil).fit(try Matrix(rows), y)
        XCTAssertTrue(model.converged)
        XCTAssertTrue(model.coefficients.allSatisfy(\.isFinite))
        XCTAssertEqual(model.coefficients[0], model.coefficients[x0.columns], accuracy: 1e-6, "min-norm split between twins")
        XCTAssertTrue(model.standardErrors[0].isNaN)
        XCTAssertFalse(model.standardErrors[1].isNaN)
    }

    func testStandardErrorsMatchInverseHessianOfUnpenalisedFit() throws {
        // Classic Wald standard errors: sqrt(diag((XᵀWX)⁻¹)) at the MLE, computed here directly.
        let (x, y, _, _) = try loadCase("unpenalised")
        let m = try LogisticRegression(c: nil).fit(x, y)
        let p = x.columns, q = p + 1
        var h = [Double](repeating: 0, count: q * q)
        let probs = try m.probabilities(x)
        for i in 0..<x.rows {
            let wi = probs[i] * (1 - probs[i])
            let row = x.row(i) + [1]
            for a in 0..<q { for b in 0..<q { h[a * q + b] += wi * row[a] * row[b] } }
        }
        // Invert by Gauss-Jordan (independent of LAPACK).
        var aug = [[Double]](repeating: [Double](repeating: 0, count: 2 * q), count: q)
        for a in 0..<q { for b in 0..<q { aug[a][b] = h[a * q + b] }; aug[a][q + a] = 1 }
        for col in 0..<q {
            let piv = (col..<q).max { abs(aug[$0][col]) < abs(aug[$1][col]) }!
            aug.swapAt(col, piv)
            let d = aug[col][col]
            for k in 0..<(2 * q) { aug[col][k] /= d }
            for r in 0..<q where r != col {
                let f = aug[r][col]
                for k in 0..<(2 * q) { aug[r][k] -= f * aug[col][k] }
            }
        }
        for j in 0..<p {
            XCTAssertEqual(m.standardErrors[j], aug[j][q + j].squareRoot(), accuracy: 1e-8)
        }
        XCTAssertEqual(m.interceptStandardError, aug[p][q + p].squareRoot(), accuracy: 1e-8)
    }

    func testResultsIdenticalWithOneAndTwoThreads() throws {
        // Enough rows for several chunks.
        var rng = SeededGenerator(seed: 7)
        let n = 20_000, p = 8
        var v = [Double](), y = [Double]()
        for _ in 0..<n {
            var eta = -0.5
            for j in 0..<p { let xv = rng.nextUnit() * 4 - 2; v.append(xv); eta += Double(j % 3 - 1) * 0.7 * xv }
            y.append(rng.nextUnit() < 1 / (1 + exp(-eta)) ? 1 : 0)
        }
        let x = try Matrix(rows: n, columns: p, values: v)
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 1
        let one = try LogisticRegression(c: 1).fit(x, y)
        Parallel.threadCount = 2
        let two = try LogisticRegression(c: 1).fit(x, y)
        XCTAssertEqual(one, two, "bit-identical results expected")
    }

    func testWarmStartFromOptimumConvergesImmediately() throws {
        let (x, y, _, _) = try loadCase("plain_c1")
        let first = try LogisticRegression(c: 1).fit(x, y)
        let again = try LogisticRegression(c: 1).fit(x, y, start: (first.coefficients, first.intercept))
        XCTAssertLessThanOrEqual(again.iterations, 1)
        for (a, b) in zip(first.coefficients, again.coefficients) { XCTAssertEqual(a, b, accuracy: 1e-10) }
    }

    func testInvalidLabelsAreRejectedWithRowNumber() throws {
        let x = try Matrix([[1], [2], [3]])
        XCTAssertThrowsError(try LogisticRegression().fit(x, [0, 2, 1])) { error in
            XCTAssertEqual("\(error)", "invalid labels: row 2 has label 2.0; labels must be 0 or 1")
        }
        XCTAssertThrowsError(try LogisticRegression().fit(x, [1, 1, 1])) { error in
            XCTAssertTrue("\(error)".contains("needs both classes"), "\(error)")
        }
    }

    func testNonFiniteInputIsRejected() throws {
        let x = try Matrix([[1, 2], [3, .nan]])
        XCTAssertThrowsError(try LogisticRegression().fit(x, [0, 1])) { error in
            XCTAssertTrue("\(error)".contains("row 2, column 2 is NaN or infinite"), "\(error)")
        }
    }

    func testNonPositiveCIsRejected() throws {
        let x = try Matrix([[1], [2]])
        XCTAssertThrowsError(try LogisticRegression(c: 0).fit(x, [0, 1])) { error in
            XCTAssertTrue("\(error)".contains("invalid C = 0.0"), "\(error)")
        }
    }
}
