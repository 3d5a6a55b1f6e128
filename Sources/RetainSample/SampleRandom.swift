import Foundation
import RetainCore

/// The distributions the generator draws from, on top of `SeededGenerator`'s uniform bits.
///
/// Every draw consumes a fixed, documented number of 64-bit words except the rejection samplers
/// (gamma, Poisson), whose consumption depends only on earlier draws, so a stream is reproducible.
extension SeededGenerator {
    /// Derives an independent stream for `index` under `seed` (customer i, the global schedule).
    static func stream(seed: UInt64, index: UInt64) -> SeededGenerator {
        SeededGenerator(seed: mix64(seed ^ mix64(index &+ 0x5851_F42D_4C95_7F2D)))
    }

    /// A uniform double in [0, 1).
    @inline(__always) mutating func uniform() -> Double { nextUnit() }

    /// A uniform double in [a, b).
    @inline(__always) mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * nextUnit() }

    /// A uniform integer in `0..<n` (n ≥ 1), by multiply-shift (bias < n / 2^64).
    @inline(__always) mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// `true` with probability `p`.
    @inline(__always) mutating func chance(_ p: Double) -> Bool { nextUnit() < p }

    /// A standard normal draw (Box–Muller, two uniforms, the second variate discarded).
    mutating func normal() -> Double {
        let u1 = 1.0 - nextUnit()   // (0, 1]
        let u2 = nextUnit()
        return (-2.0 * Foundation.log(u1)).squareRoot() * Foundation.cos(2.0 * Double.pi * u2)
    }

    /// A normal draw with mean `mu` and standard deviation `sigma`.
    mutating func normal(_ mu: Double, _ sigma: Double) -> Double { mu + sigma * normal() }

    /// exp(N(log median, sigma)): a positive draw with the given median.
    mutating func logNormal(median: Double, sigma: Double) -> Double {
        median * Foundation.exp(sigma * normal())
    }

    /// An exponential draw with the given mean.
    mutating func exponential(mean: Double) -> Double { -mean * Foundation.log(1.0 - nextUnit()) }

    /// A gamma draw with `shape` > 0 and scale 1 (Marsaglia & Tsang 2000; shape < 1 by boosting).
    mutating func gamma(shape: Double) -> Double {
        if shape < 1 {
            let g = gamma(shape: shape + 1)
            return g * Foundation.pow(1.0 - nextUnit(), 1.0 / shape)
        }
        let d = shape - 1.0 / 3.0, c = 1.0 / (9.0 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat { x = normal(); v = 1.0 + c * x } while v <= 0
            v = v * v * v
            let u = 1.0 - nextUnit()
            if u < 1.0 - 0.0331 * x * x * x * x { return d * v }
            if Foundation.log(u) < 0.5 * x * x + d * (1.0 - v + Foundation.log(v)) { return d * v }
        }
    }

    /// A Poisson draw with mean `lambda` (inversion from one uniform; meant for lambda ≲ 30).
    mutating func poisson(_ lambda: Double) -> Int {
        guard lambda > 0 else { return 0 }
        if lambda > 30 {   // normal approximation: only reached with extreme settings
            return max(0, Int((lambda + lambda.squareRoot() * normal()).rounded()))
        }
        let u = nextUnit()
        var p = Foundation.exp(-lambda), cdf = p, k = 0
        while u >= cdf && k < 200 {
            k += 1
            p *= lambda / Double(k)
            cdf += p
        }
        return k
    }

    /// An index drawn with probability proportional to `cumulative`'s increments (last = total).
    mutating func pick(cumulative: [Double]) -> Int {
        let u = nextUnit() * cumulative[cumulative.count - 1]
        var i = 0
        while i < cumulative.count - 1 && u >= cumulative[i] { i += 1 }
        return i
    }
}

/// SplitMix64's finaliser: a bijective 64-bit mix.
@inline(__always) func mix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
