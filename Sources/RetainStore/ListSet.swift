import Foundation
import RetainIO

/// Why a list set could not be written; the output directory is left as it was.
public enum ListSetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The output directory holds files retain did not write (not listed in its `manifest.json`),
    /// which replacing the set would delete. `files`: the first few, sorted.
    case foreignFiles(directory: String, files: [String], count: Int)
    /// Two lists map to the same file name (e.g. actions `Win Back` and `win-back`).
    case sameFileName(file: String, lists: [String])

    public var description: String {
        switch self {
        case .foreignFiles(let directory, let files, let count):
            let more = count > files.count ? " and \(count - files.count) more" : ""
            return "\(directory) holds files that retain did not write (\(files.joined(separator: ", "))\(more)); "
                + "the lists replace the whole directory, so nothing was written. Move those files elsewhere, or export to an empty or new directory."
        case .sameFileName(let file, let lists):
            return "lists '\(lists.joined(separator: "' and '"))' would both be written to \(file); rename one of them (action ids and segment names must differ after lower-casing and replacing other characters than a-z, 0-9 and _ by '-')."
        }
    }
}

extension ListSetError: LocalizedError {
    public var errorDescription: String? { description }
}

/// What may be in an output directory that a new list set replaces.
enum ListSetCheck {
    static let manifestName = "manifest.json"

    /// The part of an old manifest this check reads (other fields may come and go).
    private struct Listed: Decodable {
        struct Entry: Decodable { var file: String }
        var lists: [Entry]
    }

    /// Throws `ListSetError.foreignFiles` unless every entry of `directory` is `manifest.json`,
    /// a file it lists, or a temporary file an earlier retain left beside one of them
    /// (`.NAME.tmp-XXXXXX`); each must be a file or a symbolic link, not a directory.
    static func refuseForeignFiles(_ directory: String) throws {
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw IOError.readFailed(path: directory, reason: (error as NSError).localizedDescription)
        }
        let manifestPath = (directory as NSString).appendingPathComponent(manifestName)
        let listed = (try? JSONDecoder().decode(Listed.self, from: Data(contentsOf: URL(fileURLWithPath: manifestPath))))
            .map { Set($0.lists.map(\.file)) }
        var allowed: Set<String> = listed.map { $0.union([manifestName]) } ?? []
        allowed.remove("")
        let foreign = entries.filter { name in
            guard allowed.contains(name) || isOldTemporaryFile(name) && listed != nil else { return true }
            var st = stat()
            guard lstat((directory as NSString).appendingPathComponent(name), &st) == 0 else { return false }
            let type = st.st_mode & S_IFMT
            return type != S_IFREG && type != S_IFLNK
        }.sorted()
        guard foreign.isEmpty else {
            throw ListSetError.foreignFiles(directory: directory, files: Array(foreign.prefix(5)), count: foreign.count)
        }
    }

    /// `.NAME.tmp-XXXXXX` with NAME a list or manifest file name: what a killed earlier retain
    /// (writing files one by one) could leave.
    static func isOldTemporaryFile(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.utf8.count > 12 else { return false }
        let stem = name.dropFirst().dropLast(11)
        let tail = name.suffix(11)
        return tail.hasPrefix(".tmp-") && (stem.hasSuffix(".csv") || stem.hasSuffix(".jsonl") || stem.hasSuffix(".json"))
    }
}
