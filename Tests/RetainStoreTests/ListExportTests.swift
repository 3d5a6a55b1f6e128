import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest
@testable import RetainFeatures
@testable import RetainNumerics
@testable import RetainScoring
@testable import RetainStore

final class ListExportTests: XCTestCase {
    private func seeded() throws -> (ScoreHistory, URL) {
        let dir = try temporaryDirectory(self)
        let h = try ScoreHistory(path: dir.appendingPathComponent("h.sqlite").path)
        try h.write([
            record("a", "2025-10-01", p: 0.7, flags: ["at_risk"], action: "win_back_offer", segment: "At risk"),
            record("b", "2025-10-01", p: 0.1, flags: ["high_value"], action: "loyalty_reward", segment: "Loyal"),
        ], date: "2025-10-01", modelID: "m1")
        try h.write([
            record("a", "2025-10-02", p: 0.8, flags: ["at_risk"], action: "win_back_offer", segment: "At risk",
                   reasons: ["no purchase, 60 days", "said \"too pricey\""]),
            record("b", "2025-10-02", p: 0.1, flags: ["high_value"], action: "loyalty_reward", segment: "Loyal"),
            record("c", "2025-10-02", p: 0.6, flags: ["at_risk"], action: "win_back_offer", segment: "At risk"),
            record("d", "2025-10-02", p: 0.2, action: "none", segment: "Loyal"),
        ], date: "2025-10-02", modelID: "m2")
        return (h, dir.appendingPathComponent("out"))
    }

    private func text(_ dir: URL, _ file: String) throws -> String {
        try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
    }

    func testDefaultExportWritesOneFilePerListWithAttributesAndManifest() throws {
        let (h, out) = try seeded()
        let attrs = CustomerAttributes(names: ["email", "plan"], values: ["a": ["a@x.org", "pro"], "c": ["c@x.org", "basic"]])
        let m = try ListExport(attributes: attrs).write(from: h, date: "2025-10-02", to: out.path)
        XCTAssertEqual(m.lists.map(\.list), ["at-risk", "high-value", "win-back", "loyalty_reward", "win_back_offer"])
        XCTAssertEqual(m.lists.map(\.rows), [2, 1, 0, 1, 2])
        XCTAssertEqual(m.modelID, "m2")
        XCTAssertEqual(try text(out, "at-risk.csv"), """
            customer_id,email,plan,churn_probability,risk_tier,lifecycle,predicted_value,winback_rank,segment,action,reasons
            a,a@x.org,pro,0.8,high,,100.0,,At risk,win_back_offer,"no purchase, 60 days; said ""too pricey\"\"\"
            c,c@x.org,basic,0.6,high,,100.0,,At risk,win_back_offer,few sessions

            """)
        XCTAssertEqual(try text(out, "high-value.csv").split(separator: "\n")[1], "b,,,0.1,low,,100.0,,Loyal,loyalty_reward,few sessions")
        for entry in m.lists {
            let data = try Data(contentsOf: out.appendingPathComponent(entry.file))
            XCTAssertEqual(entry.checksum, "sha256:" + SHA256.hex(data))
            XCTAssertEqual(entry.date, "2025-10-02")
            XCTAssertEqual(entry.modelID, "m2")
        }
        let manifest = try JSONDecoder().decode(ExportManifest.self, from: Data(contentsOf: out.appendingPathComponent("manifest.json")))
        XCTAssertEqual(manifest, m)
    }

    func testExportedFilesAreOwnerOnlyAndNoTemporaryFilesRemain() throws {
        let (h, out) = try seeded()
        try ListExport().write(from: h, date: "2025-10-02", to: out.path)
        try ListExport().write(from: h, date: "2025-10-02", to: out.path)  // over existing files
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(files, ["action-loyalty_reward.csv", "action-win_back_offer.csv", "at-risk.csv", "high-value.csv", "manifest.json", "win-back.csv"])
        for f in files {
            let mode = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(f).path)[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o600, f)
        }
    }

    func testNewOnlyKeepsCustomersNotOnTheListThePreviousScoredDay() throws {
        let (h, out) = try seeded()
        let m = try ListExport(lists: ["at-risk", "Loyal"], newOnly: true).write(from: h, date: "2025-10-02", to: out.path)
        XCTAssertEqual(m.previousDate, "2025-10-01")
        XCTAssertEqual(m.lists.map(\.rows), [1, 1])
        XCTAssertTrue(try text(out, "at-risk.csv").contains("\nc,"))
        XCTAssertFalse(try text(out, "at-risk.csv").contains("\na,"))
        XCTAssertEqual(try text(out, "segment-loyal.csv").split(separator: "\n").dropFirst().map { String($0.prefix(2)) }, ["d,"])
        // The first scored day has no previous day: everyone is new.
        let first = try ListExport(lists: ["at-risk"], newOnly: true).write(from: h, date: "2025-10-01", to: out.path)
        XCTAssertNil(first.previousDate)
        XCTAssertEqual(first.lists.map(\.rows), [1])
    }

    func testJSONLinesCarryReasonsAsArrays() throws {
        let (h, out) = try seeded()
        let attrs = CustomerAttributes(names: ["email"], values: ["a": ["a@x.org"]])
        try ListExport(lists: ["win_back_offer"], format: .jsonl, attributes: attrs).write(from: h, date: "2025-10-02", to: out.path)
        let lines = try text(out, "action-win_back_offer.jsonl").split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        XCTAssertEqual(first?["email"] as? String, "a@x.org")
        XCTAssertEqual(first?["reasons"] as? [String], ["no purchase, 60 days", "said \"too pricey\""])
        XCTAssertEqual(first?["churn_probability"] as? Double, 0.8)
    }

    /// Text cells a spreadsheet would run as a formula get a leading apostrophe in CSV lists (not in
    /// JSONL); numbers, negative ones included, are written as they are.
    func testFormulaLikeTextCellsAreNeutralisedInCSVOnly() throws {
        let dir = try temporaryDirectory(self)
        let h = try ScoreHistory(path: dir.appendingPathComponent("h.sqlite").path)
        try h.write([record("=1+1", "2025-10-01", p: 0.9, flags: ["at_risk"], action: "save_offer", segment: "@seg",
                            value: -5, reasons: ["+cmd|' /C calc'!A0", "-2"])], date: "2025-10-01", modelID: "m")
        let attrs = CustomerAttributes(names: ["email", "plan"], values: ["=1+1": ["=HYPERLINK(\"http://x\")", "\tpro"]])
        let out = dir.appendingPathComponent("out")
        try ListExport(lists: ["at-risk"], attributes: attrs).write(from: h, date: "2025-10-01", to: out.path)
        let lines = try text(out, "at-risk.csv").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[1], "'=1+1,\"'=HYPERLINK(\"\"http://x\"\")\",'\tpro,0.9,high,,-5.0,,'@seg,save_offer,'+cmd|' /C calc'!A0; -2")
        try ListExport(lists: ["at-risk"], format: .jsonl, attributes: attrs).write(from: h, date: "2025-10-01", to: dir.appendingPathComponent("j").path)
        let json = try JSONSerialization.jsonObject(with: Data(try text(dir.appendingPathComponent("j"), "at-risk.jsonl").utf8)) as? [String: Any]
        XCTAssertEqual(json?["customer_id"] as? String, "=1+1")
        XCTAssertEqual(json?["segment"] as? String, "@seg")
    }

    func testUnknownListAndDateThrowWithTheValidChoices() throws {
        let (h, out) = try seeded()
        XCTAssertThrowsError(try ListExport(lists: ["vip"]).write(from: h, date: "2025-10-02", to: out.path)) {
            XCTAssertEqual("\($0)", "unknown list 'vip'. Valid lists: at-risk, high-value, win-back, loyalty_reward, win_back_offer, At risk, Loyal.")
        }
        XCTAssertThrowsError(try ListExport().write(from: h, date: "2025-09-30", to: out.path)) {
            XCTAssertEqual("\($0)", "no scores for 2025-09-30. Scored dates: 2025-10-01, 2025-10-02.")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing written on error")
    }

    func testSHA256MatchesTheFIPSVector() {
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
