import Foundation
import Logging
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainScoring

/// The whole daily workflow on the bundled sample, step by step through the same library
/// workflows the commands call: features → train → segment → score (+ history) → export.
///
/// Each step writes the file its own command would write with the same options, so the outputs
/// equal `retain features`, `train`, `segment`, `score` and `export` run one after another.
public enum DemoRun {
    /// What to run on and where to write.
    public struct Options: Sendable, Equatable {
        /// The project's root: the sample is `datasets/sample/{events,customers}.csv` under it.
        public var root: String
        /// Directory for every file the demo writes (created if missing).
        public var out: String
        /// Scoring date `YYYY-MM-DD`; the model trains on the months before it.
        public var asOf: String
        /// Written into the model files.
        public var createdAt: String
        public var toolVersion: String

        public init(root: String = ".", out: String = "out/demo", asOf: String = "2025-12-01", createdAt: String, toolVersion: String) {
            self.root = root; self.out = out; self.asOf = asOf; self.createdAt = createdAt; self.toolVersion = toolVersion
        }

        /// The bundled sample's directory.
        public var sample: String { (root as NSString).appendingPathComponent("datasets/sample") }
    }

    /// The files one run wrote.
    public struct Files: Sendable, Equatable, Encodable {
        public var features: String, churnModel: String, segmentModel: String, scores: String, history: String, lists: String

        enum CodingKeys: String, CodingKey {
            case features, scores, history, lists
            case churnModel = "churn_model", segmentModel = "segment_model"
        }

        init(out: String) {
            func path(_ name: String) -> String { (out as NSString).appendingPathComponent(name) }
            features = path("features.csv"); churnModel = path("churn.json"); segmentModel = path("segments.json")
            scores = path("scores.csv"); history = path("retain.sqlite"); lists = path("lists")
        }
    }

    /// What the demo did: the model's holdout figures, the segments, the lists and the files.
    public struct Report: Sendable, Encodable {
        public struct Segment: Sendable, Equatable, Encodable { public var name: String; public var size: Int }
        public struct List: Sendable, Equatable, Encodable { public var file: String; public var rows: Int }

        public var sample: String
        public var asOf: String
        public var seconds: Double
        /// Holdout AUC, the recency-only baseline's AUC and the top-decile lift (nil when not measured).
        public var holdoutAUC: Double?, baselineAUC: Double?, liftTopDecile: Double?
        /// The chosen inverse penalty strength (nil: unpenalised).
        public var c: Double?
        public var segments: [Segment]
        /// Scored customers per lifecycle state (`unknown` when not computed), the at-risk universe's
        /// size, and how many lapsed or churned customers were flagged at risk (0 by construction).
        public var lifecycle: [String: Int]
        public var universe: Int
        public var atRiskOutsideUniverse: Int
        public var lists: [List]
        public var files: Files
        /// Notes and warnings of the steps, in order, each with its `note:`/`warning:` prefix.
        public var warnings: [String]

        enum CodingKeys: String, CodingKey {
            case sample, seconds, c, segments, lists, files, warnings, lifecycle, universe
            case atRiskOutsideUniverse = "at_risk_outside_universe"
            case asOf = "as_of", holdoutAUC = "holdout_auc", baselineAUC = "baseline_auc", liftTopDecile = "lift_top_decile"
        }

        /// The summary `retain demo` prints.
        public var text: String {
            var lines = ["retain demo on \(sample), as of \(asOf) (\(String(format: "%.1f", seconds)) s)"]
            if let auc = holdoutAUC {
                let base = baselineAUC.map { String(format: " (recency-only baseline %.3f)", $0) } ?? ""
                lines.append(String(format: "  churn model (at-risk universe only): holdout AUC %.3f", auc) + base
                             + String(format: ", top-decile lift %.2f, C = ", liftTopDecile ?? .nan) + (c.map { String(format: "%g", $0) } ?? "none"))
            }
            lines.append("  segments: " + segments.map { "\($0.name) \($0.size)" }.joined(separator: ", "))
            lines.append("  lifecycle: " + lifecycle.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                         + "; at-risk universe \(universe); lapsed or churned flagged at risk: \(atRiskOutsideUniverse)")
            lines.append("  lists: " + (lists.isEmpty ? "none" : lists.map { "\($0.file) \($0.rows)" }.joined(separator: ", ")))
            lines.append("  files: \(files.features), \(files.churnModel), \(files.segmentModel), \(files.scores), \(files.history), \(files.lists)/")
            return lines.joined(separator: "\n")
        }
    }

    /// Runs the five steps.
    ///
    /// - Parameter logger: Gets each step's name as it starts (info) and its warnings.
    /// - Throws: `StoreError.noSample`, and any step's own error.
    public static func run(_ o: Options, logger: Logger = RetainLog.silent) throws -> Report {
        let started = DispatchTime.now().uptimeNanoseconds
        let events = (o.sample as NSString).appendingPathComponent("events.csv")
        let customers = (o.sample as NSString).appendingPathComponent("customers.csv")
        guard FileManager.default.fileExists(atPath: events) else { throw StoreError.noSample(directory: o.sample) }
        do {
            try FileManager.default.createDirectory(atPath: o.out, withIntermediateDirectories: true)
        } catch {
            throw IOError.writeFailed(path: o.out, reason: (error as NSError).localizedDescription)
        }
        let input = EventInput(events: events, customers: customers)
        let files = Files(out: o.out)
        let asOf = try DailyScoring.instant(of: o.asOf)
        var warnings: [String] = []

        logger.info("demo: features…")
        let settings = FeatureRun.Settings(asOf: asOf)
        let config = settings.config(try input.loadConfig())
        let features = try FeatureRun.run(reader: try input.reader(config, rejectsPath: FeatureRun.rejectsPath(out: files.features)),
                                          config: config, settings: settings, customers: try input.loadCustomers(), out: files.features)
        warnings += features.warnings.map { "warning: " + $0 }

        logger.info("demo: train…")
        let training = try Training.fromEvents(Training.EventsOptions(
            input: input, asOf: asOf, out: files.churnModel, createdAt: o.createdAt, toolVersion: o.toolVersion))
        warnings += training.warnings

        logger.info("demo: segment…")
        let segmentation = try SegmentationRun.fromEvents(SegmentationRun.EventsOptions(
            input: input, asOf: asOf, k: nil, out: files.segmentModel, createdAt: o.createdAt, toolVersion: o.toolVersion))

        logger.info("demo: score…")
        let scoring = DailyScoring(bundle: try ModelBundle.load(path: files.churnModel), modelPath: files.churnModel,
                                   segments: try SegmentBundle.load(path: files.segmentModel), options: ScoringOptions(),
                                   rules: .defaults, date: o.asOf,
                                   source: .events(input, rejectsPath: DailyRun.Options.rejectsPath(out: files.scores)))
        let scored = try DailyRun.run(DailyRun.Options(scoring: scoring, out: files.scores, db: files.history))
        if let drift = scored.drift?.warning { warnings.append("warning: " + drift) }
        warnings += scored.notes

        logger.info("demo: export…")
        let history = try ScoreHistory(path: files.history, create: false)
        let attributes = CustomerAttributes(try Customers.read(path: customers))
        let manifest = try ListExport(attributes: attributes).write(from: history, date: o.asOf, to: files.lists)
        let gone = try history.records(date: o.asOf).filter {
            $0.flags.contains("at_risk") && ($0.lifecycle == "lapsed" || $0.lifecycle == "churned")
        }.count

        let metrics = training.bundle.metrics
        return Report(
            sample: o.sample, asOf: o.asOf, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9,
            holdoutAUC: metrics?.auc, baselineAUC: metrics?.baselineAUC, liftTopDecile: metrics?.liftTopDecile, c: training.bundle.c,
            segments: segmentation.bundle.segments.map { Report.Segment(name: $0.name, size: $0.size) },
            lifecycle: scored.lifecycle, universe: scored.universe, atRiskOutsideUniverse: gone,
            lists: manifest.lists.sorted { $0.file < $1.file }.map { Report.List(file: $0.file, rows: $0.rows) },
            files: files, warnings: warnings)
    }
}
