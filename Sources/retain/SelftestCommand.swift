import ArgumentParser
import RetainScoring

/// `retain selftest`: reproduces published reference figures from the bundled data.
struct SelftestCommand: AdvisedCommand {
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

    func execute() throws {
        let r = try Selftest.run(data: data)
        if json { try Console.printJSON(r) } else {
            print("retain selftest: published reference figures, reproduced from \(r.data)\n")
            let w = max(44, (r.checks.map(\.name.count).max() ?? 0) + 2)
            print(Console.pad("figure", w) + Console.pad("published", 12, right: true) + Console.pad("retain", 14, right: true)
                  + Console.pad("tolerance", 11, right: true) + "  match  source")
            for c in r.checks {
                print(Console.pad(c.name, w) + Console.pad(c.publishedText, 12, right: true) + Console.pad(c.valueText, 14, right: true)
                      + Console.pad(c.toleranceText, 11, right: true) + "  " + Console.pad(c.match ? "yes" : "NO", 5) + "  " + c.source.rawValue)
                if let note = c.note { print(String(repeating: " ", count: w + 4) + "note: " + note) }
            }
            print("\nSources:")
            for s in Selftest.Source.allCases { print("  \(s.rawValue): \(s.reference)") }
            print("\n" + (r.failed == 0 ? "All \(r.checks.count) figures match." : "\(r.failed) of \(r.checks.count) figures do NOT match."))
        }
        if r.failed > 0 { throw ExitCode(1) }
    }
}
