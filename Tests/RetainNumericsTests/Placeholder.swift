import XCTest

final class RetainNumericsTestsSmoke: XCTestCase {
    func testNothing() {}
}
