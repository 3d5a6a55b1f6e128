import XCTest

final class RetainFeaturesTestsSmoke: XCTestCase {
    func testNothing() {}
}
