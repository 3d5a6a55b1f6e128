import ArgumentParser
import Foundation
import RetainScoring

/// `retain models list|show`: the model files on disk (churn, segment and CLV models), verified.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List or show trained model files: churn, segment and CLV models (each is verified: format, version, kind, SHA-256).",
        subcommands: [List.self, Show.self]
    )

    struct List: AdvisedCommand {
        static let configuration = CommandConfiguration(abstract: "List the model files in a directory: kind, as-of date and key metrics.")

        @Option(name: .long, help: ArgumentHelp("Directory to list.", valueName: "dir"))
        var dir: String = "models"

        func execute() throws {
            let entries = try ModelCatalog.list(directory: dir)
            if entries.isEmpty { print("No .json files in \(dir).") }
            for entry in entries { print(entry.line) }
        }
    }

    struct Show: AdvisedCommand {
        static let configuration = CommandConfiguration(abstract: "Show one model file: training data, metrics, thresholds and coefficients (or segments, or CLV parameters).")

        @Argument(help: ArgumentHelp("The model file (models/NAME.json).", valueName: "model"))
        var model: String

        @Flag(name: .long, help: "Print the verified model file as JSON.")
        var json = false

        func execute() throws {
            let m = try AnyModel.load(path: model)
            if json {
                FileHandle.standardOutput.write(try m.encoded())
                print("")
            } else {
                print(m.details(path: model))
            }
        }
    }
}
