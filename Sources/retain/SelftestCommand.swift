import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain selftest`: reproduces published reference figures from the bundled data.
struct SelftestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Reproduce the published CLV figures (CDNOW) and the KPI worked examples; exit 0 when all match.",
        discussion: reflow("""
            Fits BG/NBD, Pareto/NBD and Gamma-Gamma to the published CDNOW summary (2,357
            customers, 39-week calibration), rebuilds that summary from the raw transaction log
            CDNOW_sample.txt the way `retain clv --cdnow` does, and evaluates the KPI formulas on
            their worked examples. Each figure is printed beside the published value and its
            source. A figure matches when it is within half a unit of the last published digit
            (i.e. it rounds to the published value), unless a note gives a wider tolerance and why.

            The data are datasets/cdnow, looked for under --data, the current directory, and the
            folders above the executable. Exit status 0 when every figure matches, 1 otherwise.
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Folder with the CDNOW files (datasets/cdnow, or a folder containing it).", valueName: "DIR"))
    var data: String?

    @Flag(name: .long, help: "Print one JSON object on stdout instead of the readable table.")
    var json = false

    func run() throws {
        let dir = try Self.locateData(data)
        var checks: [Check] = []
        try checks += Self.cdnowChecks(dir)
        checks += Self.kpiChecks()
        let failed = checks.filter { !$0.match }.count
        if json {
            try Console.printJSON(SelftestReport(data: dir, passed: checks.count - failed, failed: failed,
                                                 allMatch: failed == 0, checks: checks,
                                                 sources: Dictionary(uniqueKeysWithValues: Source.allCases.map { ($0.rawValue, $0.reference) })))
        } else {
            print("retain selftest: published reference figures, reproduced from \(dir)")
            print("")
            let w = max(44, (checks.map(\.name.count).max() ?? 0) + 2)
            print(Console.pad("figure", w) + Console.pad("published", 12, right: true) + Console.pad("retain", 14, right: true)
                  + Console.pad("tolerance", 11, right: true) + "  match  source")
            for c in checks {
                print(Console.pad(c.name, w) + Console.pad(c.publishedText, 12, right: true) + Console.pad(c.valueText, 14, right: true)
                      + Console.pad(c.toleranceText, 11, right: true) + "  " + Console.pad(c.match ? "yes" : "NO", 5) + "  " + c.source.rawValue)
                if let note = c.note { print(String(repeating: " ", count: w + 4) + "note: " + note) }
            }
            print("")
            print("Sources:")
            for s in Source.allCases { print("  \(s.rawValue): \(s.reference)") }
            print("")
            print(failed == 0 ? "All \(checks.count) figures match." : "\(failed) of \(checks.count) figures do NOT match.")
        }
        if failed > 0 { throw ExitCode(1) }
    }

    // MARK: Sources and checks

    enum Source: String, CaseIterable {
        case fhl2005 = "FHL 2005"
        case fh025 = "Fader-Hardie 025"
        case summary = "CDNOW summary"
        case kpi = "DESIGN.md KPIs"

        var reference: String {
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
    struct Check: Encodable {
        let name: String
        let published: Double
        let publishedText: String
        let value: Double
        let tolerance: Double
        let source: Source
        let note: String?
        var match: Bool { value.isFinite && abs(value - published) <= tolerance * (1 + 1e-12) }

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

        var valueText: String {
            guard value.isFinite else { return "—" }
            if value == value.rounded() && abs(value) < 1e9 { return NumberFormatter.localizedString(from: NSNumber(value: Int(value)), number: .decimal) }
            let decimals = max(3, (publishedText.split(separator: ".").dropFirst().first?.count ?? 0) + 2)
            return String(format: "%.\(decimals)f", value)
        }

        var toleranceText: String { "±" + String(format: "%g", tolerance) }

        enum CodingKeys: String, CodingKey {
            case name, published, value, tolerance, match, source, note
            case publishedText = "published_text"
        }

        func encode(to encoder: Encoder) throws {
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

    static func cdnowChecks(_ dir: String) throws -> [Check] {
        let ref = try PublishedSummary.read(path: dir + "/cdnow_customers_summary_with_transactions.csv")
        let rfm = try RFMData(frequency: ref.x, recency: ref.tx, age: ref.T, timeUnit: .week)
        var c: [Check] = []

        // The summary rebuilt from the raw log, as `retain clv --cdnow` builds it.
        let log = try CDNOW.read(path: dir + "/CDNOW_sample.txt")
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

    /// The CDNOW folder: --data (the folder itself, or one containing cdnow/ or datasets/cdnow/),
    /// else the current directory, else the folders above the executable.
    static func locateData(_ option: String?) throws -> String {
        let fm = FileManager.default
        func hasData(_ d: String) -> Bool {
            fm.fileExists(atPath: d + "/CDNOW_sample.txt") && fm.fileExists(atPath: d + "/cdnow_customers_summary_with_transactions.csv")
        }
        func candidates(_ base: String) -> [String] { [base, base + "/cdnow", base + "/datasets/cdnow"] }
        var tried: [String] = []
        if let option {
            for d in candidates(option) { if hasData(d) { return d }; tried.append(d) }
            throw CLIError("--data \(option): no CDNOW_sample.txt and cdnow_customers_summary_with_transactions.csv there (looked in \(tried.joined(separator: ", "))). Pass the folder datasets/cdnow of the retain repository.")
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
        throw CLIError("the bundled CDNOW data were not found (looked for datasets/cdnow in the current directory and above the executable). Run from the retain repository, or pass --data DIR (the folder datasets/cdnow).")
    }

    /// cdnow_customers_summary_with_transactions.csv: ID, x, t_x, T (weeks), zbar.
    struct PublishedSummary {
        var id: [Int] = [], x: [Double] = [], tx: [Double] = [], T: [Double] = [], zbar: [Double] = []

        static func read(path: String) throws -> PublishedSummary {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CLIError("cannot read \(path): no such file or not readable.")
            }
            var s = PublishedSummary()
            for (k, line) in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).enumerated().dropFirst() {
                let f = line.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard f.count == 5, f.allSatisfy({ $0 != nil }) else {
                    throw CLIError("\(path) line \(k + 1): expected 5 numbers (ID,x,t_x,T,zbar).")
                }
                s.id.append(Int(f[0]!)); s.x.append(f[1]!); s.tx.append(f[2]!); s.T.append(f[3]!); s.zbar.append(f[4]!)
            }
            return s
        }
    }
}

/// The `--json` output of `retain selftest`.
struct SelftestReport: Encodable {
    let data: String
    let passed: Int
    let failed: Int
    let allMatch: Bool
    let checks: [SelftestCommand.Check]
    let sources: [String: String]

    enum CodingKeys: String, CodingKey {
        case data, passed, failed, checks, sources
        case allMatch = "all_match"
    }
}
