import ArgumentParser
import Foundation
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain segment --features FILE.csv --k K …`: k-means segments on a prepared feature table.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment customers with k-means on a prepared feature table.",
        discussion: """
            k-means++ seeding (from --seed), --n-init restarts keeping the lowest inertia, then Lloyd
            iterations accelerated with Hamerly's bounds (same result as plain Lloyd). With --init the
            given centres (a CSV with the same column names, in original units) start a single run.
            With --standardize each column is centred and scaled first; centroids are always reported
            in original units and input column order, inertia in the space that was clustered.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Feature table (CSV with a header).", valueName: "file.csv"))
    var features: String

    @Option(name: .long,
            help: ArgumentHelp("Comma-separated columns to cluster on (default: every numeric column but --id).", valueName: "a,b,c"))
    var columns: String?

    @Option(name: .long, help: ArgumentHelp("Name of an id column to leave out.", valueName: "column"))
    var id: String?

    @Option(name: .customLong("k"), help: ArgumentHelp("Number of segments.", valueName: "K"))
    var k: Int

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
        guard k >= 1 else { throw ValidationError("--k must be at least 1, got \(k).") }
        guard nInit >= 1 else { throw ValidationError("--n-init must be at least 1, got \(nInit).") }
        guard maxIter >= 1 else { throw ValidationError("--max-iter must be at least 1, got \(maxIter).") }
        guard tol >= 0 else { throw ValidationError("--tol must be >= 0, got \(tol).") }
    }

    func run() throws {
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
