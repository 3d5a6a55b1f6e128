import RetainCore
/// Errors from the sample-data generator.
public enum SampleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A setting is out of range; the message names it and the valid range.
    case invalidSetting(String)
    /// A file could not be written.
    case writeFailed(path: String, reason: String)
    /// The output directory could not be created.
    case cannotCreateDirectory(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidSetting(let message):
            return message
        case .writeFailed(let path, let reason):
            return "could not write \(path): \(reason). Check that the directory exists and is writable."
        case .cannotCreateDirectory(let path, let reason):
            return "could not create the output directory \(path): \(reason)"
        }
    }
}
