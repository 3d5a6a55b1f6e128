import Foundation
import RetainCore

extension Timestamp {
    /// `YYYY-MM-DD` of a Unix time (UTC): the day it falls on.
    public static func dateText(_ t: Double) -> String {
        Day(containing: t).description
    }
}
