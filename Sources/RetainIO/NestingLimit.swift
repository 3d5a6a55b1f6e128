import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Limits checked on YAML and JSON text before a parser sees it.
//
// The YAML parser (and any recursive-descent parser) recurses once per level of nesting, so a file
// of a few thousand `[` overflows the stack and kills the process. A linear scan of the text finds
// the deepest nesting first, so such a file becomes an error naming the file and the limit.

/// The deepest nesting in YAML or JSON text, found without parsing it.
package enum NestingLimit {
    /// The deepest nesting a config, rules or model file may have (real ones stay below 10).
    package static let maximumDepth = 64
    /// The largest config or rules file (1 MiB; real ones are a few KiB).
    package static let maximumTextSize = 1 << 20

    /// The first place where the nesting goes deeper than `limit`: its 1-based line; nil if none.
    ///
    /// Counts flow brackets (`[`, `{`) outside quoted strings and comments, plus, for YAML,
    /// indentation levels and the `- ` sequence entries that open a line. It may overestimate
    /// (a plain scalar holding brackets), never underestimates. Linear in the text, no recursion.
    package static func firstLineTooDeep(_ text: some Collection<UInt8>, limit: Int = maximumDepth, yaml: Bool = true) -> Int? {
        var line = 1
        var flow = 0                // open flow brackets
        var indents: [Int] = []     // the indentation stack of block nesting (YAML)
        var atLineStart = true
        var column = 0              // bytes since the line start
        var lineBlockDepth = 0      // indentation levels + sequence dashes of this line
        var previous: UInt8 = 0x0A  // the byte before, for where quotes and comments may start
        var state = State.plain
        var pendingDash = false     // a `-` that opens a sequence entry if a space or line end follows
        for c in text {
            if pendingDash {
                pendingDash = false
                if c == 0x20 || c == 0x0A || c == 0x0D {
                    lineBlockDepth += 1
                    if lineBlockDepth > limit { return line }
                }
            }
            switch state {
            case .doubleQuoted(let escaped):
                if c == 0x0A { line += 1 }
                if escaped { state = .doubleQuoted(escaped: false) }
                else if c == 0x5C { state = .doubleQuoted(escaped: true) }   // backslash
                else if c == 0x22 { state = .plain }
                previous = c
                continue
            case .singleQuoted:
                if c == 0x0A { line += 1 }
                if c == 0x27 { state = .singleQuoteEnd }
                previous = c
                continue
            case .singleQuoteEnd:
                // `''` inside a single-quoted string is an escaped quote: the string goes on.
                if c == 0x27 { state = .singleQuoted; previous = c; continue }
                state = .plain
            case .comment:
                if c != 0x0A { continue }
                state = .plain
            case .plain:
                break
            }
            if c == 0x0A {
                line += 1
                atLineStart = true
                column = 0
                previous = c
                continue
            }
            if atLineStart && yaml && flow == 0 {
                if c == 0x20 { column += 1; previous = c; continue }
                atLineStart = false
                if c == 0x23 { state = .comment; continue }            // a comment line
                if c == 0x0D { atLineStart = true; continue }
                while let last = indents.last, last > column { indents.removeLast() }
                if indents.last.map({ $0 < column }) ?? true { indents.append(column) }
                lineBlockDepth = indents.count
                if lineBlockDepth > limit { return line }
            } else if atLineStart {
                atLineStart = false
                lineBlockDepth = indents.count
            }
            let boundary = previous == 0x20 || previous == 0x09 || previous == 0x0A || previous == 0x5B
                || previous == 0x7B || previous == 0x2C || previous == 0x3A || previous == 0x2D || !yaml
            switch c {
            case 0x5B, 0x7B:                                            // [ {
                flow += 1
                if flow + lineBlockDepth > limit { return line }
            case 0x5D, 0x7D:                                            // ] }
                if flow > 0 { flow -= 1 }
            case 0x22 where boundary:                                   // "
                state = .doubleQuoted(escaped: false)
            case 0x27 where boundary && yaml:                           // '
                state = .singleQuoted
            case 0x23 where yaml && (previous == 0x20 || previous == 0x09):  // # after a space
                state = .comment
            case 0x2D where yaml && flow == 0 && (previous == 0x20 || column == 0):
                // `- ` opening a sequence entry within the line's block part nests one level
                pendingDash = true
            default:
                break
            }
            column += 1
            previous = c
        }
        return nil
    }

    private enum State { case plain, doubleQuoted(escaped: Bool), singleQuoted, singleQuoteEnd, comment }
}

/// A limit a YAML or JSON file broke before parsing (see `NestingLimit`).
public enum TextLimitProblem: Error, Equatable, Sendable {
    /// The file is larger than `limit` bytes.
    case tooLarge(limit: Int)
    /// The nesting goes deeper than `limit` levels at `line` (1-based).
    case tooDeep(line: Int, limit: Int)

    /// The message for a file at `path`; `what` names the kind of file ("a config file").
    package func message(path: String, what: String) -> String {
        switch self {
        case .tooLarge(let limit):
            return "\(path) is larger than \(ByteCount.text(limit)), more than \(what) can be; check that it is the right file."
        case .tooDeep(let line, let limit):
            return "\(path) line \(line): nested more than \(limit) levels deep, more than \(what) can be; "
                + "check that it is the right file and that its brackets and indentation are balanced."
        }
    }
}

extension NestingLimit {
    /// Reads a YAML or JSON file of at most `maximumSize` bytes and checks its nesting.
    ///
    /// - Returns: The bytes, or the limit they break.
    /// - Throws: `IOError.readFailed` (missing, unreadable, a directory).
    package static func read(path: String, maximumSize: Int? = maximumTextSize, yaml: Bool = true) throws -> Result<[UInt8], TextLimitProblem> {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw IOError.readFailed(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw IOError.readFailed(path: path, reason: "it is a directory")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.readFailed(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            if let maximumSize, bytes.count > maximumSize { return .failure(.tooLarge(limit: maximumSize)) }
        }
        return check(bytes, yaml: yaml).map { .failure($0) } ?? .success(bytes)
    }

    /// The nesting limit `text` breaks, if any.
    package static func check(_ text: some Collection<UInt8>, yaml: Bool = true) -> TextLimitProblem? {
        firstLineTooDeep(text, yaml: yaml).map { .tooDeep(line: $0, limit: maximumDepth) }
    }
}
