import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainScoring

/// The daily run: scores a day (``DailyScoring``) and writes the scores CSV and the score history
/// together, all or nothing (a failure leaves both as they were).
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
        /// How long to wait, in milliseconds, for another writer's lock on the history before failing.
        public var busyTimeout: Int32

        public init(scoring: DailyScoring, out: String? = nil, db: String? = nil, busyTimeout: Int32 = 10_000) {
            self.scoring = scoring; self.out = out; self.db = db; self.busyTimeout = busyTimeout
        }

        /// Where bad event rows go when they are skipped: beside the scores CSV (`scores.csv.rejects.csv`),
        /// else `scores.rejects.csv`.
        public static func rejectsPath(out: String?) -> String { (out ?? "scores") + ".rejects.csv" }
    }

    /// The `--json` report of the run.
    public typealias Report = ScoreReport

    /// Scores the day, then writes the scores CSV (if `options.out`) and the history (if
    /// `options.db`) all or nothing: the CSV is prepared in a temporary file beside `out`, the
    /// day is written to the history in one transaction, and only then is the CSV renamed into
    /// place. If the history step fails, the temporary CSV is removed and any old CSV stays, so
    /// the CSV and the history never disagree. The CSV is owner-only (0600): it holds personal data.
    ///
    /// - Parameter phase: Called after each step with its name (the scoring steps, then "csv",
    ///   "history records", "history write"), e.g. to time them.
    /// - Throws: ``DailyScoring/run(phase:)``'s errors, `IOError` when the CSV cannot be
    ///   written, `StoreError` from the history, `StoreError.csvAfterHistory` when the history
    ///   has the day but the CSV could not be put in place afterwards.
    public static func run(_ options: Options, phase: (String) -> Void = { _ in }) throws -> Report {
        let started = DispatchTime.now().uptimeNanoseconds
        let result = try options.scoring.run(phase: phase)
        let date = options.scoring.date
        var csv: AtomicFile.Stream?
        defer { csv?.abandon() }  // any failure before the rename leaves the old CSV
        if let out = options.out {
            let batch = result.batch
            let file = try AtomicFile.Stream(path: out, permissions: 0o600)
            csv = file
            try file.write(pieces: batch.csvPieceCount()) { batch.csvPiece($0) }
            try file.sync()
            phase("csv")
        }
        if let db = options.db {
            let records = result.batch.records(date: date, modelID: result.modelID)
            phase("history records")
            try ScoreHistory(path: db, busyTimeout: options.busyTimeout).write(records, date: date, modelID: result.modelID)
            phase("history write")
        }
        if let file = csv {
            do {
                try file.commit()
            } catch let error as IOError where options.db != nil {
                let reason: String
                if case .writeFailed(_, let r) = error { reason = r } else { reason = "\(error)" }
                throw StoreError.csvAfterHistory(path: file.path, date: date, reason: reason)
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Report(result, date: date, seconds: seconds, out: options.out, db: options.db)
    }
}
