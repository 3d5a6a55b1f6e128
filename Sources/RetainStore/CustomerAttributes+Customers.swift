import Foundation
import RetainCore
import RetainIngest

extension CustomerAttributes {
    /// The attributes of a customers table (every column but `customer_id` and `signup_date`,
    /// e.g. `email`, `plan`), by customer id.
    public init(_ table: Customers) {
        var values = [String: [String]](minimumCapacity: table.count)
        for (i, id) in table.ids.enumerated() { values[id] = table.attributes.map { $0[i] } }
        self.init(names: table.attributeNames, values: values)
    }
}
