import RetainIO

/// `YYYY-MM-DD` of a Unix time (UTC).
public func formatDate(_ t: Double) -> String { Timestamp.dateText(t) }
