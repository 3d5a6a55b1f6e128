import XCTest
@testable import RetainCore
@testable import RetainNumerics

final class MatrixTests: XCTestCase {
    private func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var g = SeededGenerator(seed: seed)
        return try! Matrix(rows: rows, columns: cols, values: (0..<(rows * cols)).map { _ in g.nextUnit() * 2 - 1 })
    }

    private func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows { for j in 0..<b.columns {
            var s = 0.0
            for k in 0..<a.columns { s += a[i, k] * b[k, j] }
            c[i, j] = s
        } }
        return c
    }

    func testProductMatchesNaiveTripleLoopForAllTransposes() throws {
        let a = random(7, 5, seed: 1), b = random(5, 4, seed: 2)
        let ref = naiveProduct(a, b)
        let cases = [
            try Matrix.product(a, b),
            try Matrix.product(a.transposed, transposeA: true, b),
            try Matrix.product(a, b.transposed, transposeB: true),
            try Matrix.product(a.transposed, transposeA: true, b.transposed, transposeB: true),
        ]
        for c in cases {
            XCTAssertEqual(c.rows, 7); XCTAssertEqual(c.columns, 4)
            for (x, y) in zip(c.values, ref.values) { XCTAssertEqual(x, y, accuracy: 1e-13) }
        }
    }

    func testProductRejectsMismatchedInnerDimensions() {
        XCTAssertThrowsError(try Matrix.product(random(2, 3, seed: 1), random(2, 3, seed: 2))) { error in
            XCTAssertEqual("\(error)", "dimension mismatch: (2 x 3) times (2 x 3)")
        }
    }

    func testGramEqualsTransposeTimesMatrixWithBothTrianglesFilled() throws {
        let a = random(50, 6, seed: 3)
        let g = a.gram()
        let ref = naiveProduct(a.transposed, a)
        for (x, y) in zip(g.values, ref.values) { XCTAssertEqual(x, y, accuracy: 1e-12) }
    }

    func testMatrixVectorProduct() throws {
        let a = try Matrix([[1, 2], [3, 4], [5, 6]])
        XCTAssertEqual(try a.times([1, -1]), [-1, -1, -1])
        XCTAssertThrowsError(try a.times([1]))
    }

    func testRowViewReadsWithoutCopying() throws {
        let a = try Matrix([[1, 2], [3, 4], [5, 6]])
        let seen = a.withRows(1..<3) { v -> [Double] in [v[0, 0], v[0, 1], v[1, 0], v[1, 1]] }
        XCTAssertEqual(seen, [3, 4, 5, 6])
        // The view points into the matrix's own storage.
        let same = a.values.withUnsafeBufferPointer { buf in a.withRows(1..<3) { $0.base == buf.baseAddress! + 2 } }
        XCTAssertTrue(same)
    }

    func testRaggedRowsAndWrongValueCountAreRejected() {
        XCTAssertThrowsError(try Matrix([[1, 2], [3]])) { XCTAssertEqual("\($0)", "dimension mismatch: row 2 has 1 values, expected 2") }
        XCTAssertThrowsError(try Matrix(rows: 2, columns: 2, values: [1, 2, 3]))
    }

    func testFirstNonFiniteFindsRowAndColumn() throws {
        let a = try Matrix([[1, 2], [3, .infinity]])
        XCTAssertEqual(a.firstNonFinite()?.row, 1)
        XCTAssertEqual(a.firstNonFinite()?.column, 1)
    }

    func testSeededGeneratorIsReproducible() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
        var u = SeededGenerator(seed: 1)
        for _ in 0..<1000 { let v = u.nextUnit(); XCTAssertTrue(v >= 0 && v < 1) }
    }
}
