import ArgumentParser
import Foundation
import RetainScoring

/// `retain segment --features FILE.csv --k K …`: k-means segments on a prepared feature table;
/// `retain segment --events FILE --as-of DATE --k K|auto [--k-range A..B] --out models/NAME-segments.json`: from event history;
/// `retain segment --events FILE --as-of DATE --method rfm --out …`: RFM segments.
struct SegmentCommand: AdvisedCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment customers with k-means on event history (--events) or a prepared feature table (--features), or by RFM scores.",
        discussion: reflow("""
            With --events: features as of --as-of (recency, purchases and spend over 90 days, active days over 30
            days, tenure, tickets over 90 days), median-imputed, log1p for fat tails, standardised; k-means (4
            restarts from --seed); --k auto tries every k in --k-range (default 3..8), rejects a k that leaves a
            segment under --min-share of the customers (default 0.02), and keeps the best silhouette (seeded sample
            of 5,000 rows), with inertia (elbow) and Calinski-Harabasz shown beside it. Each segment gets a profile
            (size, share, centroid in original units, churn rate in the next horizon when the log covers it) and a
            unique name from the dimensions that set its centre apart (activity, value, tenure, support: e.g.
            "high-value active", "new low-spend", "engaged browsers", "dormant"; see the README). RFM counts are
            stored beside the segments.

            With --events --method rfm: R (days since the last purchase), F (purchases) and M (--monetary total or
            mean purchase value) before --as-of, scored 1-5 by quintiles over the customers with a purchase (ties
            share a score), and named by the R/F grid: champions, loyal, potential loyalists, new, promising, need
            attention, about to sleep, at risk, can't lose, hibernating, lost; customers without a purchase are
            their own group, "no purchases". The model file describes the customer base; retain score --segments
            takes k-means models only.

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

    @Option(name: .long, help: ArgumentHelp("kmeans or rfm (RFM scores, with --events).", valueName: "kmeans|rfm"))
    var method: String = "kmeans"

    @Option(name: .customLong("k"), help: ArgumentHelp("Number of k-means segments, or auto (with --events: the best silhouette over --k-range).", valueName: "K|auto"))
    var kText: String?

    /// `--k` as a number (0 when it is not one).
    var k: Int { kText.flatMap { Int($0) } ?? 0 }

    @Option(name: .long, help: ArgumentHelp("The ks --k auto tries, lowest..highest (at least 2).", valueName: "A..B"))
    var kRange: String = "3..8"

    @Option(name: .long, help: ArgumentHelp("With --k auto, reject a k that leaves a segment under this share of the customers.", valueName: "share"))
    var minShare: Double = 0.02

    @Option(name: .long, help: ArgumentHelp("What RFM's M measures: total or mean purchase value.", valueName: "total|mean"))
    var monetary: String = "total"

    /// `--k-range` parsed ("3..8", "3...8" or "3-8"), nil when malformed.
    var parsedKRange: ClosedRange<Int>? {
        for separator in ["...", "..", "-"] {
            let parts = kRange.components(separatedBy: separator)
            if parts.count == 2, let a = Int(parts[0].trimmingCharacters(in: .whitespaces)),
               let b = Int(parts[1].trimmingCharacters(in: .whitespaces)), a <= b { return a...b }
        }
        return nil
    }

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
        guard let segmentMethod = SegmentMethod(rawValue: method) else {
            throw ValidationError("--method must be kmeans or rfm, got '\(method)'.")
        }
        guard RFM.Monetary(rawValue: monetary) != nil else {
            throw ValidationError("--monetary must be total or mean, got '\(monetary)'.")
        }
        if segmentMethod == .rfm {
            guard data.events != nil else { throw ValidationError("--method rfm needs --events (purchases before --as-of).") }
            guard kText == nil else { throw ValidationError("--k is for --method kmeans; RFM segments come from the R/F score grid.") }
        } else {
            guard let kText else { throw ValidationError("Missing expected argument '--k <K|auto>' (or use --method rfm).") }
            if kText == "auto", data.events == nil { throw ValidationError("--k auto needs --events; give a number of segments with --features.") }
            if kText != "auto", Int(kText) == nil { throw ValidationError("--k must be a number of segments or auto, got '\(kText)'.") }
            guard kText == "auto" || k >= 1 else { throw ValidationError("--k must be at least 1, got \(k).") }
        }
        guard let range = parsedKRange else {
            throw ValidationError("--k-range must be two whole numbers lowest..highest, e.g. 3..8, got '\(kRange)'.")
        }
        guard range.lowerBound >= 2 else {
            throw ValidationError("--k-range must start at 2 or more (one segment is no segmentation), got '\(kRange)'.")
        }
        guard minShare >= 0, minShare < 1 else { throw ValidationError("--min-share must be in [0, 1), got \(minShare).") }
        if data.events != nil {
            guard let asOf else { throw ValidationError("--events needs --as-of YYYY-MM-DD.") }
            _ = try parseDate(asOf, option: "--as-of")
            guard out != nil else { throw ValidationError("--events needs --out models/NAME-segments.json.") }
        }
        guard nInit >= 1 else { throw ValidationError("--n-init must be at least 1, got \(nInit).") }
        guard maxIter >= 1 else { throw ValidationError("--max-iter must be at least 1, got \(maxIter).") }
        guard tol >= 0 else { throw ValidationError("--tol must be >= 0, got \(tol).") }
    }

    func execute() throws {
        let report: any WorkflowReport
        if let input = data.input, let asOf, let out {
            report = try SegmentationRun.fromEvents(SegmentationRun.EventsOptions(
                input: input, asOf: try parseDate(asOf, option: "--as-of"), method: SegmentMethod(rawValue: method) ?? .kmeans,
                k: kText == "auto" ? nil : k, kRange: parsedKRange ?? Segmentation.defaultKRange, minShare: minShare,
                monetary: RFM.Monetary(rawValue: monetary) ?? .total, seed: seed, out: out,
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
