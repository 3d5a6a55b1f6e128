import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring

/// File format of the exported lists.
public enum ExportFormat: String, Sendable, Codable, CaseIterable {
    /// RFC 4180 CSV with a header; `reasons` joined by `; `. A text cell that a spreadsheet would
    /// run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a
    /// leading apostrophe (`CSVText.appendTextField`); numbers are written as they are.
    case csv
    /// One JSON object per line; `reasons` as an array.
    case jsonl
}

/// Customer attributes carried into the exports (e.g. `email`, `plan`), keyed by customer id.
public struct CustomerAttributes: Sendable, Equatable {
    /// Attribute names, in column order.
    public var names: [String]
    /// `values[id][j]`: attribute `names[j]` of customer `id`.
    public var values: [String: [String]]

    public init(names: [String], values: [String: [String]]) {
        precondition(values.values.allSatisfy { $0.count == names.count }, "one value per attribute name")
        self.names = names
        self.values = values
    }
}

/// What an export wrote: one entry per list file, written last as `manifest.json`.
public struct ExportManifest: Sendable, Equatable, Codable {
    public struct Entry: Sendable, Equatable, Codable {
        /// List name (`at-risk`, an action id, a segment name).
        public var list: String
        /// File name inside the output directory.
        public var file: String
        /// Data rows (header excluded).
        public var rows: Int
        /// Scoring date.
        public var date: String
        /// Model that scored the day.
        public var modelID: String
        /// `sha256:` + hex digest of the file's bytes.
        public var checksum: String

        enum CodingKeys: String, CodingKey {
            case list, file, rows, date, checksum
            case modelID = "model_id"
        }
    }

    public var date: String
    public var modelID: String
    public var format: ExportFormat
    /// With `newOnly`: the scored day compared against (nil: none before, so everyone is new).
    public var previousDate: String?
    public var newOnly: Bool
    public var lists: [Entry]

    enum CodingKeys: String, CodingKey {
        case date, format, lists
        case modelID = "model_id", previousDate = "previous_date", newOnly = "new_only"
    }
}

/// Writes the marketing lists of one scored day: one file per list plus `manifest.json`.
///
/// Columns: `customer_id`, the customer attributes (when given; names that clash with a score
/// column are skipped), `churn_probability` and `risk_tier` (empty outside the at-risk universe),
/// `lifecycle` (empty when not known, e.g. days scored before lifecycles), `predicted_value`,
/// `winback_rank` (empty for non-candidates), `segment`, `action`, `reasons`. Rows in customer-id
/// order; the win-back list in win-back rank order. The at-risk list holds only customers in the
/// at-risk universe. The set is replaced as a whole (`AtomicFile.Directory`): every file and the
/// manifest go to a hidden sibling directory (0700, files 0600, since the lists hold personal
/// data), which is then swapped with the output directory in one step, so readers, kills and
/// failures midway see the old set or the new one, never a mix. An output directory holding files
/// that retain did not write (not in its `manifest.json`) is refused rather than replaced.
public struct ListExport: Sendable {
    /// Lists to write by name (see `ScoreList.resolve`); nil: at-risk, high-value, win-back and every action but `none`.
    public var lists: [String]?
    /// Only customers who were not on the list on the previous scored day.
    public var newOnly: Bool
    public var format: ExportFormat
    public var attributes: CustomerAttributes?
    /// Hysteresis margin for the at-risk list (see `ScoreHistory.members`).
    public var margin: Double
    public var threshold: Double?
    /// Test hook: the write with this 0-based index (lists in order, then the manifest) fails.
    var failingWrite: Int?
    /// Test hook: stop as if killed before or after the swap.
    var killPoint: AtomicFile.Directory.KillPoint?

    public init(lists: [String]? = nil, newOnly: Bool = false, format: ExportFormat = .csv,
                attributes: CustomerAttributes? = nil, margin: Double = 0, threshold: Double? = nil) {
        self.lists = lists
        self.newOnly = newOnly
        self.format = format
        self.attributes = attributes
        self.margin = margin
        self.threshold = threshold
    }

    /// The score columns after `customer_id` and the attributes.
    static let scoreColumns = ["churn_probability", "risk_tier", "lifecycle", "predicted_value", "winback_rank", "segment", "action", "reasons"]

    /// Replaces the list set in `directory` (created, mode 0700, if missing) with the lists of
    /// `date` from `history`; a symbolic link is followed and the directory it names replaced.
    ///
    /// - Returns: The manifest, also written as `manifest.json`.
    /// - Throws: `StoreError.unknownDate`, `.unknownList`; `ListSetError.foreignFiles`,
    ///   `.sameFileName`; `DirectorySwapError`; `IOError.writeFailed`. The directory is unchanged.
    /// - Complexity: O(n · lists) for n records on the day.
    @discardableResult
    public func write(from history: ScoreHistory, date: String, to directory: String) throws -> ExportManifest {
        let modelID = try history.modelID(date: date)
        let records = try history.records(date: date)
        let available = ScoreList.all(in: records)
        var chosen: [ScoreList] = []
        for list in try lists.map({ try $0.map { try ScoreList.resolve($0, among: available) } }) ?? ScoreList.defaults(in: records)
        where !chosen.contains(list) { chosen.append(list) }

        let previous = newOnly ? try history.previousDate(before: date) : nil
        let previousRecords = try previous.map { try history.records(date: $0) } ?? []

        let attributeNames = (attributes?.names ?? []).enumerated().filter {
            $0.element != "customer_id" && !Self.scoreColumns.contains($0.element)
        }
        let files = chosen.map { "\($0.fileStem).\(format.rawValue)" }
        try Self.checkUniqueFileNames(chosen, files: files)
        let set = try AtomicFile.Directory(replacing: directory, check: ListSetCheck.refuseForeignFiles)
        set.failingWrite = failingWrite
        set.killPoint = killPoint
        var entries: [ExportManifest.Entry] = []
        for (list, file) in zip(chosen, files) {
            let members = try history.members(of: list, date: date, records: records, margin: margin, threshold: threshold)
            let before = try previous.map {
                try history.members(of: list, date: $0, records: previousRecords, margin: margin, threshold: threshold)
            } ?? []
            var rows = records.indices.filter { members.contains(records[$0].customerID) && !before.contains(records[$0].customerID) }
            if list == .winBack {
                rows.sort { (records[$0].winbackRank ?? .max, $0) < (records[$1].winbackRank ?? .max, $1) }
            }
            let data = Data(render(records, rows: rows, attributeNames: attributeNames))
            try set.write(data, named: file)
            entries.append(.init(list: list.name, file: file, rows: rows.count, date: date, modelID: modelID,
                                 checksum: "sha256:" + SHA256.hex(data)))
        }
        let manifest = ExportManifest(date: date, modelID: modelID, format: format, previousDate: previous,
                                      newOnly: newOnly, lists: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var json = try encoder.encode(manifest)
        json.append(UInt8(ascii: "\n"))
        try set.write(json, named: ListSetCheck.manifestName)
        try set.commit()
        return manifest
    }

    /// Throws `ListSetError.sameFileName` when two lists map to one file name (compared ignoring
    /// case, as some file systems do).
    static func checkUniqueFileNames(_ lists: [ScoreList], files: [String]) throws {
        var seen: [String: Int] = [:]
        for (k, file) in files.enumerated() {
            if let first = seen[file.lowercased()] {
                throw ListSetError.sameFileName(file: files[first], lists: [lists[first].name, lists[k].name])
            }
            seen[file.lowercased()] = k
        }
    }

    /// The file's bytes: a header (CSV) and one line per record `rows` picks, in that order.
    private func render(_ records: [ScoreRecord], rows: [Int], attributeNames: [(offset: Int, element: String)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 160)
        let empty = [String](repeating: "", count: attributes?.names.count ?? 0)
        @inline(__always) func put(_ s: String) { out.append(contentsOf: s.utf8) }
        switch format {
        case .csv:
            put((["customer_id"] + attributeNames.map(\.element) + Self.scoreColumns).map(CSVText.field).joined(separator: ","))
            out.append(10)
            for i in rows {
                let r = records[i]
                let attrs = attributes?.values[r.customerID] ?? empty
                CSVText.appendTextField(r.customerID, into: &out)
                for a in attributeNames { out.append(44); CSVText.appendTextField(attrs[a.offset], into: &out) }
                out.append(44); Self.appendNumber(r.churnProbability ?? .nan, into: &out)
                out.append(44); CSVText.appendTextField(r.riskTier, into: &out)
                out.append(44); CSVText.appendTextField(r.lifecycle, into: &out)
                out.append(44); Self.appendNumber(r.predictedValue, into: &out)
                out.append(44); if let k = r.winbackRank { out.append(contentsOf: String(k).utf8) }
                out.append(44); CSVText.appendTextField(r.segment, into: &out)
                out.append(44); CSVText.appendTextField(r.action, into: &out)
                out.append(44); CSVText.appendTextField(r.reasons.joined(separator: "; "), into: &out)
                out.append(10)
            }
        case .jsonl:
            for i in rows {
                let r = records[i]
                let attrs = attributes?.values[r.customerID] ?? empty
                put("{\"customer_id\":"); put(Self.jsonString(r.customerID))
                for a in attributeNames { put(","); put(Self.jsonString(a.element)); put(":"); put(Self.jsonString(attrs[a.offset])) }
                put(",\"churn_probability\":"); Self.appendJSONNumber(r.churnProbability ?? .nan, into: &out)
                put(",\"risk_tier\":"); put(Self.jsonString(r.riskTier))
                put(",\"lifecycle\":"); put(Self.jsonString(r.lifecycle))
                put(",\"predicted_value\":"); Self.appendJSONNumber(r.predictedValue, into: &out)
                put(",\"winback_rank\":"); put(r.winbackRank.map(String.init) ?? "null")
                put(",\"segment\":"); put(Self.jsonString(r.segment))
                put(",\"action\":"); put(Self.jsonString(r.action))
                put(",\"reasons\":["); put(r.reasons.map(Self.jsonString).joined(separator: ",")); put("]}\n")
            }
        }
        return out
    }

    /// A CSV number: Swift's shortest form (`0.25`, `1.0`), an empty cell when not finite.
    static func appendNumber(_ x: Double, into out: inout [UInt8]) {
        if x.isFinite { NumberFormat.appendShortest(x, wholeBelow: 0, into: &out) }
    }

    /// A JSON number: Swift's shortest form, `null` when not finite.
    static func appendJSONNumber(_ x: Double, into out: inout [UInt8]) {
        if x.isFinite { NumberFormat.appendShortest(x, wholeBelow: 0, into: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
