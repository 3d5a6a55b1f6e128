import Logging

/// Diagnostics for library users: workflows take a swift-log `Logger` and never print.
///
/// The command-line tool bootstraps swift-log once (its handler writes to stderr); a library
/// user passes their own logger, or gets ``silent`` by default.
public enum RetainLog {
    /// A logger that discards everything: the default of every workflow's `logger:` parameter,
    /// so a library call prints nothing unless asked to.
    public static let silent = Logger(label: "retain", factory: { _ in SwiftLogNoOpLogHandler() })
}
