import ArgumentParser
import Foundation
import RetainStore

/// `retain demo`: the whole daily workflow on the bundled sample, with a short summary.
struct DemoCommand: AdvisedCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run features → train → segment → score → export on the bundled sample and summarise.",
        discussion: reflow("""
            Uses datasets/sample (events.csv, customers.csv) under --data (default: the current
            directory). Writes the feature table, model bundles, score history and marketing lists
            under --out; each step writes what its own command would write.
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Directory holding datasets/sample (the project's root).", valueName: "dir"))
    var data: String = "."

    @Option(name: .long, help: ArgumentHelp("Where to write the demo's files.", valueName: "dir"))
    var out: String = "out/demo"

    @Option(name: .long, help: ArgumentHelp("Scoring date; the model trains on the months before it.", valueName: "date"))
    var asOf: String = "2025-12-01"

    @Flag(name: .long, help: "Print one JSON object (holdout figures, segments, lists, files, warnings) on stdout.")
    var json = false

    func validate() throws {
        _ = try parseDate(asOf, option: "--as-of")
    }

    func execute() throws {
        let report = try DemoRun.run(DemoRun.Options(root: data, out: out, asOf: asOf, createdAt: Console.now(), toolVersion: RetainVersion.string),
                                     logger: Console.logger)
        for warning in report.warnings { Console.info(warning) }
        if json { try Console.printJSON(report) } else { print(report.text) }
    }
}
