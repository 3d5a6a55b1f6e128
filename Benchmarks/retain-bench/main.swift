// In-process fit timings for BENCHMARKS.md, on the raw float64 matrices written by
// ../shared/bench/gen.py (lr.bin: n x (d + 1), label last; km.bin: n x d).
//
//   retain-bench lr DATA_DIR [C]              # logistic regression, C = 1
//   retain-bench km DATA_DIR INIT.csv [TOL]   # k-means from given initial centres
//   retain-bench clv SUMMARY.csv [UNIT]       # BG/NBD + Gamma-Gamma on an RFM summary CSV (see Benchmarks/clv.sh)
//
// Prints fit seconds (median of 3 after one warm-up) and the result summary.
import Foundation
import RetainCore
import RetainNumerics

func loadBin(_ path: String, columns: Int) -> Matrix {
    let d = FileManager.default.contents(atPath: path) ?? { fatalError("cannot read \(path)") }()
    let n = d.count / 8 / columns
    var v = [Double](repeating: 0, count: n * columns)
    _ = v.withUnsafeMutableBytes { d.copyBytes(to: $0) }
    return try! Matrix(rows: n, columns: columns, values: v)
}

func meta(_ dir: String) -> [String: Any] {
    let d = FileManager.default.contents(atPath: dir + "/meta.json")!
    return try! JSONSerialization.jsonObject(with: d) as! [String: Any]
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func time<R>(_ body: () throws -> R) rethrows -> (R, Double) {
    let t = DispatchTime.now().uptimeNanoseconds
    let r = try body()
    return (r, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
}

let args = CommandLine.arguments
guard args.count >= 3 else {
    print("usage: retain-bench lr DATA_DIR [C] | km DATA_DIR INIT.csv [TOL] | clv SUMMARY.csv [week|day]")
    exit(64)
}
let dir = args[2]
switch args[1] {
case "lr":
    let lrMeta = meta(dir)["lr"] as! [String: Any]
    let d = (lrMeta["bin_columns"] as? Int) ?? ((lrMeta["features"] as! Int) + 1)
    let all = loadBin(dir + "/lr.bin", columns: d)
    let p = d - 1
    var xv = [Double](); xv.reserveCapacity(all.rows * p)
    var y = [Double](); y.reserveCapacity(all.rows)
    for i in 0..<all.rows {
        xv.append(contentsOf: all.values[(i * d)..<(i * d + p)])
        y.append(all.values[i * d + p])
    }
    let x = try! Matrix(rows: all.rows, columns: p, values: xv)
    let c = args.count > 3 ? Double(args[3])! : 1.0
    var times = [Double]()
    var model: LogisticModel?
    for _ in 0..<4 {
        let (m, t) = try time { try LogisticRegression(c: c).fit(x, y) }
        model = m; times.append(t)
    }
    let m = model!
    print(String(format: "lr fit_s=%.3f (runs %@) n_iter=%d intercept=%.10f coef_sum=%.10f threads=%d",
                 median(Array(times.dropFirst())), times.dropFirst().map { String(format: "%.3f", $0) }.joined(separator: ","),
                 m.iterations, m.intercept, m.coefficients.reduce(0, +), Parallel.threadCount))
case "km":
    guard args.count >= 4 else { print("usage: retain-bench km DATA_DIR INIT.csv [TOL]"); exit(64) }
    let kmMeta = meta(dir)["km"] as! [String: Any]
    let d = (kmMeta["bin_columns"] as? Int) ?? (kmMeta["features"] as! Int)
    let x = loadBin(dir + "/km.bin", columns: d)
    // Initial centres: CSV with a header line, one centre per row.
    let lines = try! String(contentsOfFile: args[3], encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst()
    let init0 = try! Matrix(lines.map { $0.split(separator: ",").map { Double($0)! } })
    let tol = args.count > 4 ? Double(args[4])! : 0
    for algorithm in [KMeans.Algorithm.hamerly, .lloyd] {
        var times = [Double]()
        var model: KMeansModel?
        for _ in 0..<4 {
            let (m, t) = try time { try KMeans(clusterCount: init0.rows, tolerance: tol, algorithm: algorithm).fit(x, initialCentres: init0) }
            model = m; times.append(t)
        }
        let m = model!
        print(String(format: "km algorithm=%@ tol=%g fit_s=%.3f (runs %@) n_iter=%d inertia=%.6f threads=%d",
                     algorithm.rawValue, tol, median(Array(times.dropFirst())),
                     times.dropFirst().map { String(format: "%.3f", $0) }.joined(separator: ","),
                     m.iterations, m.inertia, Parallel.threadCount))
    }
case "clv":
    // Columns by name: frequency|x, recency|t_x, T, monetary_value|zbar (retain clv --out, or the
    // published CDNOW summary). Times in UNIT (default week).
    let text = try! String(contentsOfFile: dir, encoding: .utf8)
    var lines = text.split(whereSeparator: \.isNewline)
    let header = lines.removeFirst().split(separator: ",").map(String.init)
    func column(_ names: String...) -> Int {
        guard let k = header.firstIndex(where: { names.contains($0) }) else { fatalError("\(dir): no column \(names) in \(header)") }
        return k
    }
    let (cx, ctx, ct, cm) = (column("frequency", "x"), column("recency", "t_x"), column("T"), column("monetary_value", "zbar"))
    var x = [Double](), tx = [Double](), tt = [Double](), m = [Double]()
    for line in lines {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        x.append(Double(f[cx])!); tx.append(Double(f[ctx])!); tt.append(Double(f[ct])!); m.append(Double(f[cm]) ?? 0)
    }
    let unit = TimeUnit(rawValue: args.count > 3 ? args[3] : "week")!
    // Gamma-Gamma on repeat customers with a positive mean value, as `retain clv`.
    let spendRows = (0..<x.count).filter { x[$0] > 0 && m[$0] > 0 }
    let gx = spendRows.map { x[$0] }, gm = spendRows.map { m[$0] }
    let data = try! RFMData(frequency: x, recency: tx, age: tt, timeUnit: unit)
    var bgTimes = [Double](), ggTimes = [Double]()
    var bg: FittedBetaGeometricNBD?, gg: FittedGammaGamma?
    let started = DispatchTime.now().uptimeNanoseconds
    // One warm-up, then up to 7 timed runs (fewer when a run is slow).
    for run in 0..<8 {
        let (b, tb) = try! time { try BetaGeometricNBD().fit(data) }
        let (g, tg) = try! time { try GammaGamma().fit(frequency: gx, monetaryValue: gm) }
        bg = b; gg = g
        if run > 0 { bgTimes.append(tb); ggTimes.append(tg) }
        if run > 0, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 > 20 { break }
    }
    let b = bg!, g = gg!
    let total = zip(bgTimes, ggTimes).map { $0 + $1 }
    print(String(format: "clv n=%d fit_s=%.6f bgnbd_s=%.6f gg_s=%.6f runs=%d r=%.10f alpha=%.10f a=%.10f b=%.10f loglik=%.6f p=%.10f q=%.10f gamma=%.10f gg_n=%d threads=%d",
                 data.count, median(total), median(bgTimes), median(ggTimes), total.count,
                 b.params.r, b.params.alpha, b.params.a, b.params.b, b.logLikelihood,
                 g.params.p, g.params.q, g.params.gamma, Int(g.customerCount), Parallel.threadCount))
default:
    print("unknown benchmark \(args[1])"); exit(64)
}
