import Foundation
import RetainCore
import RetainIO

/// What a model file holds. Every model retain writes is one JSON file of one format
/// (`ModelEnvelope.formatName`) whose `kind` says which model it is.
public enum ModelKind: String, Codable, Sendable, CaseIterable {
    /// A churn model (logistic regression with its preprocessing): `ModelBundle`.
    case churn
    /// A customer segmentation (k-means centres with their preprocessing): `SegmentBundle`.
    case segments
    /// A customer-lifetime-value model (purchase model and optional spend model): `CLVModel`.
    case clv

    /// How messages name a model of this kind ("a churn model").
    public var displayName: String {
        switch self {
        case .churn: return "churn model"
        case .segments: return "segment model"
        case .clv: return "CLV model"
        }
    }
}

/// A model that is stored in a retain model file. The file is the model's own JSON with the
/// envelope's header fields beside its content: `format`, `format_version`, `kind`,
/// `created_at`, `tool_version` and `checksum`.
public protocol ModelPayload: Codable, Sendable {
    /// The kind written into (and required of) every file of this model.
    static var kind: ModelKind { get }
    var format: String { get set }
    var formatVersion: Int { get set }
    var kind: ModelKind { get set }
    var createdAt: String { get }
    var toolVersion: String { get }
    /// "sha256:<hex>" over the content (see `ModelEnvelope.checksum(of:)`).
    var checksum: String { get set }
    /// The content the checksum covers: `self` with the checksum blanked, and with any field
    /// meant to be edited by hand (segment names) blanked too.
    func checksummedContent() -> Self
}

extension ModelPayload {
    public func checksummedContent() -> Self {
        var copy = self
        copy.checksum = ""
        return copy
    }

    /// The SHA-256 of the checked content, as "sha256:<hex>".
    public func contentChecksum() throws -> String { try ModelEnvelope.checksum(of: self) }

    /// The file content (header and checksum filled in), as pretty JSON.
    public func encoded() throws -> Data { try ModelEnvelope.encode(self) }
}

/// The one versioned, checksummed file format of every retain model, and its one load-and-verify path.
///
/// A model file is JSON: the model's fields with the header `format` (`retain.model`),
/// `format_version`, `kind` (churn | segments | clv), `created_at`, `tool_version` and
/// `checksum`. The checksum is "sha256:" and the SHA-256 of the compact JSON encoding (sorted
/// keys) of `checksummedContent()`; loading re-encodes and compares, so a changed or truncated
/// file is refused.
public enum ModelEnvelope {
    public static let formatName = "retain.model"
    public static let formatVersion = 2

    /// Formats of the files retain wrote before the kinds shared one format.
    static let oldFormats = ["retain.churn-model", "retain.segment-model", "retain.logistic-model", "retain.segments"]

    /// What every model file says about itself.
    public struct Header: Sendable, Equatable {
        public var kind: ModelKind
        public var formatVersion: Int
        public var createdAt: String?
        public var toolVersion: String?
    }

    /// The SHA-256 of `model`'s checked content, as "sha256:<hex>".
    public static func checksum<P: ModelPayload>(of model: P) throws -> String {
        var copy = model.checksummedContent()
        copy.format = formatName
        copy.formatVersion = formatVersion
        copy.kind = P.kind
        return "sha256:" + SHA256.hex(try RetainJSON.encoder(pretty: false).encode(copy))
    }

    /// The file content of `model`: header filled in (format, version, kind, checksum), pretty JSON.
    public static func encode<P: ModelPayload>(_ model: P) throws -> Data {
        var copy = model
        copy.format = formatName
        copy.formatVersion = formatVersion
        copy.kind = P.kind
        copy.checksum = try checksum(of: copy)
        return try RetainJSON.encoder().encode(copy)
    }

    /// Writes `model` to `path` atomically (a temporary file renamed into place).
    public static func write<P: ModelPayload>(_ model: P, to path: String) throws {
        try AtomicFile.write(try encode(model), to: path)
    }

    /// The bytes of the file at `path`.
    ///
    /// - Throws: `ScoringError.modelUnreadable`.
    public static func read(path: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ScoringError.modelUnreadable(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// The header of model-file bytes: checks it is JSON of this format and version.
    ///
    /// - Throws: `ScoringError` naming `path`: `.modelNotJSON` (truncated), `.oldModelFormat`,
    ///   `.foreignModel`, `.unsupportedModelVersion`, `.malformedModel` (no version or kind).
    public static func header(of data: Data, path: String) throws -> Header {
        // A depth guard before parsing (recursive parsers and decoders recurse once per level).
        if let problem = NestingLimit.check(data, yaml: false) {
            throw ScoringError.fileBeyondLimit(path: path, what: "a model file", problem: problem)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) else { throw ScoringError.modelNotJSON(path: path) }
        guard let dict = object as? [String: Any], let format = dict["format"] as? String else {
            throw ScoringError.foreignModel(path: path, found: "none")
        }
        if oldFormats.contains(format) { throw ScoringError.oldModelFormat(path: path, format: format) }
        guard format == formatName else { throw ScoringError.foreignModel(path: path, found: format) }
        guard let version = dict["format_version"] as? Int else { throw ScoringError.malformedModel(path: path, reason: "no format_version") }
        guard version == formatVersion else { throw ScoringError.unsupportedModelVersion(path: path, version: version) }
        guard let kindText = dict["kind"] as? String else { throw ScoringError.malformedModel(path: path, reason: "no kind") }
        guard let kind = ModelKind(rawValue: kindText) else {
            throw ScoringError.malformedModel(path: path, reason: "kind '\(kindText)' is not one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return Header(kind: kind, formatVersion: version, createdAt: dict["created_at"] as? String, toolVersion: dict["tool_version"] as? String)
    }

    /// Verifies and decodes a model of type `P` from file bytes; `path` is only used in messages.
    ///
    /// - Throws: `ScoringError`: what `header(of:path:)` throws, `.wrongModelKind`, `.malformedModel`,
    ///   `.modelChecksumMismatch` (changed), `.inconsistentModel` (lengths that disagree, values not
    ///   finite or out of range, whatever the checksum), `.fileBeyondLimit` (nested too deep).
    public static func decode<P: ModelPayload>(_ type: P.Type, from data: Data, path: String) throws -> P {
        let header = try header(of: data, path: path)
        guard header.kind == P.kind else { throw ScoringError.wrongModelKind(path: path, found: header.kind, expected: P.kind) }
        let model: P
        do { model = try RetainJSON.decoder().decode(P.self, from: data) } catch {
            throw ScoringError.malformedModel(path: path, reason: describe(error))
        }
        guard model.checksum == (try checksum(of: model)) else { throw ScoringError.modelChecksumMismatch(path: path) }
        // The checksum is unkeyed (anyone can recompute it): check the structure too.
        do { try (model as? any StructureChecked)?.checkStructure() } catch let e as StructureProblem {
            throw ScoringError.inconsistentModel(path: path, field: e.field, problem: e.problem)
        }
        return model
    }

    /// Reads and verifies a model of type `P` from `path`.
    public static func load<P: ModelPayload>(_ type: P.Type, path: String) throws -> P {
        try decode(type, from: try read(path: path), path: path)
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "field '\(key.stringValue)' is missing"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        default: return "\(error)"
        }
    }
}

/// Any retain model file, verified: what `retain models list` and `show` read.
public enum AnyModel: Sendable {
    case churn(ModelBundle)
    case segments(SegmentBundle)
    case clv(CLVModel)

    /// Reads and verifies the model file at `path`, whatever its kind.
    ///
    /// - Throws: `ScoringError` (see `ModelEnvelope.decode`).
    public static func load(path: String) throws -> AnyModel {
        let data = try ModelEnvelope.read(path: path)
        switch try ModelEnvelope.header(of: data, path: path).kind {
        case .churn: return .churn(try ModelBundle.decode(data, path: path))
        case .segments: return .segments(try ModelEnvelope.decode(SegmentBundle.self, from: data, path: path))
        case .clv: return .clv(try ModelEnvelope.decode(CLVModel.self, from: data, path: path))
        }
    }

    public var kind: ModelKind {
        switch self {
        case .churn: return .churn
        case .segments: return .segments
        case .clv: return .clv
        }
    }

    /// The verified file content (checksum filled in), as pretty JSON.
    public func encoded() throws -> Data {
        switch self {
        case .churn(let m): return try ModelEnvelope.encode(m)
        case .segments(let m): return try ModelEnvelope.encode(m)
        case .clv(let m): return try ModelEnvelope.encode(m)
        }
    }
}
