import Foundation

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
        let name: String
        let kind: Kind

        public init(feature name: String) {
            self.name = name
            if name == "recency_days" { kind = .activity; return }
            if name.hasPrefix("recency_"), name.hasSuffix("_days") {
                let role = ReasonCodes.words(String(name.dropFirst("recency_".count).dropLast("_days".count)))
                kind = ReasonCodes.absenceRoles.contains(role) ? .absence(role) : .lastSeen(role); return
            }
            if name.hasPrefix("trend_"), name.hasSuffix("_30d") {
                kind = .trend(ReasonCodes.plural(ReasonCodes.words(String(name.dropFirst("trend_".count).dropLast("_30d".count))))); return
            }
            if let w = ReasonCodes.window(name, prefixes: ["tickets_", "n_ticket_opened_"]) { kind = .tickets(w); return }
            switch name {
            case "nps_last": kind = .npsLast; return
            case "nps_detractor": kind = .binary("NPS detractor", "not an NPS detractor"); return
            case "nps_promoter": kind = .binary("NPS promoter", "not an NPS promoter"); return
            case "email_unsubscribed": kind = .binary("unsubscribed from email", "still subscribed to email"); return
            case "tenure_days": kind = .tenure; return
            default: break
            }
            if let w = ReasonCodes.window(name, prefixes: ["active_days_"]) { kind = .activeDays(w); return }
            if let w = ReasonCodes.window(name, prefixes: ["sum_purchase_"]) { kind = .spend(w); return }
            if name.hasPrefix("n_"), let w = ReasonCodes.window(name, prefixes: ["n_"]) {
                let core = ReasonCodes.words(String(name.dropFirst(2).dropLast("_\(w)d".count)))
                kind = .count(w, core, ReasonCodes.plural(core)); return
            }
            kind = .generic
        }

        /// The reason for raw value `v` (NaN = missing); `above`: above the training average.
        public func text(value v: Double, above: Bool) -> String {
            var bytes: [UInt8] = []
            append(value: v, above: above, into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }

        /// Appends the reason's UTF-8 text to `out` (what `text(value:above:)` returns, without a String per call).
        public func append(value v: Double, above: Bool, into out: inout [UInt8]) {
            @inline(__always) func put(_ s: String) { out.append(contentsOf: s.utf8) }
            @inline(__always) func num(_ x: Double) { ReasonCodes.appendNumber(x, into: &out) }
            switch kind {
            case .activity:
                if v.isNaN { put("no activity ever recorded") } else { put("no activity in "); num(v.rounded()); put(" days") }
            case .absence(let role):
                if v.isNaN { put("no "); put(role); put(" ever recorded") } else { put("no "); put(role); put(" in "); num(v.rounded()); put(" days") }
            case .lastSeen(let role):
                if v.isNaN { put("no "); put(role); put(" ever recorded") } else { put("last "); put(role); put(" "); num(v.rounded()); put(" days ago") }
            case .trend(let what) where !v.isNaN:
                put(what)
                if v < 1 { put(" down "); num((100 * (1 - v)).rounded()); put("% vs previous month") }
                else if v > 1 { put(" up "); num((100 * (v - 1)).rounded()); put("% vs previous month") }
                else { put(" flat vs previous month") }
            case .tickets(let w) where !v.isNaN: num(v); put(" support ticket"); if v != 1 { put("s") }; put(" in "); put(w); put(" days")
            case .npsLast where !v.isNaN: put("NPS "); num(v); put(v <= 6 ? " (detractor)" : v >= 9 ? " (promoter)" : " (passive)")
            case .binary(let yes, let no): put(v == 1 ? yes : no)
            case .tenure where !v.isNaN: put("customer for "); num(v); put(" days")
            case .activeDays(let w) where !v.isNaN: put("active on "); num(v); put(" of the last "); put(w); put(" days")
            case .spend(let w) where !v.isNaN: put("spent "); num(v); put(" in "); put(w); put(" days")
            case .count(let w, let one, let many) where !v.isNaN:
                if v <= 1 && !above { put("only ") }
                num(v); put(" "); put(v == 1 ? one : many); put(" in "); put(w); put(" days")
            default:
                put(name)
                if v.isNaN { put(" missing") } else { put(above ? " high (" : " low ("); num(v); put(")") }
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

    /// Integers without decimals; other values with up to two.
    static func number(_ v: Double) -> String {
        var bytes: [UInt8] = []
        appendNumber(v, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `number(v)` to `out`: integers without decimals, other values with two; `?` when not finite.
    static func appendNumber(_ v: Double, into out: inout [UInt8]) {
        guard v.isFinite else { out.append(UInt8(ascii: "?")); return }
        if v == v.rounded(), abs(v) < 1e15 { appendInteger(Int64(v), into: &out); return }
        guard abs(v) < 1e13 else { out.append(contentsOf: String(format: "%.2f", v).utf8); return }
        let cents = Int64((abs(v) * 100).rounded())
        if v < 0 && cents > 0 { out.append(UInt8(ascii: "-")) }
        appendInteger(cents / 100, into: &out)
        let frac = cents % 100
        out.append(UInt8(ascii: "."))
        out.append(UInt8(48 + frac / 10))
        out.append(UInt8(48 + frac % 10))
    }

    /// Appends the decimal digits of `n` (with a `-` when negative).
    static func appendInteger(_ n: Int64, into out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var m = n.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[19 - count] = UInt8(48 + m % 10); m /= 10; count += 1 } while m > 0
            out.append(contentsOf: d[(20 - count)...])
        }
    }
}
