import RetainCore

/// What a bad cell looks like, without its characters: the one thing error messages say about a
/// cell's content.
///
/// Error messages name the file, line and column of a bad cell and what was expected; a cell
/// itself may hold an email address or a customer id (misaligned columns put them anywhere), so
/// messages describe it instead of quoting it: its length and its kind ("looks like an email
/// address", "looks like a number", "is empty"). A `CellShape` keeps no character of the cell, so
/// an error value that carries one cannot leak it either (not in `description`, not in a dump).
public struct CellShape: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The kind of text a cell holds, judged on the text without surrounding spaces and tabs.
    public enum Kind: Sendable, Equatable, Hashable {
        /// Nothing at all.
        case empty
        /// Only spaces and tabs.
        case blank
        /// An `@` between other characters, no spaces: an email address.
        case email
        /// A finite decimal number (`12`, `-0.5`, `1e3`).
        case number
        /// `nan`, `inf` or `infinity` (any case, optionally signed).
        case nonFiniteName
        /// A decimal whose magnitude is beyond `Double` (`1e400`).
        case outOfRange
        /// Digits with one decimal comma (`1,5`).
        case decimalComma
        /// Digits and date separators in ISO-8601 order (`2025-01-01`, `2025-01-01T10:00Z`).
        case isoDate
        /// Digits separated by `/` or `.` like a date in another order (`31/12/2025`, `12.31.2025`).
        case otherDate
        /// Letters and at least four digits, no fewer digits than letters, no spaces (`C000123`,
        /// `AB-1234`): an id or a code. (`n_login_365d` and `0x1p3` are text.)
        case identifier
        /// Letters only (possibly with `_` or `-`), no spaces.
        case word
        /// Anything else.
        case text
    }

    /// The number of characters (grapheme clusters), surrounding spaces included.
    public var characters: Int
    /// The kind of the text without surrounding spaces.
    public var kind: Kind
    /// Spaces or tabs before or after the text.
    public var surroundingSpace: Bool
    /// Characters outside ASCII.
    public var nonASCII: Bool
    /// Control characters (NUL, other C0 bytes but tab, DEL).
    public var control: Bool
    /// Bytes that are not valid UTF-8.
    public var invalidUTF8: Bool
    /// For a number: below zero.
    public var negative: Bool
    /// For a number: not a whole number.
    public var fraction: Bool

    /// Describes UTF-8 bytes (invalid sequences are noted, not repaired).
    public init<Bytes: Collection<UInt8>>(bytes: Bytes) {
        let text = String(decoding: bytes, as: UTF8.self)
        self.init(text: text, invalidUTF8: !text.utf8.elementsEqual(bytes))
    }

    /// A placeholder for a bad cell where no message will be made (a skipped row).
    package static let notRecorded = CellShape("")

    /// Describes a cell's text.
    public init(_ text: String) {
        self.init(text: text, invalidUTF8: false)
    }

    /// Describes a cell that was read as the number `value` (NaN: a missing cell).
    public init(value: Double) {
        characters = 0
        surroundingSpace = false; nonASCII = false; control = false; invalidUTF8 = false
        negative = value < 0
        fraction = value.isFinite && value != value.rounded()
        kind = value.isNaN ? .empty : value.isFinite ? .number : .outOfRange
    }

    private init(text: String, invalidUTF8: Bool) {
        characters = text.count
        self.invalidUTF8 = invalidUTF8
        let scalars = text.unicodeScalars
        nonASCII = scalars.contains { !$0.isASCII }
        control = scalars.contains { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let trimmed = Substring(text).drop(while: isSpace).reversed().drop(while: isSpace).reversed()
        let core = String(trimmed)
        surroundingSpace = !text.isEmpty && core.count != text.count
        negative = false
        fraction = false
        kind = .text
        kind = classify(core)
    }

    /// The kind of `s` (already trimmed); sets `negative` and `fraction` for numbers.
    private mutating func classify(_ s: String) -> Kind {
        if characters == 0 { return .empty }
        if s.isEmpty { return .blank }
        let bytes = Array(s.utf8)
        if let number = Self.number(bytes) {
            if !number.isFinite { return .outOfRange }
            negative = number < 0
            fraction = number != number.rounded()
            return .number
        }
        let unsigned = bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") ? Array(bytes.dropFirst()) : bytes
        let word = String(decoding: unsigned, as: UTF8.self).lowercased()
        if word == "nan" || word == "inf" || word == "infinity" { return .nonFiniteName }
        let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        let isLetter: (UInt8) -> Bool = { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }
        let hasSpace = bytes.contains { $0 == 0x20 || $0 == 0x09 }
        if let at = bytes.firstIndex(of: UInt8(ascii: "@")), at > 0, at < bytes.count - 1, !hasSpace { return .email }
        let digits = bytes.filter(isDigit).count
        if bytes.filter({ $0 == UInt8(ascii: ",") }).count == 1, digits == bytes.count - 1, bytes.last != UInt8(ascii: ","),
           bytes.first != UInt8(ascii: ",") {
            return .decimalComma
        }
        // ISO-8601 order: four digits, a dash, digits; the rest digits and date-time punctuation.
        if bytes.count >= 7, bytes[0..<4].allSatisfy(isDigit), bytes[4] == UInt8(ascii: "-"), isDigit(bytes[5]),
           bytes.allSatisfy({ isDigit($0) || "-:.+TtZz ".utf8.contains($0) }) {
            return .isoDate
        }
        let dateSeparators = bytes.filter { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ".") }.count
        if dateSeparators == 2, digits >= 4, bytes.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ".") }) {
            return .otherDate
        }
        let codeCharacter: (UInt8) -> Bool = { isDigit($0) || isLetter($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
        if bytes.allSatisfy(codeCharacter) {
            let letters = bytes.filter(isLetter).count
            if digits >= 4 && letters > 0 && digits >= letters { return .identifier }
            if digits == 0 && bytes.contains(where: isLetter) { return .word }
        }
        return .text
    }

    /// The value of `bytes` when all of them are one decimal number.
    private static func number(_ bytes: [UInt8]) -> Double? {
        bytes.withUnsafeBufferPointer { b in
            guard let s = b.baseAddress, b.count > 0, let (value, next) = NumberParser.scan(s, s + b.count), next == s + b.count
            else { return nil }
            return value
        }
    }

    /// Whether the text looks like data of another column (an email address, an id, a date or a
    /// number) rather than a name; used to tell a header line from a data row.
    public var looksLikeData: Bool {
        switch kind {
        case .email, .identifier, .isoDate, .otherDate, .number, .decimalComma: return true
        default: return false
        }
    }

    /// What the cell holds, as a clause after "the cell": "is empty", "holds 19 characters of text
    /// with an '@' (it looks like an email address: are the columns in the right order?)".
    ///
    /// - Parameter expecting: What the column should hold; a kind that is typical of another column
    ///   (an email address, an id, a date in a number column, …) adds "are the columns in the right order?".
    public func clause(expecting: Expectation = .text) -> String {
        let order = ": are the columns in the right order?"
        let n = characters == 1 ? "1 character" : "\(characters) characters"
        var s: String
        switch kind {
        case .empty:
            return "is empty"
        case .blank:
            s = "holds only spaces (\(n))"
        case .email:
            s = "holds \(n) of text with an '@' (it looks like an email address\(order))"
        case .number:
            let what = characters == 0
                ? (negative ? "a negative number" : fraction ? "a number with a fractional part" : "a whole number")
                : "\(n) that look like a\(negative ? " negative" : "")\(fraction ? " fractional" : "") number"
            s = "holds \(what)"
        case .nonFiniteName:
            s = "holds a word for NaN or infinity"
        case .outOfRange:
            s = "holds a number beyond the range of a double"
        case .decimalComma:
            s = "holds digits with a decimal comma (write a decimal point: 1.5, not 1,5)"
        case .isoDate:
            s = "holds \(n) that look like a date or time" + (expecting == .date ? "" : " (are the columns in the right order?)")
        case .otherDate:
            s = "holds \(n) that look like a date in another order (write it as YYYY-MM-DD)"
        case .identifier:
            s = "holds \(n) of letters and digits (it looks like an id or a code\(order))"
        case .word:
            s = "holds a word of \(n)"
        case .text:
            s = "holds \(n) of text"
        }
        var also: [String] = []
        if surroundingSpace && kind != .blank { also.append("spaces around it") }
        if control { also.append("control characters (such as NUL)") }
        if invalidUTF8 { also.append("bytes that are not valid UTF-8") }
        else if nonASCII { also.append("non-ASCII characters") }
        if !also.isEmpty { s += ", with " + also.joined(separator: " and ") }
        return s
    }

    /// "the cell is empty", "the cell holds 7 characters of letters and digits (…)".
    public var description: String { "the cell " + clause() }

    /// A header's names for a message: "columns: a, b, c" (at most 20, then a count) — or, when
    /// a name looks like data (an email address, an id, a date, a number), a description of that
    /// field instead: the first line is then likely a data row, and listing it would print its cells.
    public static func headerList(_ names: [String]) -> String {
        if let k = names.firstIndex(where: { CellShape($0).looksLikeData }) {
            return "\(names.count) field\(names.count == 1 ? "" : "s"); field \(k + 1) \(CellShape(names[k]).clause()), "
                + "so the first line looks like a data row: add a header line"
        }
        if names.count <= 20 { return "columns: " + names.joined(separator: ", ") }
        return "columns: " + names.prefix(20).joined(separator: ", ") + ", … (\(names.count - 20) more)"
    }

    /// What a column should hold, for `clause(expecting:)`.
    public enum Expectation: Sendable, Equatable {
        case number
        case date
        case text
    }
}
