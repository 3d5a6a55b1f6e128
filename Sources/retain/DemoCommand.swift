import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain demo`: the whole daily workflow on the bundled sample, with a short summary.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run features → train → segment → score → export on the bundled sample and summarise.",
        discussion: reflow("""
            Uses datasets/sample (events.csv, customers.csv) under --data (default: the current
            directory). Writes the feature table, model bundles, score history and marketing lists
            under --out; each step is the same as running its own command.
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Directory holding datasets/sample (the project's root).", valueName: "dir"))
    var data: String = "."

    @Option(name: .long, help: ArgumentHelp("Where to write the demo's files.", valueName: "dir"))
    var out: String = "out/demo"

    @Option(name: .long, help: ArgumentHelp("Scoring date; the model trains on the months before it.", valueName: "date"))
    var asOf: String = "2025-12-01"

    func run() throws {
        let started = Console.seconds()
        let sample = URL(fileURLWithPath: data).appendingPathComponent("datasets/sample")
        let events = sample.appendingPathComponent("events.csv").path
        let customers = sample.appendingPathComponent("customers.csv").path
        guard FileManager.default.fileExists(atPath: events) else {
            throw CLIError("no sample at \(sample.path): run `retain demo` from the project's root, or give --data DIR.")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let data = ["--events", events, "--customers", customers]
        let features = "\(out)/features.csv", churn = "\(out)/churn.json", segments = "\(out)/segments.json"
        let db = "\(out)/retain.sqlite", lists = "\(out)/lists", scores = "\(out)/scores.csv"
        try step("features", ["features"] + data + ["--as-of", asOf, "--out", features])
        try step("train", ["train"] + data + ["--as-of", asOf, "--out", churn])
        try step("segment", ["segment"] + data + ["--as-of", asOf, "--k", "auto", "--out", segments])
        try step("score", ["score"] + data + ["--model", churn, "--segments", segments, "--as-of", asOf, "--db", db, "--out", scores])
        try step("export", ["export", "--db", db, "--date", asOf, "--customers", customers, "--out", lists])

        // Summary from the files the steps wrote.
        let bundle = try json(churn)
        let metrics = bundle["metrics"] as? [String: Any] ?? [:]
        print("retain demo on \(sample.path), as of \(asOf) (\(String(format: "%.1f", Console.seconds() - started)) s)")
        if let auc = metrics["auc"] as? Double {
            let base = (metrics["baseline_auc"] as? Double).map { String(format: " (recency-only baseline %.3f)", $0) } ?? ""
            print(String(format: "  churn model: holdout AUC %.3f%@, top-decile lift %.2f, C = %@", auc, base,
                         metrics["lift_top_decile"] as? Double ?? .nan, "\(bundle["c"] ?? "?")"))
        }
        let seg = try json(segments)
        let parts = (seg["segments"] as? [[String: Any]] ?? []).map { "\($0["name"] ?? "?") \($0["size"] ?? "?")" }
        print("  segments: " + parts.joined(separator: ", "))
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: lists)) ?? []).filter { $0.hasSuffix(".csv") || $0.hasSuffix(".jsonl") }.sorted()
        let sizes = files.map { f -> String in
            let text = (try? String(contentsOfFile: "\(lists)/\(f)", encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n").count
            return "\(f) \(f.hasSuffix(".csv") ? max(0, lines - 1) : lines)"
        }
        print("  lists: " + (sizes.isEmpty ? "none" : sizes.joined(separator: ", ")))
        print("  files: \(features), \(churn), \(segments), \(scores), \(db), \(lists)/")
    }

    /// Runs one subcommand in-process with its stdout silenced (its errors still reach stderr).
    private func step(_ name: String, _ arguments: [String]) throws {
        Console.progress("demo: \(name)…")
        var command = try Retain.parseAsRoot(arguments)
        fflush(stdout)
        let saved = dup(1)
        let devnull = open("/dev/null", O_WRONLY)
        dup2(devnull, 1)
        close(devnull)
        defer { fflush(stdout); dup2(saved, 1); close(saved) }
        do { try command.run() } catch { throw CLIError("demo step '\(name)' failed: \(error)") }
    }

    private func json(_ path: String) throws -> [String: Any] {
        guard let d = FileManager.default.contents(atPath: path),
              let o = try JSONSerialization.jsonObject(with: d) as? [String: Any] else {
            throw CLIError("demo: cannot read \(path)")
        }
        return o
    }
}
