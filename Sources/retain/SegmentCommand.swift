import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain segment --features FILE.csv --k K …`: k-means segments on a prepared feature table;
/// `retain segment --events FILE --as-of DATE --k K|auto --out models/NAME-segments.json`: from event history.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment customers with k-means on event history (--events) or a prepared feature table (--features).",
        discussion: reflow("""
            With --events: features as of --as-of (recency, purchases and spend over 90 days, active
            days over 30 days, tenure), median-imputed, log1p for fat tails, standardised; k-means
            (4 restarts from --seed); --k auto picks k in 2...10 by the best silhouette (seeded sample
            of 5,000 rows), with inertia (elbow) and Calinski-Harabasz shown beside it. Each segment
            gets a profile (size, share, centroid in original units, churn rate in the next horizon
            when the log covers it) and a name from it; RFM quintile scores and names are counted too.

            With --features:
            k-means++ seeding (from --seed), --n-init restarts keeping the lowest inertia, then Lloyd
            iterations accelerated with Hamerly's bounds (same result as plain Lloyd). With --init the
            given centres (a CSV with the same column names, in original units) start a single run.
            With --standardize each column is centred and scaled first; centroids are always reported
            in original units and input column order, inertia in the space that was clustered.
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Feature table (CSV with a header). Exactly one of --features / --events.", valueName: "file.csv"))
    var features: String?

    @Option(name: .long, help: ArgumentHelp("Event log (CSV, .csv.gz): segment from event history.", valueName: "file"))
    var events: String?

    @Option(name: .long, help: ArgumentHelp("Customers table (with --events).", valueName: "file.csv"))
    var customers: String?

    @Option(name: .long, help: ArgumentHelp("Config file (YAML or JSON) (with --events).", valueName: "file"))
    var config: String?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Map an event type to a role (repeatable) (with --events).", valueName: "role=type"))
    var role: [String] = []

    @Option(name: .long, help: ArgumentHelp("As-of date (YYYY-MM-DD, UTC) (with --events).", valueName: "date"))
    var asOf: String?

    @Option(name: .long,
            help: ArgumentHelp("Comma-separated columns to cluster on (default: every numeric column but --id).", valueName: "a,b,c"))
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

    @Option(name: .long, help: ArgumentHelp("Write the segmentation as JSON to this path (atomically).", valueName: "segments.json"))
    var out: String?

    @Flag(name: .long, help: "Print one JSON object on stdout instead of the readable report.")
    var json = false

    func validate() throws {
        guard (features == nil) != (events == nil) else {
            throw ValidationError("Give exactly one of --features FILE.csv (a prepared table) or --events FILE (event history).")
        }
        if kText == "auto" {
            guard events != nil else { throw ValidationError("--k auto needs --events; give a number of segments with --features.") }
        } else {
            guard Int(kText) != nil else { throw ValidationError("--k must be a number of segments or auto, got '\(kText)'.") }
        }
        if events != nil {
            guard let asOf else { throw ValidationError("--events needs --as-of YYYY-MM-DD.") }
            _ = try parseDate(asOf, option: "--as-of")
            guard out != nil else { throw ValidationError("--events needs --out models/NAME-segments.json.") }
        }
        guard kText == "auto" || k >= 1 else { throw ValidationError("--k must be at least 1, got \(k).") }
        guard nInit >= 1 else { throw ValidationError("--n-init must be at least 1, got \(nInit).") }
        guard maxIter >= 1 else { throw ValidationError("--max-iter must be at least 1, got \(maxIter).") }
        guard tol >= 0 else { throw ValidationError("--tol must be >= 0, got \(tol).") }
    }

    func run() throws {
        if events != nil { return try runEvents() }
        guard let features else { return }
        let name = features
        let wanted = columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        let t0 = Console.seconds()
        let table = try FeatureTable.readCSV(path: features, idColumn: id, columns: wanted)
        Console.progress(String(format: "read %d rows x %d columns from %@ in %.2f s", table.rowCount, table.columnCount, name, Console.seconds() - t0))
        guard table.columnCount > 0 else { throw CLIError("\(name): no numeric columns to cluster.") }
        if table.rowCount < k {
            throw CLIError("k-means needs at least \(k) rows for \(k) clusters, got \(table.rowCount). Lower --k or add data.")
        }
        var x = try Matrix(rows: table.rowCount, columns: table.columnCount, values: table.values)
        var scaler: FittedScaler?
        if standardize {
            let s = try Scaler().fit(x)
            x = try s.transform(x)
            scaler = s
        }
        var initial: Matrix?
        if let initCentres {
            let centres = try FeatureTable.readCSV(path: initCentres, columns: table.columnNames)
            guard centres.rowCount == k else {
                throw CLIError("\(URL(fileURLWithPath: initCentres).lastPathComponent) has \(centres.rowCount) centres, --k is \(k).")
            }
            var m = try Matrix(rows: centres.rowCount, columns: centres.columnCount, values: centres.values)
            if let scaler { m = try scaler.transform(m) }
            initial = m
        }
        let settings = KMeans(clusterCount: k, maxIterations: maxIter, tolerance: tol, restarts: nInit)
        let tFit = Console.seconds()
        let model = try initial.map { try settings.fit(x, initialCentres: $0) } ?? settings.fit(x, seed: seed)
        let fitSeconds = Console.seconds() - tFit
        let centroids = try scaler.map { try $0.inverseTransform(model.centroids) } ?? model.centroids
        let sizes = model.sizes
        let file = SegmentModelFile(
            createdAt: Console.now(), toolVersion: RetainVersion.string, source: name, columns: table.columnNames,
            standardized: standardize, means: scaler?.columns.map(\.mean) ?? [], scales: scaler?.columns.map(\.scale) ?? [],
            centroids: centroids.rowArrays, names: (1...k).map { "segment \($0)" }, sizes: sizes,
            inertia: model.inertia, iterations: model.iterations, converged: model.converged,
            seed: seed, restarts: initial == nil ? nInit : 1)
        if let out {
            try AtomicFile.write(try RetainJSON.encoder().encode(file), to: out)
        }
        if json {
            try Console.printJSON(SegmentReport(file: file, fitSeconds: fitSeconds, model: out))
        } else {
            printReport(file, fitSeconds: fitSeconds, rows: table.rowCount)
        }
    }

    private func runEvents() throws {
        guard let events, let asOfText = asOf, let out else { return }
        let data = EventInput(events: events, customers: customers, config: config, roles: role)
        let cfg = try data.loadConfig()
        let t = try parseDate(asOfText, option: "--as-of")
        let started = Console.seconds()
        let result = try FeaturePipeline.build(reader: try data.reader(cfg, rejectsPath: nil),
                                               spec: FeatureSpec(config: cfg, asOf: [t], label: true), customers: try data.loadCustomers())
        let labelled = result.latestEvent >= t + Double(cfg.churn.horizonDays) * 86_400 - 86_400
        let fitted = try Segmentation.fit(result.features, asOf: t, config: cfg, k: kText == "auto" ? nil : k, useLabels: labelled,
                                          seed: seed, createdAt: Console.now(), toolVersion: RetainVersion.string)
        let b = fitted.bundle
        try AtomicFile.write(try b.encoded(), to: out)
        let seconds = Console.seconds() - started
        if json {
            try Console.printJSON(EventsSegmentReport(k: b.k, kSelection: b.kSelection, kSearch: b.kSearch, segments: b.segments,
                                                      rfm: b.rfmCounts, customers: result.features.rowCount, seconds: seconds, model: out))
            return
        }
        print("Segments of \(result.features.rowCount) customers as of \(b.asOf): \(b.kSelection)")
        if !b.kSearch.isEmpty {
            print("  k   silhouette   Calinski-Harabasz        inertia")
            for r in b.kSearch {
                print(String(format: "%3d   %10.4f   %17.1f   %12.1f%@", r.k, r.silhouette, r.calinskiHarabasz, r.inertia, r.k == b.k ? "   <- chosen" : ""))
            }
        }
        print("")
        let cols = b.features.map(\.name)
        print(Console.pad("segment", 22) + Console.pad("size", 8, right: true) + Console.pad("share", 8, right: true)
              + Console.pad("churn", 8, right: true) + cols.map { Console.pad($0, 18, right: true) }.joined())
        for s in b.segments {
            print(Console.pad(s.name, 22) + Console.pad(String(s.size), 8, right: true) + Console.pad(String(format: "%.1f%%", 100 * s.share), 8, right: true)
                  + Console.pad(s.churnRate.map { String(format: "%.1f%%", 100 * $0) } ?? "—", 8, right: true)
                  + cols.map { Console.num(s.centroid[$0], width: 18, digits: 2) }.joined())
        }
        print("")
        print("RFM segments (R, F, M quintile scores 1-5 on recency, purchases and spend over 90 days):")
        for (name, n) in b.rfmCounts.sorted(by: { $0.value > $1.value }) {
            print("  " + Console.pad(name, 22) + Console.pad(String(n), 7, right: true))
        }
        if !labelled { print("(churn rates need the log to cover \(cfg.churn.horizonDays) days after the as-of date)") }
        print("Segments written to \(out)")
    }

    private func printReport(_ f: SegmentModelFile, fitSeconds: Double, rows: Int) {
        print("k-means on \(f.source): \(rows) rows, \(f.columns.count) columns\(f.standardized ? " (standardised)" : ""), k = \(f.centroids.count)")
        print(String(format: "%@ after %d iterations in %.3f s; inertia %.6g",
                     f.converged ? "Converged" : "NOT converged", f.iterations, fitSeconds, f.inertia))
        print("")
        let width = max(10, (f.columns.map(\.count).max() ?? 0) + 2)
        var header = Console.pad("", width)
        for s in 0..<f.centroids.count { header += Console.pad("seg \(s + 1)", 13, right: true) }
        print(header)
        var sizeLine = Console.pad("size", width)
        var shareLine = Console.pad("share", width)
        for s in 0..<f.centroids.count {
            sizeLine += Console.pad(String(f.sizes[s]), 13, right: true)
            shareLine += Console.pad(String(format: "%.1f%%", 100 * Double(f.sizes[s]) / Double(max(rows, 1))), 13, right: true)
        }
        print(sizeLine)
        print(shareLine)
        for (j, c) in f.columns.enumerated() {
            var line = Console.pad(c, width)
            for s in 0..<f.centroids.count { line += Console.num(f.centroids[s][j], width: 13, digits: 4) }
            print(line)
        }
        print("")
        print("Centroids in original units.")
        if let out { print("Segments written to \(out)") }
    }
}

/// The `--json` output of `retain segment --events`.
struct EventsSegmentReport: Encodable {
    let k: Int
    let kSelection: String
    let kSearch: [KSearchRow]
    let segments: [SegmentProfile]
    let rfm: [String: Int]
    let customers: Int
    let seconds: Double
    let model: String
    enum CodingKeys: String, CodingKey {
        case k, segments, rfm, customers, seconds, model
        case kSelection = "k_selection", kSearch = "k_search"
    }
}

/// The `--json` output of `retain segment --features`.
struct SegmentReport: Encodable {
    let centroids: [[Double]]
    let columns: [String]
    let inertia: Double
    let iterations: Int
    let converged: Bool
    let fitSeconds: Double
    let sizes: [Int]
    let k: Int
    let standardized: Bool
    let model: String?

    init(file f: SegmentModelFile, fitSeconds: Double, model: String?) {
        centroids = f.centroids
        columns = f.columns
        inertia = f.inertia
        iterations = f.iterations
        converged = f.converged
        self.fitSeconds = fitSeconds
        sizes = f.sizes
        k = f.centroids.count
        standardized = f.standardized
        self.model = model
    }

    enum CodingKeys: String, CodingKey {
        case centroids, columns, inertia, iterations, converged, sizes, k, standardized, model
        case fitSeconds = "fit_seconds"
    }
}
