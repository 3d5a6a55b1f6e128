import RetainCore
/// Writing RFC 4180 CSV fields as UTF-8 bytes (the score table and the marketing lists).
public enum CSVText {
    /// Whether a field must be quoted: it holds a comma, a double quote or a line break.
    @inline(__always)
    package static func needsQuotes(_ c: UInt8) -> Bool { c == 44 || c == 34 || c == 10 || c == 13 }

    /// Appends `bytes` as one field: as is, or quoted with inner quotes doubled when needed.
    public static func appendField(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard bytes.contains(where: needsQuotes) else { out.append(contentsOf: bytes); return }
        out.append(34)
        for c in bytes {
            if c == 34 { out.append(34) }
            out.append(c)
        }
        out.append(34)
    }

    /// Appends `s` as one field.
    public static func appendField(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendField($0, into: &out) }
    }

    /// Appends `bytes` (UTF-8 text) as one field.
    public static func appendField(_ bytes: [UInt8], into out: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { appendField($0, into: &out) }
    }

    /// `s` as one field, quoted when needed.
    public static func field(_ s: String) -> String {
        var out: [UInt8] = []
        appendField(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether a spreadsheet would run a cell starting with `c` as a formula: `=`, `+`, `-`, `@`,
    /// a tab or a carriage return (OWASP "CSV injection").
    @inline(__always)
    public static func startsFormula(_ c: UInt8) -> Bool { c == 61 || c == 43 || c == 45 || c == 64 || c == 9 || c == 13 }

    /// Appends `s` as one field that a spreadsheet shows as text: a text starting like a formula
    /// (see ``startsFormula(_:)``) gets a leading apostrophe (`'=SUM(A1)`); anything else is
    /// ``appendField(_:into:)-(String,_)``'s field.
    public static func appendTextField(_ s: String, into out: inout [UInt8]) {
        guard let first = s.utf8.first, startsFormula(first) else { appendField(s, into: &out); return }
        appendField("'" + s, into: &out)
    }
}
