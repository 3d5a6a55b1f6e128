import Foundation
import XCTest
@testable import RetainCore
@testable import RetainNumerics

/// Fit timings of the CLV models (skipped unless RETAIN_BENCH=1; run in release:
/// `RETAIN_BENCH=1 swift test -c release --filter LifetimesBenchTests`). Prints one line per fit:
/// median wall time over repeats, parameters and log-likelihood. With RETAIN_BENCH_DUMP=DIR it
/// also writes the synthetic 1,000,000-customer summary to DIR/bgnbd_1m.csv for peer timings.
final class LifetimesBenchTests: XCTestCase {
    private func median(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        var times = [Double]()
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    func testBenchFitTimes() throws {
        guard ProcessInfo.processInfo.environment["RETAIN_BENCH"] == "1" else { throw XCTSkip("set RETAIN_BENCH=1") }
        let s = try CDNOW.summary()
        let data = try s.rfm()
        var bg: FittedBetaGeometricNBD?
        var t = try median(50) { bg = try BetaGeometricNBD().fit(data) }
        print(String(format: "bench bgnbd[cdnow_summary] n=%d fit_s=%.5f r=%.8f alpha=%.8f a=%.8f b=%.8f loglik=%.6f evals=%d",
                     data.count, t, bg!.params.r, bg!.params.alpha, bg!.params.a, bg!.params.b, bg!.logLikelihood, bg!.diagnostics.evaluations))
        var mbg: FittedModifiedBetaGeometricNBD?
        t = try median(50) { mbg = try ModifiedBetaGeometricNBD().fit(data) }
        print(String(format: "bench mbgnbd[cdnow_summary] n=%d fit_s=%.5f loglik=%.6f", data.count, t, mbg!.logLikelihood))
        var pn: FittedParetoNBD?
        t = try median(20) { pn = try ParetoNBD().fit(data) }
        print(String(format: "bench pareto[cdnow_summary] n=%d fit_s=%.5f r=%.8f alpha=%.8f s=%.8f beta=%.8f loglik=%.6f evals=%d",
                     data.count, t, pn!.params.r, pn!.params.alpha, pn!.params.s, pn!.params.beta, pn!.logLikelihood, pn!.diagnostics.evaluations))
        var gg: FittedGammaGamma?
        t = try median(50) { gg = try GammaGamma().fit(frequency: s.x, monetaryValue: s.zbar) }
        print(String(format: "bench gammagamma[cdnow_summary] n=%d fit_s=%.5f p=%.8f q=%.8f v=%.8f loglik=%.6f",
                     Int(gg!.customerCount), t, gg!.params.p, gg!.params.q, gg!.params.gamma, gg!.logLikelihood))
        var clv = [Double]()
        t = try median(10) { clv = try CustomerLifetimeValue().values(model: bg!, spend: gg!, data: data, monetaryValue: s.zbar) }
        print(String(format: "bench clv12m[cdnow_summary] n=%d s=%.5f mean=%.6f", data.count, t, clv.reduce(0, +) / Double(clv.count)))

        // Full CDNOW log: 69,659 purchases, 23,570 customers, summarised to 1998-06-30 in weeks (days / 7).
        let text = try String(contentsOf: CDNOW.directory.appendingPathComponent("CDNOW_master.txt"), encoding: .utf8)
        var ids = [Int](), days = [Double](), values = [Double]()
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            let f = line.split(separator: " ")
            ids.append(Int(f[0])!); days.append(Double(CDNOW.dayNumber(String(f[1])))); values.append(Double(f[3])!)
        }
        var master: RFMSummary?
        t = try median(10) {
            master = try RFMSummary(customers: ids, times: days, values: values,
                                    calibrationEnd: Double(CDNOW.dayNumber("19980630")), timeUnit: .week)
        }
        print(String(format: "bench rfm_summary[cdnow_master] transactions=%d customers=%d s=%.5f", ids.count, master!.customers.count, t))
        let md = master!.data
        t = try median(20) { bg = try BetaGeometricNBD().fit(md) }
        print(String(format: "bench bgnbd[cdnow_master days/7] n=%d fit_s=%.5f r=%.8f alpha=%.8f a=%.8f b=%.8f loglik=%.6f rows=%d",
                     md.count, t, bg!.params.r, bg!.params.alpha, bg!.params.a, bg!.params.b, bg!.logLikelihood, bg!.diagnostics.distinctRows))
        t = try median(5) { pn = try ParetoNBD().fit(md) }
        print(String(format: "bench pareto[cdnow_master days/7] n=%d fit_s=%.5f loglik=%.6f", md.count, t, pn!.logLikelihood))

        // 1,000,000 synthetic customers from BG/NBD (CDNOW parameters), ages 0–39 weeks in whole days.
        let truth = FittedBetaGeometricNBD(params: .init(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426), timeUnit: .week)
        var rng = SeededGenerator(seed: 7)
        let ages = (0..<1_000_000).map { _ in Double(Int(rng.nextUnit() * 273) + 1) / 7 }
        let sim = truth.simulate(ages: ages, using: &rng)
        let rounded = try RFMData(frequency: sim.frequency, recency: sim.recency.map { ($0 * 7).rounded(.down) / 7 }, age: sim.age)
        t = try median(5) { bg = try BetaGeometricNBD().fit(rounded) }
        print(String(format: "bench bgnbd[synthetic 1M, whole days] n=%d fit_s=%.5f r=%.6f alpha=%.6f a=%.6f b=%.6f rows=%d",
                     rounded.count, t, bg!.params.r, bg!.params.alpha, bg!.params.a, bg!.params.b, bg!.diagnostics.distinctRows))
        t = try median(3) { bg = try BetaGeometricNBD().fit(sim) }
        print(String(format: "bench bgnbd[synthetic 1M, continuous] n=%d fit_s=%.5f r=%.6f alpha=%.6f a=%.6f b=%.6f rows=%d",
                     sim.count, t, bg!.params.r, bg!.params.alpha, bg!.params.a, bg!.params.b, bg!.diagnostics.distinctRows))
        if let dir = ProcessInfo.processInfo.environment["RETAIN_BENCH_DUMP"] {
            var out = "frequency,recency,T\n"
            for i in 0..<rounded.count { out += "\(Int(rounded.frequency[i])),\(rounded.recency[i].description),\(rounded.age[i].description)\n" }
            try out.write(toFile: dir + "/bgnbd_1m.csv", atomically: true, encoding: .utf8)
        }
    }
}
