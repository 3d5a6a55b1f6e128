import Foundation
import RetainCore

extension ScoreDiff {
    /// Segment moves of one kind (`from → to`): how many customers made it and their most common
    /// top reason.
    public struct MoveCount: Sendable, Equatable {
        /// `loyal → at risk`.
        public var move: String
        public var customers: Int
        /// The most common top reason among them (ties: the alphabetically first); empty when none.
        public var topReason: String
    }

    /// Moves grouped by kind, most customers first (ties by name).
    public var moveCounts: [MoveCount] {
        var counts: [String: (n: Int, reasons: [String: Int])] = [:]
        for m in moves {
            let key = "\(m.from) → \(m.to)"
            counts[key, default: (0, [:])].n += 1
            counts[key, default: (0, [:])].reasons[m.reason, default: 0] += 1
        }
        return counts.sorted { $0.value.n > $1.value.n || ($0.value.n == $1.value.n && $0.key < $1.key) }.map { key, value in
            let top = value.reasons.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? ""
            return MoveCount(move: key, customers: value.n, topReason: top)
        }
    }
}
