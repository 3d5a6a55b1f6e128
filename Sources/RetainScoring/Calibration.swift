import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// Isotonic calibration: a non-decreasing step function of the linear predictor z, fitted by
/// pool-adjacent-violators (as scikit-learn's `IsotonicRegression(out_of_bounds="clip")`),
/// interpolated linearly between block centres and clipped at the ends. Values are kept inside
/// [0.5/n, 1 − 0.5/n] (n = fitting rows) so no customer gets a probability of exactly 0 or 1.
public struct IsotonicCalibration: Codable, Sendable, Equatable {
    /// Block centres (mean z of each pooled block), ascending.
    public var z: [Double]
    /// Calibrated probability of each block.
    public var p: [Double]
    public var rows: Int

    /// Fits to linear predictors `z` and 0/1 labels `y`.
    /// - Complexity: O(n log n).
    public static func fit(z: [Double], y: [Double]) -> IsotonicCalibration {
        let order = z.indices.sorted { z[$0] != z[$1] ? z[$0] < z[$1] : $0 < $1 }
        // Blocks: (sum z, sum y, count); equal z values start in one block.
        var sz: [Double] = [], sy: [Double] = [], n: [Double] = []
        var lastZ = Double.nan
        for i in order {
            if z[i] == lastZ { sz[sz.count - 1] += z[i]; sy[sy.count - 1] += y[i]; n[n.count - 1] += 1 } else {
                sz.append(z[i]); sy.append(y[i]); n.append(1); lastZ = z[i]
            }
            while sy.count >= 2 && sy[sy.count - 2] / n[n.count - 2] >= sy[sy.count - 1] / n[n.count - 1] {
                let a = sy.count - 2
                sz[a] += sz.removeLast(); sy[a] += sy.removeLast(); n[a] += n.removeLast()
            }
        }
        let lo = 0.5 / Double(max(z.count, 1)), hi = 1 - lo
        return IsotonicCalibration(z: zip(sz, n).map { $0 / $1 }, p: zip(sy, n).map { min(hi, max(lo, $0 / $1)) }, rows: z.count)
    }

    /// The calibrated probability at linear predictor `x`.
    public func apply(_ x: Double) -> Double {
        guard let first = z.first, let last = z.last else { return 0.5 }
        if x <= first { return p[0] }
        if x >= last { return p[p.count - 1] }
        var lo = 0, hi = z.count - 1
        while hi - lo > 1 { let mid = (lo + hi) / 2; if z[mid] <= x { lo = mid } else { hi = mid } }
        let t = (x - z[lo]) / (z[hi] - z[lo])
        return p[lo] + t * (p[hi] - p[lo])
    }
}
