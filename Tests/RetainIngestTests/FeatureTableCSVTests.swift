import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest

final class FeatureTableCSVTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("retain-features-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes `text` to a file in the temporary directory and returns its path.
    private func write(_ text: String, name: String = "lr.csv") throws -> String {
        try write(Array(text.utf8), name: name)
    }

    private func write(_ bytes: [UInt8], name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func parse(_ text: String, idColumn: String? = nil, columns: [String]? = nil, allowMissing: Bool = false) throws -> FeatureTable {
        try FeatureTable.parseCSV(Array(text.utf8), fileName: "lr.csv", idColumn: idColumn, columns: columns, allowMissing: allowMissing)
    }

    private func assertError(_ text: String, _ message: String, idColumn: String? = nil, columns: [String]? = nil,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text, idColumn: idColumn, columns: columns), file: file, line: line) { error in
            XCTAssertEqual("\(error)", message, file: file, line: line)
        }
    }

    // MARK: - Reading files

    func testReadsFileWithIdAndNumbers() throws {
        let path = try write("id,f0,f1\nc1,1,2.5\nc2,-3,4e2\n")
        let table = try FeatureTable.readCSV(path: path, idColumn: "id")
        XCTAssertEqual(table.columnNames, ["f0", "f1"])
        XCTAssertEqual(table.values, [1, 2.5, -3, 400])
        XCTAssertEqual(table.rowCount, 2)
        XCTAssertEqual(table.ids, ["c1", "c2"])
        XCTAssertEqual(table.source, path)
    }

    func testMissingFileErrorNamesFile() throws {
        let path = directory.appendingPathComponent("nope.csv").path
        XCTAssertThrowsError(try FeatureTable.readCSV(path: path)) { error in
            XCTAssertEqual("\(error)", "cannot read \(path): No such file or directory.")
        }
    }

    func testParsesCRLFAndBOM() throws {
        let path = try write([0xEF, 0xBB, 0xBF] + Array("f0,f1\r\n1,2\r\n3,4\r\n".utf8), name: "crlf.csv")
        let table = try FeatureTable.readCSV(path: path)
        XCTAssertEqual(table.columnNames, ["f0", "f1"])
        XCTAssertEqual(table.values, [1, 2, 3, 4])
    }

    func testMissingFinalNewlineAndBlankTrailingLinesAreAccepted() throws {
        XCTAssertEqual(try parse("a,b\n1,2").values, [1, 2])
        XCTAssertEqual(try parse("a,b\r\n1,2\r").values, [1, 2])
        XCTAssertEqual(try parse("a,b\n1,2\n\n\r\n\n").values, [1, 2])
        XCTAssertEqual(try parse("a,b\n1,2\n\n3,4\n").rowCount, 2)
    }

    func testAcceptsNumberForms() throws {
        let table = try parse("a\n+1\n-2\n.5\n5.\n1e-3\n2.5E+10\n-0\n007\n1E5\n123456789012345678901234567890\n")
        XCTAssertEqual(table.values, [1, -2, 0.5, 5, 0.001, 2.5e10, -0.0, 7, 1e5, 1.2345678901234568e29])
        XCTAssertEqual(table.values[6].sign, .minus)
    }

    func testSpacesAroundNumbersAreTrimmed() throws {
        XCTAssertEqual(try parse(" a , b \n 1 ,\t2\t\n").values, [1, 2])
        XCTAssertEqual(try parse(" a , b \n 1 ,\t2\t\n").columnNames, ["a", "b"])
    }

    func testQuotedNumericCellIsAccepted() throws {
        XCTAssertEqual(try parse("\"a\",b\n\"1.5\",\" 2 \"\n").values, [1.5, 2])
    }

    func testQuotedIdWithCommaIsKept() throws {
        let text = "id,f0\n\"Smith, J.\",1\n\"say \"\"hi\"\"\",2\n\"two\nlines\",3\nplain,4\n"
        let table = try parse(text, idColumn: "id")
        XCTAssertEqual(table.ids, ["Smith, J.", "say \"hi\"", "two\nlines", "plain"])
        XCTAssertEqual(table.values, [1, 2, 3, 4])
        // A quoted newline still counts as a line in messages.
        assertError(text + "x,oops\n", "lr.csv line 7, column f0: not a number; the cell holds a word of 4 characters.", idColumn: "id")
    }

    func testSelectedColumnsComeInRequestedOrderAndOthersAreIgnored() throws {
        let table = try parse("id,a,name,b,c\n1,2,\"x, y\",3,4\n5,6,z,7,8\n", idColumn: "id", columns: ["c", "a"])
        XCTAssertEqual(table.columnNames, ["c", "a"])
        XCTAssertEqual(table.values, [4, 2, 8, 6])
        XCTAssertEqual(table.ids, ["1", "5"])
    }

    // MARK: - Errors

    func testNonNumericCellErrorNamesLineAndColumn() {
        assertError("f0,f1\n1,2\n3,abc\n", "lr.csv line 3, column f1: not a number; the cell holds a word of 3 characters.")
        assertError("f0,f1\n1,2\n3,0x1p3\n", "lr.csv line 3, column f1: not a number; the cell holds 5 characters of text.")
        assertError("f0,f1\n1,2\n3,1e\n", "lr.csv line 3, column f1: not a number; the cell holds 2 characters of text.")
        assertError("f0,f1\n1,2\n3,1 2\n", "lr.csv line 3, column f1: not a number; the cell holds 3 characters of text.")
        assertError("f0,f1\n1,2\n3,1,5\n", "lr.csv line 3: 3 fields, the header has 2.")
    }

    func testEmptyCellIsAnError() {
        assertError("f0,f1,f2\n1,2,3\n\n4,,6\n", "lr.csv line 4, column f1: empty cell (fill it, or drop the column).")
        assertError("f0,f1\n1,2\n3,\n", "lr.csv line 3, column f1: empty cell (fill it, or drop the column).")
        assertError("f0,f1\n1,2\n3,\"\"\n", "lr.csv line 3, column f1: empty cell (fill it, or drop the column).")
    }

    func testMissingCellsBecomeNaNWhenAllowed() throws {
        let table = try parse("f0,f1,f2\n1,,3\n , 5,\n", allowMissing: true)
        XCTAssertEqual(table.rowCount, 2)
        XCTAssertEqual(table.values.map { $0.isNaN }, [false, true, false, true, false, true])
        XCTAssertEqual(table.values[4], 5)
    }

    func testMissingColumnErrorListsHeader() throws {
        assertError("f0,f1,f2\n1,2,3\n", "lr.csv: no column 'churned' in the header (columns: f0, f1, f2).", idColumn: "churned")
        assertError("f0,f1,f2\n1,2,3\n", "lr.csv: no column 'f9' in the header (columns: f0, f1, f2).", columns: ["f1", "f9"])
        let table = try parse("f0,f1,f2\n1,2,3\n")
        XCTAssertThrowsError(try table.removingColumn("churned")) { error in
            XCTAssertEqual("\(error)", "lr.csv: no column 'churned' in the header (columns: f0, f1, f2).")
        }
    }

    func testDuplicateAndConflictingColumnsAreErrors() {
        assertError("a,b,a\n1,2,3\n", "lr.csv: column 'a' is named twice; rename one of them.")
        assertError("id,b\n1,2\n", "lr.csv: column 'id' is the id column; it cannot also be a numeric feature.", idColumn: "id", columns: ["id"])
        XCTAssertEqual(try? parse("a,b,a\n1,2,3\n", columns: ["b"]).values, [2])
    }

    func testEmptyFileIsAnError() throws {
        let message = "lr.csv is empty: expected a header line and at least one row."
        assertError("", message)
        assertError("\n\n", message)
        assertError("f0,f1\n", message)
        assertError("\u{FEFF}f0,f1\r\n\r\n", message)
        let path = try write("", name: "empty.csv")
        XCTAssertThrowsError(try FeatureTable.readCSV(path: path)) { error in
            XCTAssertEqual(error as? IngestError, .empty(file: path))
        }
    }

    func testRaggedRowIsAnError() {
        assertError("f0,f1,f2,f3,f4\n1,2,3,4,5\n1,2,3,4\n", "lr.csv line 3: 4 fields, the header has 5.")
        assertError("f0,f1\n1,2\n1,2,3,4\n", "lr.csv line 3: 4 fields, the header has 2.")
        assertError("f0,f1\n1,2\n1\n", "lr.csv line 3: 1 field, the header has 2.")
    }

    func testRejectsNanAndInf() {
        for text in ["nan", "NaN", "-nan", "inf", "+Inf", "-infinity"] {
            assertError("f0,f1\n1,2\n1,\(text)\n", "lr.csv line 3, column f1: not a finite number; the cell holds a word for NaN or infinity.")
        }
        for text in ["1e400", "-1e999999999999"] {
            assertError("f0,f1\n1,2\n1,\(text)\n", "lr.csv line 3, column f1: not a finite number; the cell holds a number beyond the range of a double.")
        }
    }

    func testBadQuotesAreErrorsWithoutIdText() {
        let message = "lr.csv line 3, column id: misplaced or unbalanced double quote (quote the whole field and double any quote inside it)."
        assertError("id,f0\na,1\nse\"cret,2\n", message, idColumn: "id")
        assertError("id,f0\na,1\n\"secret\"x,2\n", message, idColumn: "id")
        assertError("id,f0\na,1\n\"secret,2\n", message, idColumn: "id")
    }

    func testIdsStayOutOfErrorText() {
        XCTAssertThrowsError(try parse("id,f0\nalice@example.com,x\n", idColumn: "id")) { error in
            XCTAssertFalse("\(error)".contains("alice"))
            XCTAssertEqual("\(error)", "lr.csv line 2, column f0: not a number; the cell holds a word of 1 character.")
        }
    }

    // MARK: - Numbers

    func testNumbersAreCorrectlyRounded() {
        var rng = SeededGenerator(seed: 42)
        var mismatches: [String] = []
        for _ in 0..<100_000 {
            let text = randomDecimal(&rng)
            let expected = strtod(text, nil)
            let bytes = Array(text.utf8)
            let parsed = bytes.withUnsafeBufferPointer { b in NumberParser.scan(b.baseAddress!, b.baseAddress! + b.count) }
            if parsed?.value.bitPattern != expected.bitPattern || parsed?.next != nil && parsed!.next - bytes.withUnsafeBufferPointer({ $0.baseAddress! }) != bytes.count {
                mismatches.append(text)
            }
        }
        XCTAssertEqual(mismatches.prefix(10), [])
        // Through the whole reader too (one column, many rows).
        var rows: [String] = []
        var expected: [Double] = []
        for _ in 0..<20_000 {
            let text = randomDecimal(&rng)
            let v = strtod(text, nil)
            guard v.isFinite else { continue }
            rows.append(text)
            expected.append(v)
        }
        let table = try? parse("x\n" + rows.joined(separator: "\n"))
        XCTAssertEqual(table?.values.map(\.bitPattern), expected.map(\.bitPattern))
    }

    /// A decimal with 1–20 significant digits, a point somewhere (or none), and an optional exponent.
    private func randomDecimal(_ rng: inout SeededGenerator) -> String {
        let digitCount = Int(rng.next() % 20) + 1
        var digits = ""
        for i in 0..<digitCount {
            let d = i == 0 ? rng.next() % 9 + 1 : rng.next() % 10
            digits.append(Character(Unicode.Scalar(UInt8(48 + d))))
        }
        if rng.next() % 4 == 0 { digits = String(repeating: "0", count: Int(rng.next() % 3)) + digits }
        let point = Int(rng.next() % UInt64(digits.count + 2)) - 1  // -1: no point
        var text = digits
        if point >= 0 {
            text.insert(".", at: text.index(text.startIndex, offsetBy: point))
        }
        switch rng.next() % 4 {
        case 0: break
        case 1: text += "e\(Int(rng.next() % 45) - 22)"
        case 2: text += "E\(rng.next() % 2 == 0 ? "+" : "-")\(rng.next() % 330)"
        default: text += "e\(Int(rng.next() % 80) - 40)"
        }
        switch rng.next() % 3 {
        case 0: return "-" + text
        case 1: return "+" + text
        default: return text
        }
    }

    // MARK: - Chunks

    /// `rows` records of `id,a,b,skip,c` that exercise the chunk cutting: quoted ids with commas,
    /// doubled quotes and line breaks every 7th row, a quoted line break in `skip` every 5th, CRLF
    /// every 11th, a blank line after every 97th, and (with `emptyBEvery`) an empty `b` cell.
    static func awkwardRows(_ rows: Int, seed: UInt64, emptyBEvery: Int = 0) -> String {
        var rng = SeededGenerator(seed: seed)
        var text = ""
        for r in 0..<rows {
            let id = r % 7 == 0 ? "\"id \(r), \"\"q\"\"\nnext\"" : "c\(r)"
            let skip = r % 5 == 0 ? "\"x\ny\"" : "s"
            let a = Double(Int(rng.next() % 2_000_001) - 1_000_000) / 1e4
            let b = emptyBEvery > 0 && r % emptyBEvery == 0 ? "" : String(rng.next() % 1000)
            text += "\(id),\(a),\(b),\(skip),\(Double(r) / 8)"
            text += r % 11 == 0 ? "\r\n" : "\n"
            if r % 97 == 0 { text += "\n" }
        }
        return text
    }

    func testChunkedParseEqualsSerial() throws {
        let text = "id,a,b,skip,c\n" + Self.awkwardRows(3_000, seed: 7)
        let bytes = Array(text.utf8)
        let serial = try FeatureTable.parse(bytes: bytes, options: .init(idColumn: "id", columns: ["a", "b", "c"], chunkCount: 1, threadCount: 1))
        XCTAssertEqual(serial.rowCount, 3_000)
        for chunks in [2, 3, 16, 64, 1000] {
            for threads in [1, 2, 4] {
                let chunked = try FeatureTable.parse(bytes: bytes, options: .init(idColumn: "id", columns: ["a", "b", "c"], chunkCount: chunks, threadCount: threads))
                XCTAssertEqual(chunked, serial, "chunks \(chunks), threads \(threads)")
            }
        }
        // The first error in file order is reported, with the same line, however the data is cut.
        var broken = bytes
        let at = broken.count * 2 / 3
        var cell = at
        while !(broken[cell] == UInt8(ascii: "\n") && broken[cell + 1] == UInt8(ascii: "c")) { cell += 1 }
        cell = broken[cell...].firstIndex(of: UInt8(ascii: ","))! + 1  // column a of an unquoted-id row
        broken.insert(contentsOf: Array("zz".utf8), at: cell)
        func message(_ chunks: Int, _ threads: Int) -> String {
            do {
                _ = try FeatureTable.parse(bytes: broken, options: .init(idColumn: "id", columns: ["a", "b", "c"], chunkCount: chunks, threadCount: threads))
                return "no error"
            } catch { return "\(error)" }
        }
        let expected = message(1, 1)
        let line = broken[..<cell].filter { $0 == UInt8(ascii: "\n") }.count + 1
        XCTAssertTrue(expected.hasPrefix("lr.csv line \(line), column a: not a number; the cell holds "), expected)
        XCTAssertFalse(expected.contains("zz"), "the cell is described, not quoted: \(expected)")
        for chunks in [2, 16, 64] { XCTAssertEqual(message(chunks, 2), expected) }
    }

    // MARK: - Streaming blocks

    func testStreamedBlocksJoinToTheWholeTableAndReportTheSameFirstError() throws {
        let text = "\u{FEFF}id,a,b,skip,c\n" + Self.awkwardRows(2_000, seed: 11, emptyBEvery: 13)
        let path = try write(text, name: "blocks.csv")
        let whole = try FeatureTable.readCSV(path: path, idColumn: "id", columns: ["c", "a", "b"], allowMissing: true)
        XCTAssertEqual(try FeatureTable.readHeader(path: path), ["id", "a", "b", "skip", "c"])
        for blockBytes in [64, 1_000, 10_000, 1 << 18] {
            let lock = NSLock()
            var blocks: [Int: (ids: [String], values: [Double])] = [:]
            var planned = FeatureBlockPlan(blockCount: 0, maximumRows: 0)
            let rows = try FeatureTable.forEachBlock(path: path, idColumn: "id", columns: ["c", "a", "b"], allowMissing: true,
                                                     blockBytes: blockBytes, plan: { planned = $0 }) { block in
                XCTAssertEqual(block.values.count, block.rowCount * 3)
                lock.lock(); blocks[block.index] = (block.ids ?? [], Array(block.values)); lock.unlock()
            }
            XCTAssertEqual(rows, 2_000)
            XCTAssertGreaterThanOrEqual(planned.maximumRows, rows)
            XCTAssertLessThanOrEqual(blocks.count, planned.blockCount)
            if blockBytes < 10_000 { XCTAssertGreaterThan(blocks.count, 10, "small blocks should cut the file") }
            let order = blocks.keys.sorted()
            XCTAssertEqual(order.flatMap { blocks[$0]!.ids }, whole.ids, "blockBytes \(blockBytes)")
            let values = order.flatMap { blocks[$0]!.values }
            XCTAssertEqual(values.count, whole.values.count)
            XCTAssertTrue(zip(values, whole.values).allSatisfy { $0.bitPattern == $1.bitPattern }, "blockBytes \(blockBytes)")
        }
        // A bad cell two thirds in: the same message as reading the whole table.
        var broken = text
        let cut = broken.index(broken.startIndex, offsetBy: broken.count * 2 / 3)
        let lineStart = broken[cut...].range(of: "\nc")!.upperBound
        broken.insert(contentsOf: "zz", at: broken.index(after: broken[lineStart...].firstIndex(of: ",")!))  // column a
        let brokenPath = try write(broken, name: "broken.csv")
        var expected = ""
        XCTAssertThrowsError(try FeatureTable.readCSV(path: brokenPath, idColumn: "id", columns: ["c", "a", "b"], allowMissing: true)) { expected = "\($0)" }
        XCTAssertTrue(expected.contains("line"), expected)
        XCTAssertThrowsError(try FeatureTable.forEachBlock(path: brokenPath, idColumn: "id", columns: ["c", "a", "b"], allowMissing: true,
                                                           blockBytes: 1_000, plan: { _ in }, body: { _ in })) { error in
            XCTAssertEqual("\(error)", expected)
        }
    }

    // MARK: - Table operations

    func testRemovingAndSelectingColumns() throws {
        let table = try parse("a,b,c\n1,2,3\n4,5,6\n")
        XCTAssertEqual(table.column("b"), [2, 5])
        XCTAssertNil(table.column("z"))
        let (b, rest) = try table.removingColumn("b")
        XCTAssertEqual(b, [2, 5])
        XCTAssertEqual(rest.columnNames, ["a", "c"])
        XCTAssertEqual(rest.values, [1, 3, 4, 6])
        let picked = try table.selecting(["c", "a"])
        XCTAssertEqual(picked.values, [3, 1, 6, 4])
        XCTAssertThrowsError(try table.selecting(["a", "a"]))
    }
}

extension FeatureTable {
    /// Test entry point with the internal chunking options.
    static func parse(bytes: [UInt8], options: CSVReadOptions) throws -> FeatureTable {
        try bytes.withUnsafeBytes { try parse($0, fileName: "lr.csv", options: options) }
    }
}


