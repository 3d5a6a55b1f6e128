import ArgumentParser
import Foundation
import RetainFeatures
import RetainIngest
import RetainNumerics
import RetainSample
import RetainScoring
import RetainStore
import XCTest
@testable import retain

/// `ErrorAdvice.translate`: library errors (which never name flags) become the CLI's words.
final class ErrorAdviceTests: XCTestCase {
    func message(_ error: Error) -> String { "\(ErrorAdvice.translate(error))" }

    func testMetricsSettingErrorsNameTheirOptionsAndAreUsageErrors() {
        let cases: [(FeaturesError, String)] = [
            (.emptyPeriod(from: "2025-02-01", to: "2025-01-01"), "--from 2025-02-01 must be before --to 2025-01-01."),
            (.invalidFollowers(0), "--followers must be a positive number, got 0.0."),
            (.emptyConversionType, "--conversion needs an event type, e.g. --conversion purchase."),
        ]
        for (error, text) in cases {
            let advice = ErrorAdvice.translate(error)
            XCTAssertEqual((advice as? ValidationError)?.message, text)
        }
    }

    func testNoEventsBeforeTheAsOfDateNamesTheOption() {
        let error = IngestError.noEventsBefore(file: "events.csv", date: "2024-01-01")
        XCTAssertEqual("\(error)", "events.csv has no events before 2024-01-01: nothing to build features from. Check the as-of date (features use only events before it).")
        XCTAssertEqual(message(error), "events.csv has no events before 2024-01-01: nothing to build features from. Check --as-of (features use only events before it).")
    }

    func testRoleAssignmentErrorsNameTheRoleOption() {
        XCTAssertEqual(message(IngestError.badRoleAssignment("session")),
                       "--role session: expected ROLE=EVENT_TYPE, e.g. --role session=session_end.")
        XCTAssertEqual(message(IngestError.unknownRole(name: "sessions", assignment: "sessions=x")),
                       "--role sessions=x: unknown role 'sessions'. Roles: \(Role.names).")
        // A role named in the config file is the config's problem: the library's words stay.
        XCTAssertEqual(message(IngestError.unknownRole(name: "sessions", assignment: nil)),
                       "config roles: unknown role 'sessions'. Roles: \(Role.names).")
    }

    func testWrongModelKindNamesBothOptions() {
        XCTAssertEqual(message(ScoringError.wrongModelKind(path: "s.json", found: .segments, expected: .churn)),
                       "s.json is a segment model, not a churn model; give it to --segments, and give a churn model to --model.")
        XCTAssertEqual(message(ScoringError.wrongModelKind(path: "c.json", found: .clv, expected: .segments)),
                       "c.json is a CLV model, not a segment model; give a segment model to --segments.")
    }

    func testSampleSettingsNameTheirOptions() throws {
        XCTAssertEqual((ErrorAdvice.translate(SampleError.customersOutOfRange(0)) as? ValidationError)?.message,
                       "--customers must be between 1 and 10,000,000, got 0.")
        XCTAssertEqual((ErrorAdvice.translate(SampleError.invalidStart("2025-02-30")) as? ValidationError)?.message,
                       "--start '2025-02-30' is not a date YYYY-MM-DD (years 1000-9999), e.g. 2025-01-01.")
        let r = try runRetain(["generate", "--churn-share", "1.5", "--out", FileManager.default.temporaryDirectory.path])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("Error: --churn-share must be between 0 and 0.9, got 1.5."), r.stderr)
    }

    func testStoreLookupsAreUsageErrorsAndOtherErrorsPassUnchanged() {
        let unknown = StoreError.unknownDate(date: "2025-09-30", scored: ["2025-10-01"])
        XCTAssertEqual((ErrorAdvice.translate(unknown) as? ValidationError)?.message, "no scores for 2025-09-30. Scored dates: 2025-10-01.")
        let missing = StoreError.missingDatabase(path: "h.db")
        XCTAssertEqual("\(missing)", "no score history at h.db. Score a day into it first, or check the path.")
        XCTAssertEqual("\(ErrorAdvice.translate(missing))", "no score history at h.db. Run `retain score ... --db h.db` first, or check the path.")
        XCTAssertEqual(ErrorAdvice.translate(ScoringError.noUsableFeatures) as? ScoringError, .noUsableFeatures)
    }

    func testSeparableDataAdviceNamesThePenaltyOption() {
        let library = "\(NumericsError.separable(quasi: false))"
        XCTAssertFalse(library.contains("--"), library)
        XCTAssertEqual("\(ErrorAdvice.translate(NumericsError.separable(quasi: false)))",
                       "the classes are perfectly separable: without a penalty the coefficients grow without bound. Fit with a penalty (e.g. --c 1.0), or remove the feature that separates the classes.")
    }
}
