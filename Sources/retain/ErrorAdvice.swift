import ArgumentParser
import RetainNumerics
import RetainIngest
import RetainFeatures
import RetainSample
import RetainScoring
import RetainStore

/// A subcommand whose failures reach the user through `ErrorAdvice`: it implements `execute()`,
/// and `run()` calls it and turns a library error into advice that names the command's flags.
protocol AdvisedCommand: ParsableCommand {
    func execute() throws
}

extension AdvisedCommand {
    func run() throws {
        do { try execute() } catch { throw ErrorAdvice.translate(error) }
    }
}

/// The one place where library errors, which never name CLI flags, become the command line's
/// words. A `ValidationError` exits 64 with the usage; a `CLIError` (or any other error) exits 1.
enum ErrorAdvice {
    /// The option that takes each kind of model file.
    static let modelOption: [ModelKind: String] = [.churn: "--model", .segments: "--segments"]  // CLV model files are only written (clv --save-model) and listed

    /// The message (and exit status) shown for `error`; errors without advice pass unchanged.
    static func translate(_ error: Error) -> Error {
        switch error {
        // Model files: say which option a model of this kind goes to.
        case let ScoringError.wrongModelKind(path, found, expected):
            guard let option = modelOption[expected] else { return error }
            let other = modelOption[found].map { "give it to \($0), and " } ?? ""
            return CLIError("\(path) is a \(found.displayName), not a \(expected.displayName); \(other)give a \(expected.displayName) to \(option).")

        // retain clv
        case let ScoringError.noPurchaseEvents(source, types):
            return CLIError("\(source) has no purchase events: none of its event types (\(ScoringError.eventTypeList(types))) has the role purchase. Map your purchase event type to it with --role purchase=EVENT_TYPE, or roles: {purchase: EVENT_TYPE} in the --config file.")
        case let ScoringError.calibrationBeforeFirstPurchase(end, first):
            return CLIError("--calibration-end \(end) is before the first purchase (\(first)): no customer has a purchase in the calibration period. Choose a later date.")

        // retain segment
        case ScoringError.tooFewRowsForSegments:
            return CLIError("\(error) Lower --k or add data.")
        case let ScoringError.centreCount(file, found, k):
            return CLIError("\(file) has \(found) centres, --k is \(k).")

        // retain selftest
        case ScoringError.selftestDataNotFound(nil, _):
            return CLIError("the bundled CDNOW data were not found (looked for datasets/cdnow in the current directory and above the executable). Run from the retain repository, or pass --data DIR (the folder datasets/cdnow).")
        case ScoringError.selftestDataNotFound:
            return CLIError("--data \(error)")

        // history, diff, export: the history is made by retain score --db.
        case let StoreError.missingDatabase(path):
            return CLIError("no score history at \(path). Run `retain score ... --db \(path)` first, or check the path.")
        case let StoreError.notAHistory(path):
            return CLIError("\(path) is not a retain score history (no scores table); give the file `retain score --db` writes.")

        // retain diff / export: a date or list that is not in the history is a usage error.
        case StoreError.unknownDate, StoreError.unknownList:
            return ValidationError("\(error)")

        // retain train: the penalty is --c.
        case let NumericsError.separable(quasi):
            return CLIError(NumericsError.separableMessage(quasi: quasi, penalty: "e.g. --c 1.0"))

        // retain demo
        case let StoreError.noSample(directory):
            return CLIError("no sample at \(directory): run `retain demo` from the project's root, or give --data DIR.")

        // retain metrics
        case let FeaturesError.emptyPeriod(from, to):
            return ValidationError("--from \(from) must be before --to \(to).")
        case let FeaturesError.invalidFollowers(followers):
            return ValidationError("--followers must be a positive number, got \(followers).")
        case FeaturesError.emptyConversionType:
            return ValidationError("--conversion needs an event type, e.g. --conversion purchase.")

        // Every command that builds features as of --as-of.
        case let IngestError.noEventsBefore(file, date):
            return CLIError("\(file) has no events before \(date): nothing to build features from. Check --as-of (features use only events before it).")

        // --role on every event-log command
        case let IngestError.badRoleAssignment(text):
            return CLIError("--role \(text): expected ROLE=EVENT_TYPE, e.g. --role session=session_end.")
        case let IngestError.unknownRole(name, assignment?):
            return CLIError("--role \(assignment): unknown role '\(name)'. Roles: \(Role.names).")

        // retain generate (from `validate()`): these messages start with the setting, named as its option.
        case SampleError.customersOutOfRange, SampleError.daysOutOfRange, SampleError.invalidStart:
            return ValidationError("--\(error)")
        case let SampleError.churnShareOutOfRange(share):
            return ValidationError("--churn-share must be between 0 and 0.9, got \(share).")

        default:
            return error
        }
    }
}
