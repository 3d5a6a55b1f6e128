import Foundation

/// What a run of the `retain` executable produced.
struct CLIResult { var status: Int32; var stdout: String; var stderr: String }

/// The built `retain` binary, beside the test bundle.
var retainBinary: URL { Bundle.main.bundleURL.appendingPathComponent("retain") }

/// Runs `retain` with `arguments`, capturing both streams.
func runRetain(_ arguments: [String], currentDirectory: URL? = nil) throws -> CLIResult {
    let p = Process()
    p.executableURL = retainBinary
    p.arguments = arguments
    if let currentDirectory { p.currentDirectoryURL = currentDirectory }
    let out = Pipe()
    p.standardOutput = out
    // Drain stderr to a temporary file instead of a pipe, so a chatty child cannot block on it.
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("retain-stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let errHandle = try FileHandle(forWritingTo: errURL)
    p.standardError = errHandle
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    try? errHandle.close()
    let e = (try? Data(contentsOf: errURL)) ?? Data()
    try? FileManager.default.removeItem(at: errURL)
    return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}
