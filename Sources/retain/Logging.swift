import Foundation
import Logging

/// swift-log's handler for the command line: messages go to stderr, one line each, as the
/// commands have always written them.
///
/// Warnings and errors are always shown; info lines (progress) only when stderr is a terminal,
/// so CI logs and `2> file` stay quiet; debug and trace when `RETAIN_LOG_LEVEL` asks for them.
struct StderrLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    /// The level from `RETAIN_LOG_LEVEL` (trace, debug, info, notice, warning, error, critical);
    /// default info on a terminal, warning otherwise.
    static func defaultLevel() -> Logger.Level {
        if let name = ProcessInfo.processInfo.environment["RETAIN_LOG_LEVEL"], let level = Logger.Level(rawValue: name.lowercased()) {
            return level
        }
        return Console.stderrIsTerminal ? .info : .warning
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let text = event.message.description
        let prefix = event.level >= .warning && !text.hasPrefix("warning:") ? "\(event.level >= .error ? "error" : "warning"): " : ""
        Console.info(prefix + text)
    }
}

/// Bootstraps swift-log once, before any command runs.
enum RetainLogging {
    static func bootstrap() {
        LoggingSystem.bootstrap { _ in StderrLogHandler(logLevel: StderrLogHandler.defaultLevel()) }
    }
}

extension Console {
    /// The logger the commands hand to library workflows.
    static let logger = Logger(label: "retain")
}
