import XCTest
@testable import RetainCore
@testable import RetainNumerics

final class ScalingTests: XCTestCase {
    func testStandardisationUsesPopulationStandardDeviationLikeStandardScaler() throws {
        // sklearn StandardScaler().fit([[1,10],[2,10],[3,10],[6,10]]): mean_ [3, 10], scale_ [1.8708286933869707, 1].
        let x = try Matrix([[1, 10], [2, 10], [3, 10], [6, 10]])
        let s = try Scaler().fit(x)
        XCTAssertEqual(s.columns[0].mean, 3, accuracy: 1e-15)
        XCTAssertEqual(s.columns[0].scale, 1.8708286933869707, accuracy: 1e-15)
        XCTAssertEqual(s.columns[1].scale, 1, "a constant column keeps scale 1")
        let t = try s.transform(x)
        XCTAssertEqual(t[0, 0], (1 - 3) / 1.8708286933869707, accuracy: 1e-15)
        XCTAssertEqual(t[0, 1], 0)
    }

    func testLog1pAppliesBeforeStandardisingAndInvertsExactly() throws {
        let x = try Matrix([[0], [1], [9], [99]])
        let s = try Scaler(log1pColumns: [0]).fit(x)
        let logs = [0, 1, 9, 99].map { log1p(Double($0)) }
        let mean = logs.reduce(0, +) / 4
        XCTAssertEqual(s.columns[0].mean, mean, accuracy: 1e-15)
        let back = try s.inverseTransform(try s.transform(x))
        for i in 0..<4 { XCTAssertEqual(back[i, 0], x[i, 0], accuracy: 1e-12) }
    }

    func testParametersFittedOnTrainingApplyUnchangedToNewData() throws {
        let s = try Scaler().fit(try Matrix([[0], [2]]))
        let t = try s.transform(try Matrix([[4]]))
        XCTAssertEqual(t[0, 0], 3, "(4 - 1) / 1")
    }

    func testLog1pRejectsValuesAtOrBelowMinusOne() {
        XCTAssertThrowsError(try Scaler(log1pColumns: [0]).fit(try Matrix([[0], [-1]]))) { error in
            XCTAssertTrue("\(error)".contains("log1p needs values > -1"), "\(error)")
        }
    }

    func testTransformRejectsWrongColumnCount() throws {
        let s = try Scaler().fit(try Matrix([[0, 1], [2, 3]]))
        XCTAssertThrowsError(try s.transform(try Matrix([[1]])))
    }
}
