import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainScoring

/// The daily run: scores a day (``DailyScoring``) and writes the scores CSV and the score history
/// together, in that order.
///
/// ```swift
/// let report = try DailyRun.run(DailyRun.Options(scoring: scoring, out: "scores.csv", db: "retain.sqlite"))
/// ```
public enum DailyRun {
    /// What to score and where to write it.
    public struct Options: Sendable {
        public var scoring: DailyScoring
        /// Scores CSV to write atomically (nil: none).
        public var out: String?
        /// Score history (SQLite) to write this day's records to, replacing any earlier run of the
        /// same date (nil: none).
        public var db: String?

        public init(scoring: DailyScoring, out: String? = nil, db: String? = nil) {
            self.scoring = scoring; self.out = out; self.db = db
        }

        /// Where bad event rows go when they are skipped: beside the scores CSV (`scores.csv.rejects.csv`),
        /// else `scores.rejects.csv`.
        public static func rejectsPath(out: String?) -> String { (out ?? "scores") + ".rejects.csv" }
    }

    /// The `--json` report of the run.
    public typealias Report = ScoreReport

    /// Scores the day, then writes the scores CSV (if `options.out`), then the history (if `options.db`).
    ///
    /// - Parameter phase: Called after each step with its name (the scoring steps, then "csv",
    ///   "history records", "history write"), e.g. to time them.
    /// - Throws: ``DailyScoring/run(phase:)``'s errors, `IOError` when the CSV cannot be
    ///   written, `StoreError` from the history.
    public static func run(_ options: Options, phase: (String) -> Void = { _ in }) throws -> Report {
        let started = DispatchTime.now().uptimeNanoseconds
        let result = try options.scoring.run(phase: phase)
        let date = options.scoring.date
        if let out = options.out {
            let batch = result.batch
            try AtomicFile.write(to: out, pieces: batch.csvPieceCount()) { batch.csvPiece($0) }
            phase("csv")
        }
        if let db = options.db {
            let records = result.batch.records(date: date, modelID: result.modelID)
            phase("history records")
            try ScoreHistory(path: db).write(records, date: date, modelID: result.modelID)
            phase("history write")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Report(result, date: date, seconds: seconds, out: options.out, db: options.db)
    }
}
