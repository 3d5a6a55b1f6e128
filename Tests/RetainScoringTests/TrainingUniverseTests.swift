import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring

/// The training side of the at-risk universe: which rows train and evaluate, label windows that
/// close before the holdout, the rolling-origin backtest, and risk tiers fixed at training.
final class TrainingUniverseTests: XCTestCase {
    static let asOf = TrainingPipelineTests.asOf
    static let day = 86_400.0

    /// `TrainingPipelineTests.matrix` plus `outside` customers per date whose lifecycle is lapsed
    /// or churned, with values chosen to pull any fit they entered: recency 0 and always churned
    /// (the opposite of the signal), a huge spend. Universe customers get new/active/reactivated.
    static func matrix(_ s: TrainingSettings, customers: Int = 300, outside: Int = 120, seed: UInt64 = 7) -> FeatureMatrix {
        let base = TrainingPipelineTests.matrix(s, customers: customers, seed: seed)
        let p = base.names.count
        var ids: [String] = [], asOf: [Double] = [], values: [Double] = [], lifecycle: [Lifecycle] = []
        var r = 0
        for t in s.observationDates(asOf: Self.asOf) {
            for c in 0..<customers {
                ids.append(base.customerIDs[r]); asOf.append(t)
                values += base.values[(r * p)..<(r * p + p)]
                lifecycle.append(Lifecycle.universe[c % 3])
                r += 1
            }
            for c in 0..<outside {
                ids.append(String(format: "X%04d", c)); asOf.append(t)
                values += [0, 1e6, 1, 0.5, 1]
                lifecycle.append(c % 2 == 0 ? .churned : .lapsed)
            }
        }
        return FeatureMatrix(names: base.names, customerIDs: ids, asOf: asOf, values: values, lifecycle: lifecycle)
    }

    /// `m` without its rows outside the universe (and without lifecycle).
    static func universeOnly(_ m: FeatureMatrix) -> FeatureMatrix {
        let p = m.names.count
        let rows = (0..<m.rowCount).filter { m.lifecycle[$0].inUniverse }
        return FeatureMatrix(names: m.names, customerIDs: rows.map { m.customerIDs[$0] }, asOf: rows.map { m.asOf[$0] },
                             values: rows.flatMap { m.values[($0 * p)..<($0 * p + p)] })
    }

    func train(_ m: FeatureMatrix, _ s: TrainingSettings) throws -> TrainingResult {
        try TrainingPipeline.train(m, asOf: Self.asOf, config: FeatureConfig(), settings: s, createdAt: "t", toolVersion: "v")
    }

    // MARK: Universe

    func testCustomersOutsideTheUniverseAreNeverATrainingHoldoutOrCVRow() throws {
        let s = TrainingSettings(snapshots: 5, holdout: 1)
        let m = Self.matrix(s)
        let r = try train(m, s)
        XCTAssertFalse(r.trainRows.isEmpty)
        XCTAssertFalse(r.holdoutRows.isEmpty)
        for row in r.trainRows + r.holdoutRows {
            XCTAssertTrue(m.lifecycle[row].inUniverse, "row \(row) is \(m.lifecycle[row].name)")
            XCTAssertFalse(m.customerIDs[row].hasPrefix("X"))
        }
        XCTAssertEqual(r.holdoutRows.count, 300)
        XCTAssertEqual(r.trainRows.count, 4 * 300)
        // Cross-validation, holdout, calibration, backtest, refit and tiers see exactly what they
        // would see had the outside rows never existed (those rows would pull every fit they entered).
        let clean = try train(Self.universeOnly(m), s)
        XCTAssertEqual(r.bundle.c, clean.bundle.c)
        XCTAssertEqual(r.cScores.map(\.logLoss), clean.cScores.map(\.logLoss))
        XCTAssertEqual(r.folds, clean.folds)
        XCTAssertEqual(r.bundle.coefficients, clean.bundle.coefficients)
        XCTAssertEqual(r.bundle.intercept, clean.bundle.intercept)
        XCTAssertEqual(r.bundle.metrics, clean.bundle.metrics)
        XCTAssertEqual(r.bundle.calibration, clean.bundle.calibration)
        XCTAssertEqual(r.bundle.backtest, clean.bundle.backtest)
        XCTAssertEqual(r.bundle.thresholds.high, clean.bundle.thresholds.high)
        XCTAssertEqual(r.bundle.thresholds.medium, clean.bundle.thresholds.medium)
        // The bundle records the states learned and the rows per date in and out.
        XCTAssertEqual(r.bundle.universe, ["new", "active", "reactivated"])
        XCTAssertNil(clean.bundle.universe, "no lifecycle: nothing to claim")
        let counts = try XCTUnwrap(r.bundle.universeRows)
        XCTAssertEqual(counts.count, 5)
        XCTAssertTrue(counts.allSatisfy { $0.inUniverse == 300 && $0.outside == 120 })
        XCTAssertTrue(r.bundle.notes.contains { $0.contains("At-risk universe") && $0.contains("300 in / 120 out") })
    }

    func testBundleWithoutTheNewFieldsStillDecodes() throws {
        let s = TrainingSettings(snapshots: 3, holdout: 1)
        let r = try train(Self.matrix(s, customers: 150, outside: 10), s)
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(r.bundle)) as? [String: Any])
        for key in ["universe", "universe_rows", "backtest", "training_dates"] { XCTAssertNotNil(json[key], key); json[key] = nil }
        var thresholds = try XCTUnwrap(json["thresholds"] as? [String: Any])
        thresholds["rule"] = nil; thresholds["base_rate"] = nil; thresholds["top_fraction"] = 0.1
        json["thresholds"] = thresholds
        let old = try JSONDecoder().decode(ModelBundle.self, from: try JSONSerialization.data(withJSONObject: json))
        XCTAssertNil(old.universe)
        XCTAssertNil(old.backtest)
        XCTAssertNil(old.thresholds.rule)
        XCTAssertEqual(old.thresholds.topFraction, 0.1)
        XCTAssertEqual(old.usedTrainingDates, Array(old.observationDates.dropLast()))
    }

    // MARK: Honest windows

    func testTrainingLabelWindowsNeverOverlapTheHoldoutWindowWhenDatesAreCloserThanTheHorizon() throws {
        let s = TrainingSettings(horizonDays: 30, snapshots: 8, everyDays: 7, holdout: 1)
        let m = Self.matrix(s, customers: 200, outside: 20)
        let dates = s.observationDates(asOf: Self.asOf)
        let r = try train(m, s)
        let holdoutDate = dates.last!
        XCTAssertEqual(r.dates.holdout, [holdoutDate])
        // Dates 7 days apart: T7 − T2 = 35 days ≥ 30, T7 − T3 = 28 < 30.
        XCTAssertEqual(r.dates.training, Array(dates.prefix(3)))
        XCTAssertEqual(r.dates.dropped, Array(dates[3...6]))
        for row in r.trainRows {
            let start = m.asOf[row]
            XCTAssertLessThanOrEqual(start + 30 * Self.day, holdoutDate, "label window [\(start), +30d) runs past the holdout date")
        }
        XCTAssertTrue(r.holdoutRows.allSatisfy { m.asOf[$0] == holdoutDate })
        XCTAssertTrue(r.folds.allSatisfy { f in f.trainDates.allSatisfy { $0 + 30 * Self.day <= f.validationDate } })
        XCTAssertTrue(r.folds.allSatisfy { r.dates.training.contains($0.validationDate) })
        XCTAssertEqual(r.bundle.trainingDates, r.dates.training.map(formatDate))
        XCTAssertTrue(r.warnings.contains { $0.contains("not used for training") })
        // The backtest dates are those with an earlier closed window: T5, T6, T7.
        XCTAssertEqual(r.bundle.backtest?.map(\.date), dates.suffix(3).map(formatDate))
        for point in r.bundle.backtest ?? [] {
            let d = try XCTUnwrap(dates.first { formatDate($0) == point.date })
            XCTAssertEqual(point.trainDates, dates.filter { $0 + 30 * Self.day <= d }.map(formatDate))
        }
    }

    func testNoTrainingDateBeforeTheHoldoutIsAnError() {
        let s = TrainingSettings(horizonDays: 30, snapshots: 3, everyDays: 7, holdout: 1)
        XCTAssertThrowsError(try train(Self.matrix(s, customers: 50, outside: 0), s)) { error in
            XCTAssertEqual(error as? ScoringError, .noTrainingWindowBeforeHoldout(horizonDays: 30, everyDays: 7, snapshots: 3, holdout: 1))
            XCTAssertTrue("\(error)".contains("no training date's 30-day label window closes by the first held-out date"), "\(error)")
        }
    }

    func testDateRolesWithEveryEqualToTheHorizonKeepEveryEarlierDate() {
        let d = (0..<6).map { Double($0) * 30 * Self.day }
        let roles = TrainingPipeline.dateRoles(dates: d, holdout: 2, horizonSeconds: 30 * Self.day)
        XCTAssertEqual(roles.training, Array(d.prefix(4)))
        XCTAssertEqual(roles.dropped, [])
        XCTAssertEqual(roles.holdout, Array(d.suffix(2)))
        let long = TrainingPipeline.dateRoles(dates: d, holdout: 1, horizonSeconds: 61 * Self.day)
        XCTAssertEqual(long.training, Array(d.prefix(3)), "d + 61 days <= 150 days: 0, 30, 60 (not 90, 120)")
        XCTAssertEqual(long.dropped, [d[3], d[4]])
    }

    // MARK: Backtest

    /// AUC by counting pairs: P(score of a churner > score of a non-churner) + ½ P(tie).
    static func pairAUC(_ y: [Double], _ s: [Double]) -> Double {
        var wins = 0.0, pairs = 0.0
        for i in y.indices where y[i] == 1 {
            for j in y.indices where y[j] == 0 {
                pairs += 1
                wins += s[i] > s[j] ? 1 : (s[i] == s[j] ? 0.5 : 0)
            }
        }
        return wins / pairs
    }

    func testBacktestMatchesAnIndependentFitAtEveryDate() throws {
        let s = TrainingSettings(snapshots: 6, holdout: 1)
        let m = Self.matrix(s, customers: 150, outside: 40)
        let r = try train(m, s)
        let dates = s.observationDates(asOf: Self.asOf)
        let points = try XCTUnwrap(r.bundle.backtest)
        // Defaults (6 dates every 30 days, 30-day horizon): every date but the first.
        XCTAssertEqual(points.map(\.date), dates.dropFirst().map(formatDate))
        XCTAssertGreaterThanOrEqual(points.count, 3)
        let c = try XCTUnwrap(r.bundle.c)
        let p = m.names.count
        for (point, d) in zip(points, dates.dropFirst()) {
            let train = (0..<m.rowCount).filter { m.lifecycle[$0].inUniverse && m.asOf[$0] + 30 * Self.day <= d }
            let test = (0..<m.rowCount).filter { m.lifecycle[$0].inUniverse && m.asOf[$0] == d }
            let prep = Preprocessing.fit(m, rows: train, columns: [0, 1, 2, 3])
            let model = try LogisticRegression(c: c).fit(try prep.design(m, rows: train), train.map { m.values[$0 * p + 4] })
            let scores = try model.probabilities(try prep.design(m, rows: test))
            let y = test.map { m.values[$0 * p + 4] }
            XCTAssertEqual(point.rows, 150)
            XCTAssertEqual(point.auc, Self.pairAUC(y, scores), accuracy: 1e-12)
            XCTAssertEqual(point.baseRate, y.reduce(0, +) / Double(y.count), accuracy: 1e-12)
            let brier = zip(y, scores).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(y.count)
            XCTAssertEqual(point.brier, brier, accuracy: 1e-12)
            let top = zip(scores, y).sorted { $0.0 > $1.0 }.prefix(15).map(\.1)
            XCTAssertEqual(point.liftTopDecile, (top.reduce(0, +) / 15) / point.baseRate, accuracy: 1e-9)
            // Recency-only baseline on the same rows: recency is one standardised column, so its AUC is recency's own.
            XCTAssertEqual(try XCTUnwrap(point.baselineAUC), Self.pairAUC(y, test.map { m.values[$0 * p] }), accuracy: 1e-12)
        }
        // With one held-out date, the backtest of that date is the holdout evaluation.
        XCTAssertEqual(points.last!.auc, try XCTUnwrap(r.bundle.metrics).auc, accuracy: 1e-12)
        XCTAssertEqual(points.last!.baselineAUC, r.bundle.metrics?.baselineAUC)
    }

    // MARK: Tiers

    func testBaseRateRuleNeverCallsACustomerAboveTheBaseRateLow() {
        for b in stride(from: 0.01, through: 0.99, by: 0.01) {
            let t = TierRule.baseRate.thresholds(baseRate: b, baseRows: 100, population: [], populationDescription: "")
            XCTAssertEqual(t.medium, b)
            XCTAssertEqual(t.high, min(2 * b, (1 + b) / 2), accuracy: 1e-15)
            XCTAssertGreaterThan(t.high, t.medium)
            XCTAssertLessThan(t.high, 1)
            XCTAssertEqual(t.tier(b.nextUp), .medium, "b = \(b)")
            XCTAssertEqual(t.tier(b), .medium)
            XCTAssertEqual(t.tier(b.nextDown), .low)
            XCTAssertEqual(t.tier(1), .high)
            // Monotone: the tier never falls as p rises.
            let ps = stride(from: 0.0, through: 1.0, by: 0.001).map { $0 }
            let ranks = ps.map { t.tier($0).rawValue }
            XCTAssertEqual(ranks, ranks.sorted(by: >), "b = \(b)")
        }
        // The case: base rate 0.43, p = 0.59 was "low" under top fractions.
        let t = TierRule.baseRate.thresholds(baseRate: 0.43, baseRows: 1, population: [], populationDescription: "")
        XCTAssertEqual(t.high, 0.715, accuracy: 1e-12)
        XCTAssertEqual(t.tier(0.59), .medium)
        XCTAssertEqual(TierRule.baseRate.thresholds(baseRate: 0.1, baseRows: 1, population: [], populationDescription: "").high, 0.2, accuracy: 1e-15)
    }

    func testTopAndAbsoluteRulesGiveFixedProbabilities() {
        let population = (1...10).map { Double($0) / 10 }.shuffled()
        let top = TierRule.top(high: 0.1, medium: 0.3).thresholds(baseRate: 0.2, baseRows: 10, population: population, populationDescription: "ten rows")
        XCTAssertEqual(top.high, 1.0)      // one value of ten at or above it
        XCTAssertEqual(top.medium, 0.8)    // three values of ten at or above it
        XCTAssertEqual(top.baseRate, 0.2)
        XCTAssertTrue(top.rule?.hasPrefix("top:") == true)
        let abs = TierRule.absolute(high: 0.6, medium: 0.25).thresholds(baseRate: 0.2, baseRows: 10, population: population, populationDescription: "")
        XCTAssertEqual(abs.high, 0.6)
        XCTAssertEqual(abs.medium, 0.25)
        XCTAssertEqual(abs.topFraction, 0)
    }

    func testTrainedBundleTiersFollowTheBaseRateOfTheUniverseRows() throws {
        let s = TrainingSettings(snapshots: 4, holdout: 1)
        let m = Self.matrix(s, customers: 200, outside: 80)
        let r = try train(m, s)
        let p = m.names.count
        let universe = (0..<m.rowCount).filter { m.lifecycle[$0].inUniverse }
        let b = universe.map { m.values[$0 * p + 4] }.reduce(0, +) / Double(universe.count)
        XCTAssertEqual(r.bundle.thresholds.baseRate!, b, accuracy: 1e-12)
        XCTAssertEqual(r.bundle.thresholds.medium, b, accuracy: 1e-12)
        XCTAssertEqual(r.bundle.thresholds.high, min(2 * b, (1 + b) / 2), accuracy: 1e-12)
        XCTAssertTrue(r.bundle.thresholds.rule?.hasPrefix("base_rate") == true)
        XCTAssertTrue(r.bundle.notes.contains { $0.contains("Risk tiers (--tiers base-rate)") })

        // top: the cut-offs are the calibrated probabilities of the latest date's universe rows.
        var st = s
        st.tiers = .top(high: 0.1, medium: 0.3)
        let rt = try train(m, st)
        let latest = s.observationDates(asOf: Self.asOf).last!
        let rows = (0..<m.rowCount).filter { m.lifecycle[$0].inUniverse && m.asOf[$0] == latest }
        let all = try rt.bundle.probabilities(m)
        let probs = rows.map { all[$0] }.sorted()
        XCTAssertEqual(probs.count, 200)
        XCTAssertEqual(rt.bundle.thresholds.high, probs[180], accuracy: 1e-12)    // 20 of 200 at or above
        XCTAssertEqual(rt.bundle.thresholds.medium, probs[140], accuracy: 1e-12)  // 60 of 200 at or above
        XCTAssertEqual(rt.bundle.thresholds.baseRate!, b, accuracy: 1e-12)
    }

    func testTierRuleParsing() throws {
        XCTAssertEqual(try TierRule(parsing: "base-rate"), .baseRate)
        XCTAssertEqual(try TierRule(parsing: "absolute:0.5,0.2"), .absolute(high: 0.5, medium: 0.2))
        XCTAssertEqual(try TierRule(parsing: "top:0.1,0.3"), .top(high: 0.1, medium: 0.3))
        XCTAssertEqual(try TierRule(parsing: "top: 0.05 , 0.25"), .top(high: 0.05, medium: 0.25))
        XCTAssertEqual("\(TierRule.top(high: 0.1, medium: 0.3))", "top:0.1,0.3")
        XCTAssertEqual(try TierRule(parsing: "\(TierRule.absolute(high: 0.5, medium: 0.2))"), .absolute(high: 0.5, medium: 0.2))
        let bad: [(String, String)] = [
            ("percentile", "expected base-rate, absolute:HIGH,MEDIUM or top:HIGH_FRACTION,MEDIUM_FRACTION"),
            ("absolute:0.5", "absolute needs two numbers"),
            ("absolute:a,0.2", "absolute needs two numbers"),
            ("absolute:0.2,0.5", "the medium threshold (0.5) is above the high one (0.2)"),
            ("absolute:1.5,0.2", "must lie in [0, 1]"),
            ("top:0.3,0.1", "the high fraction (0.3) is larger than the medium fraction (0.1)"),
            ("top:0,0.1", "must lie in (0, 1]"),
            ("top:0.1,nan", "top needs two numbers"),
        ]
        for (text, message) in bad {
            XCTAssertThrowsError(try TierRule(parsing: text), text) { error in
                guard case ScoringError.invalidTierRule(let t, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(t, text)
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
            }
        }
    }

    // MARK: Table training

    func writeTable(_ rows: [[String]], header: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("universe-table-\(UUID().uuidString).csv").path
        try ([header.joined(separator: ",")] + rows.map { $0.joined(separator: ",") }).joined(separator: "\n").appending("\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testTableTrainingUsesOnlyInUniverseRowsAndNotTheColumn() throws {
        var rng = SeededGenerator(seed: 3)
        var inside: [[String]] = [], full: [[String]] = []
        for i in 0..<200 {
            let x = 4 * rng.nextUnit() - 2, z = rng.nextUnit()
            let y = rng.nextUnit() < 1 / (1 + exp(-2 * x)) ? "1" : "0"
            inside.append(["c\(i)", String(x), String(z), y])
            full.append(["c\(i)", String(x), String(z), y, "1"])
            if i % 4 == 0 { full.append(["o\(i)", "-5", "9", "7", "0"]) }  // outside: even a non-label is never read
        }
        let a = try writeTable(full, header: ["id", "x", "z", "churned", "in_universe"])
        let b = try writeTable(inside, header: ["id", "x", "z", "churned"])
        let outA = a + ".model.json", outB = b + ".model.json"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: outA); try? FileManager.default.removeItem(atPath: outB) }
        let ra = try Training.fromTable(.init(path: a, label: "churned", idColumn: "id", out: outA, createdAt: "t", toolVersion: "v"))
        let rb = try Training.fromTable(.init(path: b, label: "churned", idColumn: "id", out: outB, createdAt: "t", toolVersion: "v"))
        XCTAssertEqual(ra.features, ["x", "z"])
        XCTAssertEqual(ra.coefficients, rb.coefficients)
        XCTAssertEqual(ra.intercept, rb.intercept)
        XCTAssertEqual(ra.fit.rows, 200)
        XCTAssertEqual(ra.universe, Training.UniverseSplit(inUniverse: 200, outside: 50))
        XCTAssertNil(rb.universe)
        XCTAssertTrue(ra.text.contains("trained only on the 200 rows with in_universe = 1 (50 rows with 0 left out); in_universe is not a feature"), ra.text)
        let bundle = try ModelBundle.load(path: outA)
        XCTAssertEqual(bundle.features.map(\.name), ["x", "z"])
        XCTAssertEqual(bundle.universe, ["new", "active", "reactivated"])
        XCTAssertTrue(bundle.notes.contains { $0.contains("in_universe is not a feature") })
        // Tiers: base rate of the label on the universe rows.
        let base = Double(inside.filter { $0[3] == "1" }.count) / 200
        XCTAssertEqual(bundle.thresholds.baseRate!, base, accuracy: 1e-12)
        XCTAssertEqual(bundle.thresholds.medium, base, accuracy: 1e-12)
        XCTAssertEqual(bundle.thresholds.high, min(2 * base, (1 + base) / 2), accuracy: 1e-12)
        XCTAssertEqual(bundle.thresholds, try ModelBundle.load(path: outB).thresholds)
    }

    func testTableInUniverseMustBeZeroOrOne() throws {
        let path = try writeTable([["1", "0", "1"], ["2", "1", "2"], ["0.5", "1", "1"]], header: ["x", "churned", "in_universe"])
        XCTAssertThrowsError(try Training.fromTable(.init(path: path, label: "churned", createdAt: "t", toolVersion: "v"))) { error in
            XCTAssertEqual(error as? ScoringError, .badUniverseFlag(file: path, line: "3", cell: CellShape(value: 2)))
            XCTAssertEqual("\(error)", "\(path) line 3, column in_universe: not 0 or 1; the cell holds a whole number other than 0 and 1.")
        }
    }

    func testTableLabelAndWeightErrorsDescribeTheCellWithoutItsValue() throws {
        let label = try writeTable([["1", "0"], ["2", "1"], ["3", "0.25"]], header: ["x", "churned"])
        XCTAssertThrowsError(try Training.fromTable(.init(path: label, label: "churned", createdAt: "t", toolVersion: "v"))) { error in
            XCTAssertEqual(error as? ScoringError, .badLabel(file: label, line: "4", column: "churned", cell: CellShape(value: 0.25)))
            XCTAssertEqual("\(error)", "\(label) line 4, column churned: not a label (expected 0 or 1); the cell holds a number with a fractional part.")
        }
        let weight = try writeTable([["1", "0", "1"], ["2", "1", "-7.5"]], header: ["x", "churned", "w"])
        XCTAssertThrowsError(try Training.fromTable(.init(path: weight, label: "churned", sampleWeightColumn: "w", createdAt: "t", toolVersion: "v"))) { error in
            XCTAssertEqual("\(error)", "\(weight) line 3, column w: not a weight (expected a number >= 0); the cell holds a negative number.")
            XCTAssertFalse("\(error)".contains("7.5"))
        }
    }
}
