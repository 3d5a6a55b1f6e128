import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain models list|show`: the churn-model bundles on disk, verified.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List or show trained churn-model bundles (each is verified: format, version, SHA-256).",
        subcommands: [List.self, Show.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the model bundles in a directory, with their as-of date and holdout AUC.")

        @Option(name: .long, help: ArgumentHelp("Directory to list.", valueName: "dir"))
        var dir: String = "models"

        func run() throws {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted() } catch {
                throw CLIError("cannot list \(dir): \((error as NSError).localizedDescription).")
            }
            if names.isEmpty { print("No .json files in \(dir)."); return }
            for name in names {
                let path = (dir as NSString).appendingPathComponent(name)
                do {
                    let b = try ModelBundle.load(path: path)
                    print(String(format: "%@  as of %@  %d features  holdout AUC %.4f (baseline %@)  C = %g  created %@",
                                 path, b.asOf, b.features.count, b.metrics.auc,
                                 b.metrics.baselineAUC.map { String(format: "%.4f", $0) } ?? "—", b.c, b.createdAt))
                } catch let e as BundleError {
                    guard case .foreign = e else { print("\(path)  REFUSED: \(e)"); continue }
                    do {
                        let s = try SegmentBundle.load(path: path)
                        print("\(path)  segments as of \(s.asOf)  k = \(s.k): \(s.segments.map(\.name).joined(separator: ", "))  created \(s.createdAt)")
                    } catch let e as BundleError {
                        if case .malformed = e { print("\(path)  (not a retain model bundle)") } else { print("\(path)  REFUSED: \(e)") }
                    }
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one model bundle: training data, metrics, thresholds and coefficients.")

        @Argument(help: ArgumentHelp("The bundle (models/NAME.json).", valueName: "model"))
        var model: String

        @Flag(name: .long, help: "Print the verified bundle as JSON.")
        var json = false

        func run() throws {
            let b: ModelBundle
            do { b = try ModelBundle.load(path: model) } catch BundleError.foreign(_, let found) where found == SegmentBundle.formatName {
                return try showSegments()
            }
            if json {
                FileHandle.standardOutput.write(try b.encoded())
                print("")
                return
            }
            let m = b.metrics
            print("\(model): \(b.format) v\(b.formatVersion), created \(b.createdAt) by retain \(b.toolVersion); checksum OK (\(b.checksum))")
            print("Churn: \(b.churn.definition.rawValue), \(b.churn.horizonDays)-day horizon; as of \(b.asOf); observation dates \(b.observationDates.joined(separator: ", ")); held out \(b.holdoutDates.joined(separator: ", "))")
            print("Training data: \(b.fingerprint.rows) observations, \(b.fingerprint.customers) customers, sha256 \(b.fingerprint.sha256)")
            print(String(format: "C = %g, class weight %@; %d features", b.c, b.classWeight, b.features.count))
            print(String(format: "Holdout: AUC %.4f (recency baseline %@), AP %.4f, log loss %.5f, Brier %.5f, top-decile lift %.2f, base rate %.4f, %d observations",
                         m.auc, m.baselineAUC.map { String(format: "%.4f", $0) } ?? "—", m.averagePrecision, m.logLoss, m.brier,
                         m.liftTopDecile, m.baseRate, m.observations))
            print(String(format: "Risk thresholds (calibrated probability): high >= %.4f, medium >= %.4f; top %.0f %% list", b.thresholds.high, b.thresholds.medium, 100 * b.thresholds.topFraction))
            print("Calibration: \(b.calibrationMethod) (fitted on the held-out dates)")
            print("Top coefficients by |z|:")
            for row in b.coefficientTable.prefix(10) {
                print("  " + Console.pad(row.feature, 36) + Console.num(row.coefficient, width: 10, digits: 4) + "  z " + Console.num(row.z, width: 7, digits: 2)
                      + "  OR/+1sd " + Console.num(row.oddsRatioPerSD, width: 7, digits: 3)
                      + "  impact/+1sd " + Console.num(row.churnImpactPerSD, width: 8, digits: 4))
            }
        }

        private func showSegments() throws {
            let s = try SegmentBundle.load(path: model)
            if json {
                FileHandle.standardOutput.write(try s.encoded())
                print("")
                return
            }
            print("\(model): \(s.format) v\(s.formatVersion), created \(s.createdAt) by retain \(s.toolVersion); checksum OK (\(s.checksum))")
            print("As of \(s.asOf); \(s.fingerprint.customers) customers; \(s.kSelection)")
            for p in s.segments {
                let centroid = s.features.map { f in String(format: "%@ %.2f", f.name, p.centroid[f.name] ?? .nan) }.joined(separator: ", ")
                print(String(format: "  %@: %d (%.1f %%), churn %@; %@", p.name, p.size, 100 * p.share,
                             p.churnRate.map { String(format: "%.1f %%", 100 * $0) } ?? "—", centroid))
            }
            print("RFM: " + s.rfmCounts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }
}
