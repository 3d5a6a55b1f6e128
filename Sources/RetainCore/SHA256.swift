import Crypto

/// SHA-256 digests for model bundles, data fingerprints and export manifests, computed by
/// swift-crypto (BoringSSL on Linux, CryptoKit on Apple platforms).
///
/// A thin façade so callers get bytes or lowercase hex without importing Crypto themselves.
/// - Complexity: O(n) in the message length.
public enum SHA256 {
    /// The 32-byte digest of `data`.
    public static func digest<D: Sequence>(_ data: D) -> [UInt8] where D.Element == UInt8 {
        if let bytes = data as? [UInt8] { return Array(Crypto.SHA256.hash(data: bytes)) }
        return Array(Crypto.SHA256.hash(data: Array(data)))
    }

    /// The digest of `data` as 64 lowercase hexadecimal digits.
    public static func hex<D: Sequence>(_ data: D) -> String where D.Element == UInt8 {
        let hexDigits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest(data) {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
