import RetainCore
import RetainIO
/// A prepared feature table: one row per customer, named numeric columns, optional customer ids.
///
/// Values are stored row-major: the value of row `r`, column `c` is `values[r * columnCount + c]`.
/// Read one from a CSV file with ``readCSV(path:idColumn:columns:allowMissing:)``.
public struct FeatureTable: Sendable, Equatable {
    /// Numeric column names, in the order of `values`.
    public var columnNames: [String]
    /// Row-major values, `rowCount × columnNames.count`. Missing cells (if allowed) are NaN.
    public var values: [Double]
    /// Number of rows.
    public var rowCount: Int
    /// The id column's values, one per row, if an id column was read.
    public var ids: [String]?
    /// Where the table came from (the file name), used in error messages.
    public var source: String

    /// Creates a table from row-major values.
    ///
    /// - Precondition: `values.count == rowCount * columnNames.count`, and `ids` (if any) has `rowCount` entries.
    public init(columnNames: [String], values: [Double], rowCount: Int, ids: [String]? = nil, source: String = "table") {
        precondition(values.count == rowCount * columnNames.count, "values must hold rowCount × columnCount numbers")
        precondition(ids == nil || ids!.count == rowCount, "ids must hold one entry per row")
        self.columnNames = columnNames
        self.values = values
        self.rowCount = rowCount
        self.ids = ids
        self.source = source
    }

    /// Number of numeric columns.
    public var columnCount: Int { columnNames.count }

    /// A copy of the column called `name`, or nil if there is none.
    ///
    /// - Complexity: O(rowCount).
    public func column(_ name: String) -> [Double]? {
        guard let j = columnNames.firstIndex(of: name) else { return nil }
        return gather([j]).values
    }

    /// Splits off the column called `name` (a label or sample weight) and returns it with the rest of the table.
    ///
    /// - Throws: `IngestError.missingColumn` if there is no such column.
    /// - Complexity: O(rowCount × columnCount).
    public func removingColumn(_ name: String) throws -> (column: [Double], rest: FeatureTable) {
        guard let j = columnNames.firstIndex(of: name) else {
            throw IngestError.missingColumn(file: source, column: name, available: columnNames)
        }
        let others = Array(columnNames.indices.filter { $0 != j })
        var rest = self
        rest.columnNames = others.map { columnNames[$0] }
        rest.values = gather(others).values
        return (gather([j]).values, rest)
    }

    /// The table with only the columns `names`, in that order (ids are kept).
    ///
    /// - Throws: `IngestError.missingColumn` if a name is not a column, `.duplicateColumn` if one is repeated.
    /// - Complexity: O(rowCount × names.count).
    public func selecting(_ names: [String]) throws -> FeatureTable {
        var seen = Set<String>()
        var indices: [Int] = []
        for name in names {
            guard seen.insert(name).inserted else { throw IngestError.duplicateColumn(file: source, column: name) }
            guard let j = columnNames.firstIndex(of: name) else {
                throw IngestError.missingColumn(file: source, column: name, available: columnNames)
            }
            indices.append(j)
        }
        var out = self
        out.columnNames = names
        out.values = gather(indices).values
        return out
    }

    /// Row-major copy of the given columns.
    private func gather(_ columns: [Int]) -> (values: [Double], count: Int) {
        let width = columnNames.count, k = columns.count, rows = rowCount
        let out = [Double](unsafeUninitializedCapacity: rows * k) { dst, initialized in
            values.withUnsafeBufferPointer { src in
                columns.withUnsafeBufferPointer { cols in
                    for r in 0..<rows {
                        let s = r * width, d = r * k
                        for (c, j) in cols.enumerated() { dst[d + c] = src[s + j] }
                    }
                }
            }
            initialized = rows * k
        }
        return (out, k)
    }
}
