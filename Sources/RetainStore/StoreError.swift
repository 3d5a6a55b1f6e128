import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
/// Errors from the score history, the day-over-day diff and the list exports.
///
/// Messages never name a customer id or any customer attribute.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database file does not exist (commands that read never create it).
    case missingDatabase(path: String)
    /// SQLite could not open or use the file.
    case sqlite(path: String, reason: String)
    /// The file was written by a newer `retain` (schema version above the one this build knows).
    case newerSchema(path: String, version: Int32, supported: Int32)
    /// The file is a SQLite database but not a score history (no `scores`/`runs` tables, or
    /// schema version 0).
    case notAHistory(path: String)
    /// The history fails SQLite's `quick_check`; nothing is written to it.
    case damaged(path: String)
    /// The history was written but the scores CSV could not be put in place afterwards.
    case csvAfterHistory(path: String, date: String, reason: String)
    /// No scores were written for this date.
    case unknownDate(date: String, scored: [String])
    /// No such list on this date.
    case unknownList(name: String, valid: [String])
    /// A record does not fit the day being written.
    case invalidRecords(reason: String)
    /// A line of a score-record import is not a score record.
    case notARecord(file: String, line: Int, reason: String)
    /// Test hook: the write was aborted on purpose mid-transaction.
    case injectedFailure
    /// The demo found no bundled sample (`datasets/sample/events.csv`) under the given directory.
    case noSample(directory: String)

    public var description: String {
        switch self {
        case .missingDatabase(let path):
            return "no score history at \(path). Score a day into it first, or check the path."
        case .sqlite(let path, let reason):
            return "score history \(path): \(reason)."
        case .newerSchema(let path, let version, let supported):
            return "score history \(path) has schema version \(version); this retain reads up to \(supported). Upgrade retain."
        case .notAHistory(let path):
            return "\(path) is not a retain score history (no scores table); give the history file that `retain score` writes."
        case .damaged(let path):
            return "score history \(path) is damaged (it fails SQLite's quick_check); nothing was written to it. Restore it from a backup, or start a new history file."
        case .csvAfterHistory(let path, let date, let reason):
            return "the score history has \(date), but the scores CSV \(path) could not be written (\(reason)); it still holds the previous scores. Run the day again to rewrite the CSV."
        case .unknownDate(let date, let scored):
            let list = scored.isEmpty ? "none yet" : scored.joined(separator: ", ")
            return "no scores for \(date). Scored dates: \(list)."
        case .unknownList(let name, let valid):
            return "unknown list '\(name)'. Valid lists: \(valid.joined(separator: ", "))."
        case .invalidRecords(let reason):
            return "cannot write scores: \(reason)."
        case .notARecord(let file, let line, let reason):
            return "\(file) line \(line): not a score record (\(reason))."
        case .noSample(let directory):
            return "no sample at \(directory): run the demo from the project's root, or give the directory that holds datasets/sample."
        case .injectedFailure:
            return "write aborted by the test hook."
        }
    }
}
