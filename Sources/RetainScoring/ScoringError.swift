import Foundation
import RetainIO
import RetainNumerics

/// Why a RetainScoring workflow cannot run with the inputs given: model files, action rules,
/// training, segmentation, CLV analysis, daily scoring and the self-test.
///
/// Messages say what happened and what to change in terms of the request (dates, counts, files),
/// never CLI flags; the command line adds the flag names. They never name a customer and never
/// quote a cell: a bad cell is described by `CellShape`.
public enum ScoringError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Daily scoring

    /// A scoring date that is not `YYYY-MM-DD`.
    case invalidDate(String)
    /// The id column asked for is not in the table's header.
    case missingIDColumn(file: String, column: String)

    // MARK: Model files

    /// The model file (or the directory of model files) could not be read; `reason` is the system's.
    case modelUnreadable(path: String, reason: String)
    /// The file is not JSON (truncated or damaged).
    case modelNotJSON(path: String)
    /// JSON of another format (`found` is its format name, or "none").
    case foreignModel(path: String, found: String)
    /// A model file of a retired format.
    case oldModelFormat(path: String, format: String)
    /// A format version this build does not read.
    case unsupportedModelVersion(path: String, version: Int)
    /// A model of another kind than the one asked for.
    case wrongModelKind(path: String, found: ModelKind, expected: ModelKind)
    /// The content does not match the stored SHA-256.
    case modelChecksumMismatch(path: String)
    /// The model file lacks a field or has one of the wrong type; `reason` says which.
    case malformedModel(path: String, reason: String)
    /// A model or rules file too large or nested too deep (checked before parsing); `what` names
    /// the kind of file ("a rules file", "a model file").
    case fileBeyondLimit(path: String, what: String, problem: TextLimitProblem)
    /// A model file whose content is inconsistent (lengths that disagree, values that are not finite
    /// or out of range) although it parses and its checksum matches; `field` names the field.
    case inconsistentModel(path: String, field: String, problem: String)
    /// The data lack features the model (named `model`) needs.
    case missingFeatures(model: String, names: [String])

    // MARK: Action rules

    /// The rules file could not be read; `reason` is the system's.
    case rulesUnreadable(path: String, reason: String)
    /// The file is not a rules file (not YAML, no `rules:` list, a rule without an action);
    /// `reason` is the parser's.
    case invalidRules(path: String, reason: String)
    /// Rule `rule` (1-based) names something `retain` does not know: a key of the rule or of its
    /// `when`, a flag, or a tier. Such a rule would otherwise be silently ignored or match everyone.
    case unknownRuleName(path: String, rule: Int, action: String, kind: RuleNameKind, name: String, valid: [String])
    /// More rules than the scorer can number.
    case tooManyRules(path: String, count: Int, limit: Int)

    // MARK: Training on a prepared feature table

    /// The label column is not in the header.
    case noLabelColumn(file: String, label: String, columns: [String])
    /// A label cell that is not 0 or 1 (`line` is the file's line, or a row description).
    case badLabel(file: String, line: String, column: String, cell: CellShape)
    /// The sample-weight column is not in the header.
    case noWeightColumn(file: String, column: String)
    /// A weight cell that is not a number >= 0.
    case badWeight(file: String, line: String, column: String, cell: CellShape)
    /// No feature column is left besides the label (and the id column when `withID`).
    case noFeatureColumns(file: String, withID: Bool)
    /// An `in_universe` cell that is not 0 or 1.
    case badUniverseFlag(file: String, line: String, cell: CellShape)
    /// A table to score names one customer on two rows (lines of the file; the id is not quoted).
    case duplicateCustomer(file: String, column: String, line: String, firstLine: String)
    /// A tier rule that cannot be parsed or is out of range; `reason` says why.
    case invalidTierRule(text: String, reason: String)

    // MARK: Training on event history

    /// The feature matrix has no `churned` label column.
    case noChurnLabel
    /// The observation dates held out leave none for training.
    case tooFewObservationDates(snapshots: Int, holdout: Int)
    /// No observation date before the holdout has a label window that closes by the first held-out date.
    case noTrainingWindowBeforeHoldout(horizonDays: Int, everyDays: Int, snapshots: Int, holdout: Int)
    /// The training or held-out rows hold only one class.
    case oneClass(part: TrainingRows, rows: Int)
    /// Every feature is constant or missing on the training rows.
    case noUsableFeatures

    // MARK: Segmentation

    /// The table has no numeric column to cluster.
    case noColumnsToCluster(file: String)
    /// Fewer rows than segments.
    case tooFewRowsForSegments(rows: Int, k: Int)
    /// The initial-centres file has another number of rows than segments.
    case centreCount(file: String, found: Int, k: Int)
    /// The automatic-k range starts below 2, or the minimum segment share is outside [0, 1).
    case invalidKRange(ClosedRange<Int>, minShare: Double)
    /// Every k of the automatic range leaves a segment below the minimum share.
    case noAdmissibleK(ClosedRange<Int>, minShare: Double, smallestShares: [Int: Double])
    /// An RFM segment model was given where a model that assigns customers (k-means) is needed.
    case rfmSegmentsNotScorable(path: String)

    // MARK: CLV analysis

    /// The log has no events at all.
    case noEvents(source: String)
    /// The log has events, but none of its types has the `purchase` role.
    case noPurchaseEvents(source: String, eventTypes: [String])
    /// The calibration period ends before the first purchase (both `YYYY-MM-DD`).
    case calibrationBeforeFirstPurchase(calibrationEnd: String, firstPurchase: String)
    /// The holdout does not end after the calibration end (both `YYYY-MM-DD`).
    case holdoutNotAfterCalibration(holdoutEnd: String, calibrationEnd: String)
    /// The CLV horizon has fewer than one period.
    case clvHorizonTooShort(Int)
    /// The discount rate is not a finite number above −1.
    case badDiscount(Double, perUnit: TimeUnit)
    /// A CDNOW file was combined with event-log settings (a SQLite table, a config file or roles).
    case cdnowWithEventSettings

    // MARK: Self-test

    /// The CDNOW files are not in the given folder (`folder`) or anywhere searched (`folder` nil).
    case selftestDataNotFound(folder: String?, tried: [String])

    /// What an unknown name in a rules file is.
    public enum RuleNameKind: String, Sendable, Equatable {
        /// A key of the rule or of its `when`.
        case key
        /// A flag in `flags` or `not_flags`.
        case flag
        /// A risk tier.
        case tier
        /// A lifecycle state in `lifecycle` or `not_lifecycle`.
        case lifecycle = "lifecycle state"
    }

    /// Which rows of a training run an error is about.
    public enum TrainingRows: String, Sendable, Equatable {
        case training
        case heldOut = "held-out"
    }

    public var description: String {
        switch self {
        case let .invalidDate(text):
            return "the scoring date '\(text)' is not a date: expected YYYY-MM-DD, e.g. 2025-10-28."
        case let .missingIDColumn(file, column):
            return "\(file): no id column '\(column)' in the header."

        case .modelUnreadable(let p, let r): return "cannot read model file \(p): \(r)."
        case .modelNotJSON(let p): return "\(p) is not a model file: it is not valid JSON (truncated or damaged). Train the model again to rewrite it."
        case .foreignModel(let p, let f): return "\(p) is not a retain model file (format '\(f)', expected '\(ModelEnvelope.formatName)')."
        case .oldModelFormat(let p, let f):
            return "\(p) was written by an older retain (format '\(f)'), before churn, segment and CLV models shared one format. Re-make it with this version: models/README.md has the commands."
        case .unsupportedModelVersion(let p, let v): return "\(p) is a model file of format version \(v); this retain reads version \(ModelEnvelope.formatVersion). Re-train with this version."
        case .wrongModelKind(let p, let found, let expected): return "\(p) is a \(found.displayName), not a \(expected.displayName)."
        case .modelChecksumMismatch(let p): return "\(p) was changed after it was written: its SHA-256 does not match the content. Re-train (or restore the file) instead of editing it."
        case .malformedModel(let p, let r): return "\(p) is a damaged model file: \(r)."
        case let .fileBeyondLimit(p, what, problem): return problem.message(path: p, what: what)
        case let .inconsistentModel(p, field, problem):
            return "\(p) is a damaged model file: \(field) \(problem). Its checksum matches, so it was edited and re-signed; train the model again or restore the file."
        case .missingFeatures(let m, let n): return "model \(m) needs features the data do not provide: \(n.joined(separator: ", ")). Use the config and roles the model was trained with."

        case .rulesUnreadable(let p, let r): return "cannot read rules file \(p): \(r)."
        case .invalidRules(let p, let r): return "\(p) is not a valid rules file: \(r). Expected `rules:` with items {action, description, when: {flags, not_flags, tier, segment, min_probability, min_value}}."
        case let .unknownRuleName(p, rule, action, kind, name, valid):
            return "\(p), rule \(rule) (action '\(action)'): unknown \(kind.rawValue) '\(name)'. Valid: \(valid.joined(separator: ", "))."
        case let .tooManyRules(p, count, limit):
            return "\(p) has \(count) rules; at most \(limit) are supported."

        case .noLabelColumn(let f, let l, let cols): return "\(f): no label column '\(l)' in the header (\(CellShape.headerList(cols)))."
        case .badLabel(let f, let line, let c, let cell): return "\(f) line \(line), column \(c): not a label (expected 0 or 1); the cell \(Self.notBinary(cell))."
        case .noWeightColumn(let f, let c): return "\(f): no sample-weight column '\(c)' in the header."
        case .badWeight(let f, let line, let c, let cell): return "\(f) line \(line), column \(c): not a weight (expected a number >= 0); the cell \(cell.clause(expecting: .number))."
        case .noFeatureColumns(let f, let withID): return "\(f): no feature columns left besides the label\(withID ? " and id" : "")."

        case .badUniverseFlag(let f, let line, let cell): return "\(f) line \(line), column in_universe: not 0 or 1; the cell \(Self.notBinary(cell))."
        case .duplicateCustomer(let f, let c, let line, let first):
            return "\(f) line \(line), column \(c): the same customer as line \(first); a table to score has one row per customer (keep one row per id, e.g. the latest as-of date)."
        case .invalidTierRule(let t, let r): return "tier rule '\(t)': \(r)."
        case .noTrainingWindowBeforeHoldout(let h, let e, let s, let k):
            return "with \(s) observation dates \(e) days apart and \(k) held out, no training date's \(h)-day label window closes by the first held-out date; use more observation dates, space them at least \(h) days apart, or a shorter horizon."
        case .noChurnLabel: return "the feature matrix has no 'churned' label column; build it with labels."
        case .tooFewObservationDates(let s, let h): return "\(s) observation dates with \(h) held out leave no training date; use more observation dates or hold out fewer."
        case .oneClass(let part, let rows): return "the \(part.rawValue) rows (\(rows)) hold only one class (all churned or none); choose another as-of date or horizon, or more observation dates."
        case .noUsableFeatures: return "every feature is constant or missing on the training rows; nothing to fit."

        case .noColumnsToCluster(let f): return "\(f): no numeric columns to cluster."
        case .tooFewRowsForSegments(let rows, let k): return "k-means needs at least \(k) rows for \(k) clusters, got \(rows)."
        case .centreCount(let f, let found, let k): return "\(f) has \(found) centres for \(k) segments."
        case let .invalidKRange(range, minShare):
            return "the automatic k range \(range.lowerBound)...\(range.upperBound) must start at 2 or more, and the minimum segment share (\(minShare)) must be in [0, 1)."
        case let .noAdmissibleK(range, minShare, shares):
            let list = shares.sorted { $0.key < $1.key }.map { String(format: "k = %d: %.1f%%", $0.key, 100 * $0.value) }.joined(separator: ", ")
            return String(format: "no k in %d...%d gives every segment at least %g%% of the customers (smallest segment: %@); try other ks, a smaller minimum share, or a fixed k.",
                          range.lowerBound, range.upperBound, 100 * minShare, list)
        case let .rfmSegmentsNotScorable(path):
            return "\(path) is an RFM segment model: its segments are recomputed from purchases, not assigned to scored customers. Give a k-means segment model to score with segments."

        case let .noEvents(source):
            return "\(source) has no events."
        case let .noPurchaseEvents(source, types):
            return "\(source) has no purchase events: none of its event types (\(Self.eventTypeList(types))) has the role purchase. "
                + "Map your purchase event type to that role (roles: {purchase: EVENT_TYPE} in the config)."
        case let .calibrationBeforeFirstPurchase(end, first):
            return "the calibration end \(end) is before the first purchase (\(first)): no customer has a purchase in the calibration period. Choose a later date."
        case let .holdoutNotAfterCalibration(hold, cal):
            return "the holdout end \(hold) must be after the calibration end \(cal): the holdout runs from the day after the calibration end to the holdout end."
        case let .clvHorizonTooShort(n):
            return "the CLV horizon must be at least 1 period, got \(n)."
        case let .badDiscount(d, unit):
            return "the discount rate is per \(unit.rawValue) and must be > -1 (e.g. 0.01 for 1% a \(unit.rawValue)), got \(d)."
        case .cdnowWithEventSettings:
            return "a CDNOW text file's lines are all purchases; it takes no SQLite table, config file or roles."

        case let .selftestDataNotFound(folder?, tried):
            return "\(folder): no \(Selftest.sampleFile) and \(Selftest.summaryFile) there (looked in \(tried.joined(separator: ", "))). Pass the folder datasets/cdnow of the retain repository."
        case .selftestDataNotFound(nil, _):
            return "the bundled CDNOW data were not found (looked for datasets/cdnow in the current directory and above the executable). Run from the retain repository, or give the folder datasets/cdnow."
        }
    }

    /// Up to ten event types, then an ellipsis; when one looks like data of another column (an
    /// email address, an id, a date, a number), a count and that hint instead of the list, so
    /// misaligned columns do not put emails or customer ids into a message.
    public static func eventTypeList(_ types: [String]) -> String {
        if let odd = types.first(where: { CellShape($0).looksLikeData }) {
            return "\(types.count) distinct values, one of which \(CellShape(odd).clause())"
        }
        return types.prefix(10).joined(separator: ", ") + (types.count > 10 ? ", …" : "")
    }

    /// What a cell that should be 0 or 1 holds ("a whole number other than 0 and 1", "a negative number", …).
    static func notBinary(_ cell: CellShape) -> String {
        cell.kind == .number && !cell.negative && !cell.fraction && cell.characters == 0
            ? "holds a whole number other than 0 and 1" : cell.clause(expecting: .number)
    }
}

extension ScoringError: LocalizedError {
    public var errorDescription: String? { description }
}
