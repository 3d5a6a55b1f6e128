import ArgumentParser

@main
struct Retain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retain",
        abstract: "Churn prediction, customer segments and marketing lists from customer event history.",
        version: RetainVersion.string,
        subcommands: []
    )
}

enum RetainVersion {
    static let string = "0.1.0"
}
