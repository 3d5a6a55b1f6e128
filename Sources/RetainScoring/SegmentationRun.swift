import Foundation
import Logging
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// The segmentation workflows: k-means segments of event history or of a prepared table, written
/// as a model file of kind `segments` that `Scorer` accepts as its segment model, and RFM segments
/// of event history (the same kind with method `rfm`, which describes the base and is not scored).
public enum SegmentationRun {
    /// Settings of `fromEvents`.
    public struct EventsOptions: Sendable, Equatable {
        public var input: EventInput
        /// As-of instant (Unix seconds, 00:00 UTC).
        public var asOf: Double
        /// k-means (the default) or RFM.
        public var method: SegmentMethod
        /// Number of k-means segments; nil = the best silhouette over `kRange` (ignored for RFM).
        public var k: Int?
        /// The ks searched when `k` is nil (lower bound at least 2).
        public var kRange: ClosedRange<Int>
        /// Smallest share of customers a segment of an automatically chosen k may hold.
        public var minShare: Double
        /// What RFM's M measures (also for the RFM counts stored beside k-means segments).
        public var monetary: RFM.Monetary
        public var seed: UInt64
        /// The model file to write.
        public var out: String
        public var createdAt: String
        public var toolVersion: String

        public init(input: EventInput, asOf: Double, method: SegmentMethod = .kmeans, k: Int?, kRange: ClosedRange<Int> = Segmentation.defaultKRange,
                    minShare: Double = Segmentation.defaultMinShare, monetary: RFM.Monetary = .total, seed: UInt64 = 0, out: String,
                    createdAt: String, toolVersion: String) {
            self.input = input; self.asOf = asOf; self.method = method; self.k = k; self.kRange = kRange; self.minShare = minShare
            self.monetary = monetary; self.seed = seed; self.out = out
            self.createdAt = createdAt; self.toolVersion = toolVersion
        }
    }

    /// Settings of `fromTable`.
    public struct TableOptions: Sendable, Equatable {
        /// The table: CSV with a header.
        public var path: String
        /// Columns to cluster on (nil: every numeric column but the id column).
        public var columns: [String]?
        public var idColumn: String?
        public var k: Int
        /// Seed of k-means++ seeding, and restarts (the lowest inertia wins).
        public var seed: UInt64
        public var restarts: Int
        /// Initial centres (CSV naming the clustered columns, `k` rows, original units): one run from them.
        public var initialCentres: String?
        public var maxIterations: Int
        /// scikit-learn's tol; 0 runs until no assignment changes.
        public var tolerance: Double
        /// Centre and scale each column before clustering.
        public var standardize: Bool
        /// The model file to write, if any.
        public var out: String?
        public var createdAt: String
        public var toolVersion: String

        public init(path: String, columns: [String]? = nil, idColumn: String? = nil, k: Int, seed: UInt64 = 0, restarts: Int = 1,
                    initialCentres: String? = nil, maxIterations: Int = 300, tolerance: Double = 0, standardize: Bool = false,
                    out: String? = nil, createdAt: String, toolVersion: String) {
            self.path = path; self.columns = columns; self.idColumn = idColumn; self.k = k; self.seed = seed; self.restarts = restarts
            self.initialCentres = initialCentres; self.maxIterations = maxIterations; self.tolerance = tolerance
            self.standardize = standardize; self.out = out; self.createdAt = createdAt; self.toolVersion = toolVersion
        }
    }

    /// Segments the customers of an event history at one as-of date and writes the model file:
    /// k-means (`Segmentation.fit`, with the RFM counts beside it) or RFM (`RFM.fit`). The
    /// customers are those the feature builder knows at the as-of date; churn rates per segment
    /// are given when the log covers the horizon after it.
    ///
    /// - Throws: `ScoringError` (`.noPurchaseEvents` for RFM on a log without purchases, the
    ///   k search's errors), the reader's `IngestError`, `NumericsError`.
    public static func fromEvents(_ o: EventsOptions) throws -> EventsReport {
        let cfg = try o.input.loadConfig()
        let started = DispatchTime.now().uptimeNanoseconds
        let result = try FeaturePipeline.build(reader: try o.input.reader(cfg, rejectsPath: nil),
                                               spec: FeatureSpec(config: cfg, asOf: [o.asOf], label: true),
                                               customers: try o.input.loadCustomers())
        let labelled = result.latestEvent >= o.asOf + Double(cfg.churn.horizonDays) * 86_400 - 86_400
        let reader = try o.input.reader(cfg, rejectsPath: nil)
        let purchases = try RFM.purchases(reader, roles: cfg.roles, before: o.asOf)
        let rfm = RFM.fit(result.features, purchases: purchases, asOf: o.asOf, config: cfg, monetary: o.monetary, useLabels: labelled,
                          createdAt: o.createdAt, toolVersion: o.toolVersion)
        let bundle: SegmentBundle
        switch o.method {
        case .rfm:
            guard !purchases.isEmpty || reader.eventTypes.contains(where: { cfg.roles.role(of: $0) == .purchase }) else {
                throw ScoringError.noPurchaseEvents(source: o.input.events, eventTypes: reader.eventTypes)
            }
            bundle = rfm.bundle
        case .kmeans:
            bundle = try Segmentation.fit(result.features, asOf: o.asOf, config: cfg, k: o.k, kRange: o.kRange, minShare: o.minShare,
                                          useLabels: labelled, seed: o.seed, rfmCounts: rfm.bundle.rfmCounts,
                                          createdAt: o.createdAt, toolVersion: o.toolVersion).bundle
        }
        try ModelEnvelope.write(bundle, to: o.out)
        return EventsReport(bundle: bundle, customers: result.features.rowCount,
                            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, model: o.out,
                            labelled: labelled, horizonDays: cfg.churn.horizonDays)
    }

    /// k-means on a prepared table: k-means++ seeding from `seed`, `restarts` runs keeping the
    /// lowest inertia (or one run from the given centres), Lloyd iterations with Hamerly's bounds.
    /// Centroids are reported in original units; with `out` the model file scores new rows by the
    /// nearest centre (missing → the column mean).
    ///
    /// - Parameter logger: Gets timing lines at info level (silent by default).
    /// - Throws: `ScoringError` (`.noColumnsToCluster`, `.tooFewRowsForSegments`, `.centreCount`),
    ///   the table reader's `IngestError`, `NumericsError`.
    public static func fromTable(_ o: TableOptions, logger: Logger = RetainLog.silent) throws -> TableReport {
        let name = o.path
        let t0 = DispatchTime.now().uptimeNanoseconds
        let table = try FeatureTable.readCSV(path: o.path, idColumn: o.idColumn, columns: o.columns)
        let message = String(format: "read %d rows x %d columns from %@ in %.2f s", table.rowCount, table.columnCount, name,
                        Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        logger.info("\(message)")
        guard table.columnCount > 0 else { throw ScoringError.noColumnsToCluster(file: name) }
        guard table.rowCount >= o.k else { throw ScoringError.tooFewRowsForSegments(rows: table.rowCount, k: o.k) }
        var x = try Matrix(rows: table.rowCount, columns: table.columnCount, values: table.values)
        var scaler: FittedScaler?
        if o.standardize {
            let s = try Scaler().fit(x)
            x = try s.transform(x)
            scaler = s
        }
        var initial: Matrix?
        if let path = o.initialCentres {
            let centres = try FeatureTable.readCSV(path: path, columns: table.columnNames)
            guard centres.rowCount == o.k else {
                throw ScoringError.centreCount(file: URL(fileURLWithPath: path).lastPathComponent, found: centres.rowCount, k: o.k)
            }
            var m = try Matrix(rows: centres.rowCount, columns: centres.columnCount, values: centres.values)
            if let scaler { m = try scaler.transform(m) }
            initial = m
        }
        let settings = KMeans(clusterCount: o.k, maxIterations: o.maxIterations, tolerance: o.tolerance, restarts: o.restarts)
        let tFit = DispatchTime.now().uptimeNanoseconds
        let model = try initial.map { try settings.fit(x, initialCentres: $0) } ?? settings.fit(x, seed: o.seed)
        let fitSeconds = Double(DispatchTime.now().uptimeNanoseconds - tFit) / 1e9
        let centroids = try scaler.map { try $0.inverseTransform(model.centroids) } ?? model.centroids
        let report = TableReport(source: name, rows: table.rowCount, columns: table.columnNames, centroids: centroids.rowArrays,
                                 sizes: model.sizes, inertia: model.inertia, iterations: model.iterations, converged: model.converged,
                                 standardized: o.standardize, fitSeconds: fitSeconds, model: o.out)
        if let out = o.out {
            let p = table.columnCount, n = table.rowCount
            let features = table.columnNames.enumerated().map { j, column -> BundleFeature in
                var sum = 0.0
                for r in 0..<n { sum += table.values[r * p + j] }
                let s = scaler?.columns[j]
                return BundleFeature(name: column, impute: n > 0 ? sum / Double(n) : 0, log1p: false, mean: s?.mean ?? 0, scale: s?.scale ?? 1)
            }
            let profiles = (0..<o.k).map { s in
                SegmentProfile(name: "segment \(s + 1)", size: report.sizes[s], share: Double(report.sizes[s]) / Double(max(n, 1)),
                               centroid: Dictionary(zip(table.columnNames, report.centroids[s]), uniquingKeysWith: { a, _ in a }), churnRate: nil)
            }
            let bundle = SegmentBundle(
                createdAt: o.createdAt, toolVersion: o.toolVersion, asOf: "", fingerprint: DataFingerprint.of(table), config: FeatureConfig(),
                features: features, centres: model.centroids.rowArrays, segments: profiles, k: o.k,
                kSelection: "k = \(o.k) (given)", kSearch: [], seed: o.seed, inertia: model.inertia, rfmCounts: [:],
                table: TableClustering(source: name, standardized: o.standardize, iterations: model.iterations,
                                       converged: model.converged, restarts: initial == nil ? o.restarts : 1))
            try ModelEnvelope.write(bundle, to: out)
        }
        return report
    }
}

extension SegmentationRun {
    /// What `fromEvents` fitted: the `--json` report of `retain segment --events` and its readable `text`.
    public struct EventsReport: WorkflowReport {
        public var bundle: SegmentBundle
        public var customers: Int
        public var seconds: Double
        /// The model file written.
        public var model: String
        /// Whether the log covers the horizon after the as-of date (churn rates per segment).
        public var labelled: Bool
        public var horizonDays: Int

        enum CodingKeys: String, CodingKey {
            case method, k, segments, rfm, customers, seconds, model
            case kSelection = "k_selection", kSearch = "k_search", rfmScores = "rfm_scores"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(bundle.segmentMethod, forKey: .method)
            try c.encode(bundle.k, forKey: .k)
            try c.encode(bundle.kSelection, forKey: .kSelection)
            try c.encode(bundle.kSearch, forKey: .kSearch)
            try c.encode(bundle.segments, forKey: .segments)
            try c.encode(bundle.rfmCounts, forKey: .rfm)
            try c.encodeIfPresent(bundle.rfm, forKey: .rfmScores)
            try c.encode(customers, forKey: .customers)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(model, forKey: .model)
        }

        /// A whole number without decimals, else two.
        static func short(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%.2f", v) }

        /// The readable report: the k search (each k's silhouette, smallest segment and whether it
        /// was admissible), each segment's size, share, churn rate and profile, and the RFM counts.
        public var text: String {
            let b = bundle
            var out = ["Segments of \(customers) customers as of \(b.asOf): \(b.kSelection)"]
            if !b.kSearch.isEmpty {
                out.append("  k   silhouette   Calinski-Harabasz        inertia   smallest")
                for r in b.kSearch {
                    let note = r.k == b.k ? "   <- chosen" : (r.admissible == false ? "   rejected: a segment under the minimum share" : "")
                    out.append(String(format: "%3d   %10.4f   %17.1f   %12.1f   %7.1f%%%@", r.k, r.silhouette, r.calinskiHarabasz, r.inertia,
                                      100 * (r.smallestShare ?? .nan), note))
                }
            }
            out.append("")
            let cols = b.segmentMethod == .rfm ? ["days_since_purchase", "purchases", "monetary", "r", "f", "m"] : b.features.map(\.name)
            let width = max(22, (b.segments.map(\.name.count).max() ?? 0) + 2)
            out.append(ReportText.pad("segment", width) + ReportText.pad("size", 8, right: true) + ReportText.pad("share", 8, right: true)
                       + ReportText.pad("churn", 8, right: true) + cols.map { ReportText.pad($0, 20, right: true) }.joined())
            for s in b.segments {
                out.append(ReportText.pad(s.name, width) + ReportText.pad(String(s.size), 8, right: true) + ReportText.pad(String(format: "%.1f%%", 100 * s.share), 8, right: true)
                           + ReportText.pad(s.churnRate.map { String(format: "%.1f%%", 100 * $0) } ?? "—", 8, right: true)
                           + cols.map { ReportText.num(s.centroid[$0], width: 20, digits: 2) }.joined())
            }
            out.append("")
            if let rfm = b.rfm {
                out.append("Score ranges (R: days since the last purchase, F: purchases, M: \(rfm.monetary.rawValue) purchase value):")
                for d in ["r", "f", "m"] {
                    let parts = rfm.scoreRanges.filter { $0.dimension == d }.sorted { $0.score > $1.score }
                        .map { "\($0.score): \(Self.short($0.min))–\(Self.short($0.max)) (\($0.customers))" }
                    out.append("  " + d.uppercased() + "  " + parts.joined(separator: ", "))
                }
            } else if !b.rfmCounts.isEmpty {
                out.append("RFM segments (quintile scores of days since the last purchase, purchases and purchase value before the as-of date):")
                for (name, n) in b.rfmCounts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                    out.append("  " + ReportText.pad(name, 22) + ReportText.pad(String(n), 7, right: true))
                }
            }
            if !labelled { out.append("(churn rates need the log to cover \(horizonDays) days after the as-of date)") }
            out.append("Segments written to \(model)")
            return out.joined(separator: "\n")
        }
    }

    /// What `fromTable` fitted: the `--json` report of `retain segment --features` and its readable `text`.
    public struct TableReport: WorkflowReport {
        public var source: String
        public var rows: Int
        public var columns: [String]
        /// Centres in original units, one array per segment, in `columns` order.
        public var centroids: [[Double]]
        public var sizes: [Int]
        /// Inertia in the space that was clustered.
        public var inertia: Double
        public var iterations: Int
        public var converged: Bool
        public var standardized: Bool
        public var fitSeconds: Double
        /// The model file written, if any.
        public var model: String?

        enum CodingKeys: String, CodingKey {
            case centroids, columns, inertia, iterations, converged, sizes, k, standardized, model
            case fitSeconds = "fit_seconds"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(centroids, forKey: .centroids)
            try c.encode(columns, forKey: .columns)
            try c.encode(inertia, forKey: .inertia)
            try c.encode(iterations, forKey: .iterations)
            try c.encode(converged, forKey: .converged)
            try c.encode(fitSeconds, forKey: .fitSeconds)
            try c.encode(sizes, forKey: .sizes)
            try c.encode(centroids.count, forKey: .k)
            try c.encode(standardized, forKey: .standardized)
            try c.encodeIfPresent(model, forKey: .model)
        }

        /// The readable report: fit summary, then size, share and centroid of each segment.
        public var text: String {
            var out = ["k-means on \(source): \(rows) rows, \(columns.count) columns\(standardized ? " (standardised)" : ""), k = \(centroids.count)"]
            out.append(String(format: "%@ after %d iterations in %.3f s; inertia %.6g", converged ? "Converged" : "NOT converged", iterations, fitSeconds, inertia))
            out.append("")
            let width = max(10, (columns.map(\.count).max() ?? 0) + 2)
            var header = ReportText.pad("", width), sizeLine = ReportText.pad("size", width), shareLine = ReportText.pad("share", width)
            for s in 0..<centroids.count {
                header += ReportText.pad("seg \(s + 1)", 13, right: true)
                sizeLine += ReportText.pad(String(sizes[s]), 13, right: true)
                shareLine += ReportText.pad(String(format: "%.1f%%", 100 * Double(sizes[s]) / Double(max(rows, 1))), 13, right: true)
            }
            out += [header, sizeLine, shareLine]
            for (j, c) in columns.enumerated() {
                out.append(ReportText.pad(c, width) + centroids.map { ReportText.num($0[j], width: 13, digits: 4) }.joined())
            }
            out.append("")
            out.append("Centroids in original units.")
            if let model { out.append("Segments written to \(model)") }
            return out.joined(separator: "\n")
        }
    }
}
