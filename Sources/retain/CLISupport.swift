import Foundation
import RetainScoring

/// A failure the user can act on; printed as `Error: <message>` with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Small helpers shared by the subcommands (output only; no business logic).
enum Console {
    /// Whether stderr is a terminal (progress and timing lines are shown only then).
    static let stderrIsTerminal = isatty(2) == 1

    /// Writes a diagnostic line to stderr.
    static func info(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Writes a diagnostic line to stderr only when it is a terminal.
    static func progress(_ line: String) {
        if stderrIsTerminal { info(line) }
    }

    /// Prints an Encodable value as one JSON object on stdout.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let data = try RetainJSON.encoder(pretty: true).encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// Formats a number for tables: fixed width, sensible precision, "—" for NaN/nil (the reports' layout).
    static func num(_ v: Double?, width: Int = 12, digits: Int = 6) -> String { ReportText.num(v, width: width, digits: digits) }

    /// Left-pads or right-pads a string to `width`.
    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String { ReportText.pad(s, width, right: right) }

    /// Prints rows of cells: the first left-aligned in `firstWidth` columns, the others right-aligned in `width`.
    static func printRows(_ rows: [[String]], firstWidth: Int, width: Int) {
        for row in rows { print(pad(row.first ?? "", firstWidth) + row.dropFirst().map { pad($0, width, right: true) }.joined()) }
    }

    /// A reader's `progress` callback: "read N events…" on a terminal, at most once a second.
    static func readProgress() -> (Int) -> Void {
        var last = seconds()
        return { n in
            let now = seconds()
            if now - last >= 1 { last = now; progress("read \(n) events…") }
        }
    }

    /// Current time as ISO-8601 (UTC, seconds).
    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }

    /// Monotonic seconds since an arbitrary origin.
    static func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// A workflow's `phase` callback: with RETAIN_TIMING set, prints each step's seconds on stderr.
    static func phaseTimer() -> (String) -> Void {
        guard ProcessInfo.processInfo.environment["RETAIN_TIMING"] != nil else { return { _ in } }
        var mark = seconds()
        return { what in
            let now = seconds(); info(String(format: "%@: %.3f s", what, now - mark)); mark = now
        }
    }
}

/// Help text written as hard-wrapped source lines, reflowed so that ArgumentParser can wrap it to
/// the terminal: lines of a paragraph are joined with spaces; blank lines and indented lines
/// (examples, commands) are kept as they are.
func reflow(_ text: String) -> String {
    var out: [String] = []
    var previousJoinable = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        let joinable = !line.isEmpty && !(line.first?.isWhitespace ?? false)
        if joinable && previousJoinable { out[out.count - 1] += " " + line } else { out.append(line) }
        previousJoinable = joinable
    }
    return out.joined(separator: "\n")
}
