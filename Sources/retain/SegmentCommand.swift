import ArgumentParser
import Foundation
import RetainScoring

/// `retain segment --features FILE.csv --k K …`: k-means segments on a prepared feature table;
/// `retain segment --events FILE --as-of DATE --k K|auto --out models/NAME-segments.json`: from event history.
struct SegmentCommand: AdvisedCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment customers with k-means on event history (--events) or a prepared feature table (--features).",
        discussion: reflow("""
            With --events: features as of --as-of (recency, purchases and spend over 90 days, active days over 30
            days, tenure), median-imputed, log1p for fat tails, standardised; k-means (4 restarts from --seed); --k
            auto picks k in 2...10 by the best silhouette (seeded sample of 5,000 rows), with inertia (elbow) and
            Calinski-Harabasz shown beside it. Each segment gets a profile (size, share, centroid in original units,
            churn rate in the next horizon when the log covers it) and a name from it; RFM quintile scores and names
            are counted too.

            With --features: k-means++ seeding (from --seed), --n-init restarts keeping the lowest inertia, then
            Lloyd iterations accelerated with Hamerly's bounds (same result as plain Lloyd). With --init the given
            centres (a CSV with the same column names, in original units) start a single run. With --standardize
            each column is centred and scaled first; centroids are always reported in original units and input
            column order, inertia in the space that was clustered. With --out the segments are written as a segment
            model (retain score --segments).
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Feature table (CSV with a header). Exactly one of --features / --events.", valueName: "file.csv"))
    var features: String?

    @OptionGroup var data: EventOptions

    @Option(name: .long, help: ArgumentHelp("As-of date (YYYY-MM-DD, UTC) (with --events).", valueName: "date"))
    var asOf: String?

    @Option(name: .long, help: ArgumentHelp("Comma-separated columns to cluster on (default: every numeric column but --id).", valueName: "a,b,c"))
    var columns: String?

    @Option(name: .long, help: ArgumentHelp("Name of an id column to leave out.", valueName: "column"))
    var id: String?

    @Option(name: .customLong("k"), help: ArgumentHelp("Number of segments, or auto (with --events: 2...10 by silhouette).", valueName: "K|auto"))
    var kText: String

    /// `--k` as a number (0 when it is not one).
    var k: Int { Int(kText) ?? 0 }

    @Option(name: .long, help: ArgumentHelp("Seed for k-means++ seeding.", valueName: "S"))
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("Restarts from different seeds; the lowest inertia wins.", valueName: "N"))
    var nInit: Int = 1

    @Option(name: .customLong("init"), help: ArgumentHelp("Initial centres: CSV with a header naming the clustered columns, K rows.", valueName: "centres.csv"))
    var initCentres: String?

    @Option(name: .long, help: ArgumentHelp("Maximum Lloyd iterations.", valueName: "n"))
    var maxIter: Int = 300

    @Option(name: .long, help: ArgumentHelp("Stop when the summed squared centre shift is at most tol x mean column variance (scikit-learn's tol); 0 runs until no assignment changes.", valueName: "tol"))
    var tol: Double = 0

    @Flag(name: .long, help: "Standardise each column (mean 0, standard deviation 1) before clustering.")
    var standardize = false

    @Option(name: .long, help: ArgumentHelp("Write the segment model (kind segments, used by retain score --segments) to this path, atomically.", valueName: "segments.json"))
    var out: String?

    @Flag(name: .long, help: "Print one JSON object on stdout instead of the readable report.")
    var json = false

    func validate() throws {
        guard (features == nil) != (data.events == nil) else {
            throw ValidationError("Give exactly one of --features FILE.csv (a prepared table) or --events FILE (event history).")
        }
        if kText == "auto", data.events == nil { throw ValidationError("--k auto needs --events; give a number of segments with --features.") }
        if kText != "auto", Int(kText) == nil { throw ValidationError("--k must be a number of segments or auto, got '\(kText)'.") }
        if data.events != nil {
            guard let asOf else { throw ValidationError("--events needs --as-of YYYY-MM-DD.") }
            _ = try parseDate(asOf, option: "--as-of")
            guard out != nil else { throw ValidationError("--events needs --out models/NAME-segments.json.") }
        }
        guard kText == "auto" || k >= 1 else { throw ValidationError("--k must be at least 1, got \(k).") }
        guard nInit >= 1 else { throw ValidationError("--n-init must be at least 1, got \(nInit).") }
        guard maxIter >= 1 else { throw ValidationError("--max-iter must be at least 1, got \(maxIter).") }
        guard tol >= 0 else { throw ValidationError("--tol must be >= 0, got \(tol).") }
    }

    func execute() throws {
        let report: any WorkflowReport
        if let input = data.input, let asOf, let out {
            report = try SegmentationRun.fromEvents(SegmentationRun.EventsOptions(
                input: input, asOf: try parseDate(asOf, option: "--as-of"), k: kText == "auto" ? nil : k, seed: seed, out: out,
                createdAt: Console.now(), toolVersion: RetainVersion.string))
        } else {
            let wanted = columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            report = try SegmentationRun.fromTable(SegmentationRun.TableOptions(
                path: features ?? "", columns: wanted, idColumn: id, k: k, seed: seed, restarts: nInit, initialCentres: initCentres,
                maxIterations: maxIter, tolerance: tol, standardize: standardize, out: out,
                createdAt: Console.now(), toolVersion: RetainVersion.string), logger: Console.logger)
        }
        if json { try Console.printJSON(report) } else { print(report.text) }
    }
}
