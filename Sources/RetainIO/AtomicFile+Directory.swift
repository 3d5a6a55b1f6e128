import Foundation
import CRetainSupport
#if canImport(Glibc)
import Glibc
#endif

/// Why a directory could not be replaced as a whole.
public enum DirectorySwapError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path names something that is not a directory (a file, a device), which a set of files
    /// cannot replace.
    case notADirectory(path: String)
    /// The kernel or file system cannot swap two directories atomically (`renameat2` with
    /// `RENAME_EXCHANGE` failed with EINVAL or ENOSYS); nothing was changed.
    case swapUnsupported(path: String, reason: String)

    public var description: String {
        switch self {
        case .notADirectory(let path):
            return "\(path) exists and is not a directory; the lists replace a whole directory. Give a directory path (or remove the file)."
        case .swapUnsupported(let path, let reason):
            return "cannot replace \(path) atomically: its file system does not support swapping directories (\(reason)); nothing was changed. Write to a local file system such as ext4, xfs, btrfs or tmpfs."
        }
    }
}

extension DirectorySwapError: LocalizedError {
    public var errorDescription: String? { description }
}

extension AtomicFile {
    /// A directory replaced as a whole: files are written into a hidden sibling directory, which
    /// is then swapped with the target in one step, so a reader (or a kill at any moment, or a
    /// failure midway) sees the complete old set or the complete new set, never a mix.
    ///
    /// The sibling (`.NAME.retain-new-XXXXXX`, beside the target on the same file system) is made
    /// owner-only (0700); each file is written owner-only (0600) and synced. ``commit()`` syncs
    /// the sibling, swaps it with the target (`renameat2(RENAME_EXCHANGE)`; a plain rename when
    /// the target does not exist yet), syncs the parent and removes the old set, which is then at
    /// the sibling's path. Siblings left by killed runs are removed when the next one starts
    /// (only names of this form, and only when no running export holds them: each holds a lock
    /// on its sibling). When the target is a symbolic link, the directory it points to is the one
    /// replaced and the link stays. There is no non-atomic fallback: when the file system cannot
    /// swap, ``commit()`` throws ``DirectorySwapError/swapUnsupported(path:reason:)`` and the
    /// target stays as it was.
    ///
    /// ```swift
    /// let set = try AtomicFile.Directory(replacing: "lists")
    /// try set.write(data, named: "at-risk.csv")
    /// try set.write(manifest, named: "manifest.json")
    /// try set.commit()
    /// ```
    public final class Directory {
        /// Where a simulated kill stops (tests): the process "dies" there, leaving what a
        /// SIGKILL would leave.
        package enum KillPoint: Sendable { case beforeSwap, afterSwap }

        /// Thrown at a ``KillPoint`` (tests only).
        package struct SimulatedKill: Error {}

        /// The target path as given.
        public let path: String
        /// The directory that is replaced: `path` with symbolic links followed, absolute.
        public let targetPath: String
        /// The hidden sibling the new set is written into.
        public let stagingPath: String
        private var dirFD: Int32
        private var finished = false

        /// Test hook: the write with this 0-based index fails as a full disk would.
        package var failingWrite: Int?
        /// Test hook: stop as if killed at this point of ``commit()``.
        package var killPoint: KillPoint?
        private var writes = 0

        /// The part of a sibling's name after `.NAME`.
        static let marker = ".retain-new-"

        /// Prepares to replace the directory at `path`: follows symbolic links, creates missing
        /// parent directories (0700), removes siblings left by killed runs, calls `check` with
        /// the existing directory (when there is one; it may throw to refuse), then creates the
        /// empty sibling.
        ///
        /// - Throws: ``DirectorySwapError/notADirectory(path:)``, `IOError.writeFailed`, or what
        ///   `check` throws.
        public init(replacing path: String, check: (String) throws -> Void = { _ in }) throws {
            self.path = path
            dirFD = -1
            var trimmed = path
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
            let followed = try Stream.followLinks(trimmed)
            let parent: String, name: String
            if let real = Self.realPath(followed) {
                (parent, name) = Self.split(real)
                var st = stat()
                guard stat(real, &st) == 0 else { throw Self.failure(path, errno) }
                guard st.st_mode & S_IFMT == S_IFDIR else { throw DirectorySwapError.notADirectory(path: path) }
            } else {
                let (lexicalParent, last) = Self.split(followed)
                guard !last.isEmpty, last != ".", last != ".." else { throw Self.failure(path, EINVAL) }
                if !FileManager.default.fileExists(atPath: lexicalParent) {
                    do {
                        try FileManager.default.createDirectory(atPath: lexicalParent, withIntermediateDirectories: true,
                                                                attributes: [.posixPermissions: 0o700])
                    } catch {
                        throw IOError.writeFailed(path: path, reason: (error as NSError).localizedDescription)
                    }
                }
                guard let realParent = Self.realPath(lexicalParent) else { throw Self.failure(path, errno) }
                (parent, name) = (realParent, last)
            }
            guard !name.isEmpty, name != "/" else { throw Self.failure(path, EBUSY) }
            targetPath = parent == "/" ? "/" + name : parent + "/" + name
            Self.removeLeftovers(in: parent, of: name)
            var st = stat()
            if lstat(targetPath, &st) == 0 { try check(targetPath) }

            var template = Array("\(parent)/.\(name)\(Self.marker)XXXXXX".utf8CString)
            guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
                throw Self.failure(path, errno)
            }
            stagingPath = String(cString: template)
            dirFD = open(stagingPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
            guard dirFD >= 0, fchmod(dirFD, 0o700) == 0, flock(dirFD, LOCK_EX | LOCK_NB) == 0 else {
                let e = errno
                abandon()
                throw Self.failure(path, e)
            }
        }

        deinit { abandon() }

        /// Writes `data` as the file `name` of the new set (mode 0600, synced). Each name once.
        public func write(_ data: Data, named name: String) throws {
            precondition(!finished, "write after commit or abandon")
            guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
                throw Self.failure(path + "/" + name, EINVAL)
            }
            let shown = (path as NSString).appendingPathComponent(name)
            defer { writes += 1 }
            if writes == failingWrite { throw Self.failure(shown, ENOSPC) }
            let fd = openat(dirFD, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw Self.failure(shown, errno) }
            defer { close(fd) }
            try data.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, path: shown) }
            guard fchmod(fd, 0o600) == 0, fsync(fd) == 0 else { throw Self.failure(shown, errno) }
        }

        /// Syncs the new set, swaps it in place of the target, syncs the parent and removes the
        /// old set. Before the swap, a failure leaves the target as it was.
        public func commit() throws {
            precondition(!finished, "commit after commit or abandon")
            if fsync(dirFD) != 0, errno != EINVAL {
                let e = errno
                abandon()
                throw Self.failure(path, e)
            }
            if killPoint == .beforeSwap { throw die() }
            var st = stat()
            var swapped = lstat(targetPath, &st) == 0
            if !swapped, rename(stagingPath, targetPath) != 0 {
                // Made meanwhile by someone else: swap with it instead.
                let e = errno
                swapped = (e == EEXIST || e == ENOTEMPTY) && lstat(targetPath, &st) == 0
                guard swapped else {
                    abandon()
                    throw Self.failure(path, e)
                }
            }
            if swapped {
                guard st.st_mode & S_IFMT == S_IFDIR else {
                    abandon()
                    throw DirectorySwapError.notADirectory(path: path)
                }
                if retain_rename_exchange(stagingPath, targetPath) != 0 {
                    let e = errno
                    abandon()
                    if e == EINVAL || e == ENOSYS || e == ENOTSUP {
                        throw DirectorySwapError.swapUnsupported(path: path, reason: "renameat2 RENAME_EXCHANGE: " + String(cString: strerror(e)))
                    }
                    throw Self.failure(path, e)
                }
            }
            finished = true
            if killPoint == .afterSwap { throw die() }
            close(dirFD)
            dirFD = -1
            let parent = Self.split(targetPath).parent
            let pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if pfd >= 0 {
                defer { close(pfd) }
                if fsync(pfd) != 0, errno != EINVAL, errno != ENOTSUP {
                    let e = errno
                    if swapped { try? FileManager.default.removeItem(atPath: stagingPath) }
                    throw Self.failure(path, e)
                }
            }
            // The old set is now at the sibling's path; a failure to remove it is retried by the next run.
            if swapped { try? FileManager.default.removeItem(atPath: stagingPath) }
        }

        /// Removes the sibling and everything written to it; the target is untouched. Does
        /// nothing after ``commit()``.
        public func abandon() {
            if dirFD >= 0 { close(dirFD); dirFD = -1 }
            if !finished, !stagingPath.isEmpty { try? FileManager.default.removeItem(atPath: stagingPath) }
            finished = true
        }

        /// A simulated SIGKILL: the lock goes (as with a dead process), everything else stays.
        private func die() -> SimulatedKill {
            if dirFD >= 0 { close(dirFD); dirFD = -1 }
            finished = true
            return SimulatedKill()
        }

        /// The absolute path `path` names with every symbolic link resolved; nil when it does not exist.
        static func realPath(_ path: String) -> String? {
            guard let p = realpath(path, nil) else { return nil }
            defer { free(p) }
            return String(cString: p)
        }

        /// `path` split at its last slash: (`.` when there is none).
        static func split(_ path: String) -> (parent: String, name: String) {
            guard let slash = path.lastIndex(of: "/") else { return (".", path) }
            let parent = String(path[..<slash])
            return (parent.isEmpty ? "/" : parent, String(path[path.index(after: slash)...]))
        }

        /// Removes the siblings `.NAME.retain-new-XXXXXX` of `name` in `parent` left by killed
        /// runs: directories only, and only those no running export holds locked.
        static func removeLeftovers(in parent: String, of name: String) {
            let prefix = "." + name + marker
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
            for entry in entries where entry.hasPrefix(prefix) && entry.utf8.count == prefix.utf8.count + 6
                && entry.utf8.suffix(6).allSatisfy({ $0 < 128 && isalnum(Int32($0)) != 0 }) {
                let full = parent == "/" ? "/" + entry : parent + "/" + entry
                let fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // a running export's
                try? FileManager.default.removeItem(atPath: full)
            }
        }

        static func failure(_ path: String, _ code: Int32) -> IOError { AtomicFile.failure(path, code) }
    }
}
