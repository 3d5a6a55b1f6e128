import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// Reason codes: the features that push one customer's churn risk up most, in words a marketer reads.
///
/// A feature's contribution to the linear predictor is `coefficient × standardised value`
/// (the bundle's impute / log1p / standardise applied to the raw value). Only positive
/// contributions (features raising the risk above an average customer's) are reasons; the
/// largest come first.
public enum ReasonCodes {
    /// Indices (into the model's features) of the `count` largest positive contributions, largest first.
    public static func top(contributions: [Double], count: Int = 3) -> [Int] {
        var best: [(Int, Double)] = []
        for (k, c) in contributions.enumerated() where c > 0 {
            if best.count < count { best.append((k, c)); best.sort { $0.1 > $1.1 }; continue }
            if c > best[best.count - 1].1 { best[best.count - 1] = (k, c); best.sort { $0.1 > $1.1 } }
        }
        return best.map(\.0)
    }

    /// The reasons for one customer: `raw` holds the customer's raw values of the model's features.
    public static func reasons(features: [BundleFeature], coefficients: [Double], raw: [Double], count: Int = 3) -> [String] {
        let contributions = features.indices.map { coefficients[$0] * features[$0].apply(raw[$0]) }
        return top(contributions: contributions, count: count).map { k in
            text(feature: features[k].name, value: raw[k], above: features[k].apply(raw[k]) > 0)
        }
    }

    /// One reason in words from a small template table keyed by feature-name patterns.
    ///
    /// - Parameters:
    ///   - value: The raw value (NaN = missing).
    ///   - above: Whether the value is above the training average (used by the generic fallback).
    public static func text(feature name: String, value v: Double, above: Bool) -> String {
        Template(feature: name).text(value: v, above: above)
    }

    /// A feature's reason template, parsed once from its name (`text(value:above:)` is then cheap).
    public struct Template: Sendable {
        enum Kind: Sendable { case activity, absence(String), lastSeen(String), trend(String), tickets(String), npsLast, binary(String, String),
                              tenure, activeDays(String), spend(String), count(String, String, String), generic }
        /// How the text is put together; the byte pieces `a`, `b`, `missing` are prepared once.
        enum Shape: Sendable { case days, trend, tickets, nps, binary, plain, count, generic }
        let name: String
        let shape: Shape
        /// Text pieces in UTF-8 (see `append`): `a` and `b` depend on the shape; `missing` is the
        /// text for a missing value of a `days` shape; `nameBytes` feeds the generic fallback.
        let a: [UInt8], b: [UInt8], missing: [UInt8], nameBytes: [UInt8]

        public init(feature name: String) {
            self.name = name
            let kind = Self.kind(of: name)
            nameBytes = Array(name.utf8)
            func u(_ s: String) -> [UInt8] { Array(s.utf8) }
            switch kind {
            case .activity: (shape, a, b, missing) = (.days, u("no activity in "), u(" days"), u("no activity ever recorded"))
            case .absence(let role): (shape, a, b, missing) = (.days, u("no \(role) in "), u(" days"), u("no \(role) ever recorded"))
            case .lastSeen(let role): (shape, a, b, missing) = (.days, u("last \(role) "), u(" days ago"), u("no \(role) ever recorded"))
            case .trend(let what): (shape, a, b, missing) = (.trend, u(what), [], [])
            case .tickets(let w): (shape, a, b, missing) = (.tickets, u(" in \(w) days"), [], [])
            case .npsLast: (shape, a, b, missing) = (.nps, [], [], [])
            case .binary(let yes, let no): (shape, a, b, missing) = (.binary, u(yes), u(no), [])
            case .tenure: (shape, a, b, missing) = (.plain, u("customer for "), u(" days"), [])
            case .activeDays(let w): (shape, a, b, missing) = (.plain, u("active on "), u(" of the last \(w) days"), [])
            case .spend(let w): (shape, a, b, missing) = (.plain, u("spent "), u(" in \(w) days"), [])
            case .count(let w, let one, let many): (shape, a, b, missing) = (.count, u(" \(one) in \(w) days"), u(" \(many) in \(w) days"), [])
            case .generic: (shape, a, b, missing) = (.generic, [], [], [])
            }
        }

        static func kind(of name: String) -> Kind {
            if name == "recency_days" { return .activity }
            if name.hasPrefix("recency_"), name.hasSuffix("_days") {
                let role = ReasonCodes.words(String(name.dropFirst("recency_".count).dropLast("_days".count)))
                return ReasonCodes.absenceRoles.contains(role) ? .absence(role) : .lastSeen(role)
            }
            if name.hasPrefix("trend_"), name.hasSuffix("_30d") {
                return .trend(ReasonCodes.plural(ReasonCodes.words(String(name.dropFirst("trend_".count).dropLast("_30d".count)))))
            }
            if let w = ReasonCodes.window(name, prefixes: ["tickets_", "n_ticket_opened_"]) { return .tickets(w) }
            switch name {
            case "nps_last": return .npsLast
            case "nps_detractor": return .binary("NPS detractor", "not an NPS detractor")
            case "nps_promoter": return .binary("NPS promoter", "not an NPS promoter")
            case "email_unsubscribed": return .binary("unsubscribed from email", "still subscribed to email")
            case "tenure_days": return .tenure
            default: break
            }
            if let w = ReasonCodes.window(name, prefixes: ["active_days_"]) { return .activeDays(w) }
            if let w = ReasonCodes.window(name, prefixes: ["sum_purchase_"]) { return .spend(w) }
            if name.hasPrefix("n_"), let w = ReasonCodes.window(name, prefixes: ["n_"]) {
                let core = ReasonCodes.words(String(name.dropFirst(2).dropLast("_\(w)d".count)))
                return .count(w, core, ReasonCodes.plural(core))
            }
            return .generic
        }

        /// The reason for raw value `v` (NaN = missing); `above`: above the training average.
        public func text(value v: Double, above: Bool) -> String {
            var bytes: [UInt8] = []
            append(value: v, above: above, into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }

        /// Appends the reason's UTF-8 text to `out` (what `text(value:above:)` returns, without a String per call).
        public func append(value v: Double, above: Bool, into out: inout [UInt8]) {
            @inline(__always) func num(_ x: Double) { ReasonCodes.appendNumber(x, into: &out) }
            switch shape {
            case .days:
                if v.isNaN { out += missing } else { out += a; num(v.rounded()); out += b }
            case .trend where !v.isNaN:
                out += a
                if v < 1 { out += " down ".utf8; num((100 * (1 - v)).rounded()); out += "% vs previous month".utf8 }
                else if v > 1 { out += " up ".utf8; num((100 * (v - 1)).rounded()); out += "% vs previous month".utf8 }
                else { out += " flat vs previous month".utf8 }
            case .tickets where !v.isNaN: num(v); out += (v == 1 ? " support ticket" : " support tickets").utf8; out += a
            case .nps where !v.isNaN: out += "NPS ".utf8; num(v); out += (v <= 6 ? " (detractor)" : v >= 9 ? " (promoter)" : " (passive)").utf8
            case .binary: out += v == 1 ? a : b
            case .plain where !v.isNaN: out += a; num(v); out += b
            case .count where !v.isNaN:
                if v == 0 && !above { out += "no".utf8; out += a; break }  // "no session in 90 days"
                if v <= 1 && !above { out += "only ".utf8 }
                num(v); out += v == 1 ? a : b
            default:
                out += nameBytes
                if v.isNaN { out += " missing".utf8 } else { out += (above ? " high (" : " low (").utf8; num(v); out.append(UInt8(ascii: ")")) }
            }
        }
    }

    /// `tickets_30d` with prefix `tickets_` → "30".
    static func window(_ name: String, prefixes: [String]) -> String? {
        for p in prefixes where name.hasPrefix(p) && name.hasSuffix("d") {
            let parts = name.split(separator: "_")
            guard let last = parts.last, last.count >= 2, Int(last.dropLast()) != nil else { continue }
            return String(last.dropLast())
        }
        return nil
    }

    static func words(_ s: String) -> String { s.replacingOccurrences(of: "_", with: " ") }

    /// Roles whose long absence is the risk ("no purchase in 64 days"); other recencies read "last X N days ago".
    static let absenceRoles: Set<String> = ["purchase", "session", "login", "page view", "email open", "email click",
                                                   "like", "share", "comment", "event attendance", "event registration"]

    static let plurals = ["email sent": "emails sent", "ticket opened": "tickets opened", "ticket resolved": "tickets resolved",
                                  "subscription cancel": "subscription cancellations", "subscription start": "subscription starts"]

    static func plural(_ s: String) -> String { plurals[s] ?? (s.hasSuffix("s") ? s : s + "s") }

    /// Appends a number of a reason text: integers without decimals, other values with two
    /// (`NumberFormat.appendFixed`); `?` when not finite.
    @inline(__always)
    static func appendNumber(_ v: Double, into out: inout [UInt8]) {
        guard v.isFinite else { out.append(UInt8(ascii: "?")); return }
        NumberFormat.appendFixed(v, digits: 2, wholeBelow: 1e15, printfFrom: 1e13, into: &out)
    }
}
