import Foundation
import XCTest
@testable import RetainCore
@testable import RetainNumerics
@testable import RetainScoring

final class CLVModelTests: XCTestCase {
    /// BG/NBD and Gamma-Gamma parameters of lifetimes' CDNOW example (weeks).
    static func model(_ purchase: CLVModel.Purchase = .betaGeometricNBD(.init(r: 0.242594, alpha: 4.413587, a: 0.792919, b: 2.425887))) -> CLVModel {
        CLVModel(purchase: purchase, gammaGamma: .init(p: 6.2500, q: 3.7443, gamma: 15.4468), timeUnit: .week,
                 calibrationEnd: "1997-09-30", customers: 2357, logLikelihood: -9582.43, createdAt: "2026-01-01T00:00:00Z", toolVersion: "0.1.0")
    }

    func testEveryPurchaseModelRoundTripsThroughTheModelFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let kinds: [CLVModel.Purchase] = [
            .betaGeometricNBD(.init(r: 0.242594, alpha: 4.413587, a: 0.792919, b: 2.425887)),
            .paretoNBD(.init(r: 0.553, alpha: 10.58, s: 0.606, beta: 11.67)),
            .modifiedBetaGeometricNBD(.init(r: 0.525, alpha: 6.18, a: 0.891, b: 1.614)),
        ]
        for purchase in kinds {
            let path = dir.appendingPathComponent("\(purchase.name).json").path
            let model = Self.model(purchase)
            try model.write(to: path)
            let back = try CLVModel.load(path: path)
            var expected = model
            expected.checksum = try model.contentChecksum()
            XCTAssertEqual(back, expected)
            XCTAssertEqual(back.purchase, purchase)
            XCTAssertEqual(back.timeUnit, .week)
            XCTAssertEqual(back.spendModel?.params.q, 3.7443)
            XCTAssertEqual(back.purchaseModel.expectedPurchases(t: 39), model.purchaseModel.expectedPurchases(t: 39))
        }
    }

    func testAnUnknownPurchaseModelIsADamagedFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.json").path
        try Self.model().write(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"bgnbd\"", with: "\"gnbd\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CLVModel.load(path: path)) { e in
            XCTAssertTrue("\(e)".contains("damaged model file") && "\(e)".contains("purchase model 'gnbd'"), "\(e)")
        }
    }
}
