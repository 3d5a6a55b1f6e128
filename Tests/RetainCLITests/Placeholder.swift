import XCTest

final class RetainCLITestsSmoke: XCTestCase {
    func testNothing() {}
}
