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
