import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// Reproduces published reference figures from the bundled data: BG/NBD, Pareto/NBD and
/// Gamma-Gamma on the published CDNOW summary, that summary rebuilt from the raw transaction log
/// (as `CLVAnalysis` builds it), and the KPI formulas on their worked examples.
///
/// A figure matches when it is within half a unit of the last published digit (it rounds to the
/// published value), unless the check gives a wider tolerance and a note saying why.
public enum Selftest {
    static let sampleFile = "CDNOW_sample.txt"
    static let summaryFile = "cdnow_customers_summary_with_transactions.csv"

    /// Runs every check.
    ///
    /// - Parameter data: The CDNOW folder (`datasets/cdnow`, or a folder holding `cdnow/` or
    ///   `datasets/cdnow/`); nil: the current directory, then the folders above the executable.
    /// - Throws: `ScoringError.selftestDataNotFound`, or `IngestError` / `NumericsError` when a file cannot
    ///   be read or a fit fails.
    public static func run(data: String? = nil) throws -> Report {
        let dir = try locateData(data)
        let checks = try cdnowChecks(dir) + kpiChecks()
        let failed = checks.filter { !$0.match }.count
        return Report(data: dir, passed: checks.count - failed, failed: failed, allMatch: failed == 0, checks: checks,
                      sources: Dictionary(uniqueKeysWithValues: Source.allCases.map { ($0.rawValue, $0.reference) }))
    }

    /// The `--json` output of `retain selftest`.
    public struct Report: Encodable, Sendable {
        /// The folder the data were read from.
        public let data: String
        public let passed: Int
        public let failed: Int
        public let allMatch: Bool
        public let checks: [Check]
        /// Each source's full reference, by its short name.
        public let sources: [String: String]

        enum CodingKeys: String, CodingKey {
            case data, passed, failed, checks, sources
            case allMatch = "all_match"
        }
    }

    /// Where a published figure comes from.
    public enum Source: String, CaseIterable, Sendable {
        case fhl2005 = "FHL 2005"
        case fh025 = "Fader-Hardie 025"
        case summary = "CDNOW summary"
        case kpi = "DESIGN.md KPIs"

        /// The full reference.
        public var reference: String {
            switch self {
            case .fhl2005:
                return "Fader, Hardie & Lee (2005), \"Counting your customers the easy way: an alternative to the Pareto/NBD model\", Marketing Science 24(2): BG/NBD and Pareto/NBD on the 2,357-customer CDNOW sample, 39-week calibration (figures as listed in datasets/cdnow/README.md)"
            case .fh025:
                return "Fader & Hardie, \"The Gamma-Gamma model of monetary value\" (note 025), on the 946 repeat buyers of the CDNOW sample (datasets/cdnow/README.md)"
            case .summary:
                return "datasets/cdnow/cdnow_customers_summary_with_transactions.csv, the published summary (x, t_x, T in weeks to 0.01, zbar in dollars to 0.01) the fits above use"
            case .kpi:
                return "DESIGN.md, \"KPI formulas\", with the worked examples of the source documents"
            }
        }
    }

    /// One reproduced figure.
    public struct Check: Encodable, Sendable {
        public let name: String
        /// The published value, and as written (with its digits and separators).
        public let published: Double
        public let publishedText: String
        /// The reproduced value.
        public let value: Double
        public let tolerance: Double
        public let source: Source
        /// Why the tolerance is wider, or how the figure is compared.
        public let note: String?
        /// Whether the value is within the tolerance of the published one.
        public var match: Bool { value.isFinite && abs(value - published) <= tolerance * (1 + 1e-12) }

        /// `published` as written; tolerance half a unit of its last digit unless given.
        init(_ name: String, _ publishedText: String, _ value: Double, _ source: Source, tolerance: Double? = nil, note: String? = nil) {
            self.name = name
            self.publishedText = publishedText
            let plain = publishedText.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "−", with: "-")
                .replacingOccurrences(of: "%", with: "")
            published = Double(plain) ?? .nan
            let decimals = plain.split(separator: ".").dropFirst().first?.count ?? 0
            self.tolerance = tolerance ?? 0.5 * pow(10, -Double(decimals))
            self.value = value
            self.source = source
            self.note = note
        }

        /// The value for a table: whole numbers with thousands separators, others with two more
        /// decimals than published (at least 3), "—" when not finite.
        public var valueText: String {
            guard value.isFinite else { return "—" }
            if value == value.rounded() && abs(value) < 1e9 { return NumberFormatter.localizedString(from: NSNumber(value: Int(value)), number: .decimal) }
            let decimals = max(3, (publishedText.split(separator: ".").dropFirst().first?.count ?? 0) + 2)
            return String(format: "%.\(decimals)f", value)
        }

        public var toleranceText: String { "±" + String(format: "%g", tolerance) }

        enum CodingKeys: String, CodingKey {
            case name, published, value, tolerance, match, source, note
            case publishedText = "published_text"
        }

        public func encode(to encoder: Encoder) throws {
            var k = encoder.container(keyedBy: CodingKeys.self)
            try k.encode(name, forKey: .name)
            try k.encode(published, forKey: .published)
            try k.encode(publishedText, forKey: .publishedText)
            try k.encode(RetainJSON.finite(value), forKey: .value)
            try k.encode(tolerance, forKey: .tolerance)
            try k.encode(match, forKey: .match)
            try k.encode(source.reference, forKey: .source)
            try k.encode(note, forKey: .note)
        }
    }

    // MARK: Checks

    static func cdnowChecks(_ dir: String) throws -> [Check] {
        let ref = try PublishedSummary.read(path: dir + "/" + summaryFile)
        let rfm = try RFMData(frequency: ref.x, recency: ref.tx, age: ref.T, timeUnit: .week)
        var c: [Check] = []

        // The summary rebuilt from the raw log, as `CLVAnalysis` builds it from a CDNOW file.
        let log = try CDNOW.read(path: dir + "/" + sampleFile)
        let calDay = Double(Timestamp.daysFromCivil(year: 1997, month: 9, day: 30))
        let s = try RFMSummary(customers: log.customer.map { Int($0) }, times: log.day, values: log.value,
                               calibrationEnd: calDay, timeUnit: .week)
        var agree = 0
        if s.customers.count == ref.id.count {
            for i in 0..<ref.id.count {
                let id = Int(log.customerIDs[s.customers[i]]) ?? -1
                func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
                if id == ref.id[i], s.frequency[i] == ref.x[i], abs(round2(s.recency[i]) - ref.tx[i]) < 1e-9,
                   abs(round2(s.age[i]) - ref.T[i]) < 1e-9, abs(s.monetaryValue[i] - ref.zbar[i]) <= 0.0051 { agree += 1 }
            }
        }
        c.append(Check("CDNOW_sample.txt -> summary: customers", "2,357", Double(s.customers.count), .summary))
        c.append(Check("  rows equal to the published summary", "2,357", Double(agree), .summary,
                       note: "x exact; t_x, T rounded to 0.01 week; mean repeat value zbar within half a cent"))
        c.append(Check("  repeat buyers (x > 0)", "946", Double(s.frequency.filter { $0 > 0 }.count), .fh025))

        let bg = try BetaGeometricNBD().fit(rfm)
        c.append(Check("BG/NBD r", "0.243", bg.params.r, .fhl2005))
        c.append(Check("BG/NBD alpha", "4.414", bg.params.alpha, .fhl2005))
        c.append(Check("BG/NBD a", "0.793", bg.params.a, .fhl2005))
        c.append(Check("BG/NBD b", "2.426", bg.params.b, .fhl2005))
        c.append(Check("BG/NBD log-likelihood", "-9,582.43", bg.logLikelihood, .fhl2005))
        c.append(Check("BG/NBD E[X(39) | x=2, t_x=30.43, T=38.86]", "1.226",
                       bg.expectedPurchases(t: 39, frequency: 2, recency: 30.43, age: 38.86), .fhl2005))

        let pn = try ParetoNBD().fit(rfm)
        c.append(Check("Pareto/NBD r", "0.553", pn.params.r, .fhl2005))
        c.append(Check("Pareto/NBD alpha", "10.578", pn.params.alpha, .fhl2005))
        c.append(Check("Pareto/NBD s", "0.606", pn.params.s, .fhl2005))
        c.append(Check("Pareto/NBD beta", "11.669", pn.params.beta, .fhl2005, tolerance: 0.0015,
                       note: "the maximum-likelihood beta on the published summary is 11.668 (lifetimes agrees); the published 11.669 is 0.001 above it where the likelihood is flat (the log-likelihood matches to 0.005)"))
        c.append(Check("Pareto/NBD log-likelihood", "-9,594.97", pn.logLikelihood, .fhl2005))

        let gg = try GammaGamma().fit(frequency: ref.x, monetaryValue: ref.zbar)
        c.append(Check("Gamma-Gamma repeat buyers fitted", "946", gg.customerCount, .fh025))
        c.append(Check("Gamma-Gamma p", "6.25", gg.params.p, .fh025))
        c.append(Check("Gamma-Gamma q", "3.74", gg.params.q, .fh025))
        c.append(Check("Gamma-Gamma gamma", "15.44", gg.params.gamma, .fh025, tolerance: 0.01,
                       note: "maximum-likelihood gamma is 15.448 (lifetimes agrees); the source truncates it to 15.44, so one unit of the last digit is allowed"))
        c.append(Check("Gamma-Gamma log-likelihood", "-4,055.92", gg.logLikelihood, .fh025))

        // The same BG/NBD from the rebuilt (unrounded) summary: the `retain clv --cdnow` path.
        let bgRaw = try BetaGeometricNBD().fit(s.data)
        c.append(Check("BG/NBD r from CDNOW_sample.txt", "0.243", bgRaw.params.r, .fhl2005))
        c.append(Check("BG/NBD alpha from CDNOW_sample.txt", "4.414", bgRaw.params.alpha, .fhl2005))
        c.append(Check("BG/NBD a from CDNOW_sample.txt", "0.793", bgRaw.params.a, .fhl2005))
        c.append(Check("BG/NBD b from CDNOW_sample.txt", "2.426", bgRaw.params.b, .fhl2005))
        c.append(Check("BG/NBD log-likelihood from CDNOW_sample.txt", "-9,582.43", bgRaw.logLikelihood, .fhl2005))
        return c
    }

    /// The worked examples, through the shipped formulas (RetainFeatures' `KPIFormula`).
    static func kpiChecks() -> [Check] {
        let f = KPIFormula.self
        return [
            Check("retention: 10,000 -> 12,000 with 5,000 new (%)", "70", f.retentionRate(atEnd: 12_000, new: 5_000, atStart: 10_000) ?? .nan, .kpi,
                  tolerance: 1e-9, note: "(end - new) / start x 100, not (end - start) / start"),
            Check("NPS: 300 promoters, 100 passives, 100 detractors", "40", f.nps(promoters: 300, passives: 100, detractors: 100) ?? .nan, .kpi, tolerance: 1e-9),
            Check("churn: 100 lost of 1,000 at start (%)", "10", f.churnRate(lost: 100, atStart: 1_000) ?? .nan, .kpi, tolerance: 1e-9),
            Check("CTR: 100 clicks of 1,000 impressions (%)", "10", f.clickThroughRate(clicks: 100, sends: 1_000) ?? .nan, .kpi, tolerance: 1e-9),
            Check("social engagement: 750 interactions, 10,000 followers (%)", "7.5",
                  f.socialEngagementRate(likes: 750, shares: 0, comments: 0, followers: 10_000) ?? .nan, .kpi, tolerance: 1e-9),
        ]
    }

    // MARK: Data

    /// The CDNOW folder: `folder` (the folder itself, or one containing cdnow/ or datasets/cdnow/),
    /// else the current directory, else the folders above the executable.
    static func locateData(_ folder: String?) throws -> String {
        let fm = FileManager.default
        func hasData(_ d: String) -> Bool {
            fm.fileExists(atPath: d + "/" + sampleFile) && fm.fileExists(atPath: d + "/" + summaryFile)
        }
        func candidates(_ base: String) -> [String] { [base, base + "/cdnow", base + "/datasets/cdnow"] }
        var tried: [String] = []
        if let folder {
            for d in candidates(folder) { if hasData(d) { return d }; tried.append(d) }
            throw ScoringError.selftestDataNotFound(folder: folder, tried: tried)
        }
        let cwd = fm.currentDirectoryPath
        for d in candidates(cwd) { if hasData(d) { return d }; tried.append(d) }
        var exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if let e = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() { exe = e }
        for _ in 0..<6 {
            for d in [exe.path + "/datasets/cdnow", exe.path + "/share/retain/datasets/cdnow"] {
                if hasData(d) { return d }
                tried.append(d)
            }
            exe = exe.deletingLastPathComponent()
        }
        throw ScoringError.selftestDataNotFound(folder: nil, tried: tried)
    }

    /// cdnow_customers_summary_with_transactions.csv: ID, x, t_x, T (weeks), zbar.
    struct PublishedSummary {
        var id: [Int] = [], x: [Double] = [], tx: [Double] = [], T: [Double] = [], zbar: [Double] = []

        /// - Throws: `IngestError` naming the file, line and column of the first problem.
        static func read(path: String) throws -> PublishedSummary {
            let table = try FeatureTable.readCSV(path: path, columns: ["ID", "x", "t_x", "T", "zbar"])
            var s = PublishedSummary()
            for i in 0..<table.rowCount {
                let row = Array(table.values[(i * 5)..<(i * 5 + 5)])
                guard let id = Int(exactly: row[0]) else {
                    let line = FeatureTable.physicalLine(ofDataRow: i, path: path) ?? i + 2
                    throw IngestError.notANumber(file: path, line: line, column: "ID (whole numbers)", cell: CellShape(value: row[0]))
                }
                s.id.append(id); s.x.append(row[1]); s.tx.append(row[2]); s.T.append(row[3]); s.zbar.append(row[4])
            }
            return s
        }
    }
}
