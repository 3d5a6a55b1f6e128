import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// JSON encoding shared by model files and `--json` output: snake_case keys, sorted, pretty.
public enum RetainJSON {
    /// An encoder with the project's conventions.
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        // No key strategy: it would also rewrite dictionary keys (feature names). Types spell
        // their snake_case keys in CodingKeys instead.
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// A decoder matching `encoder()`.
    public static func decoder() -> JSONDecoder {
        JSONDecoder()
    }

    /// NaN and ±∞ become null (JSON has no such numbers).
    public static func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }
}
