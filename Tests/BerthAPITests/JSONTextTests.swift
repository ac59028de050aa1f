import Foundation
import Testing

@testable import BerthAPI

/// The JSON writer the routes answer with, against what JSONSerialization reads back.
struct JSONTextTests {
    func text(_ v: Any) throws -> String { String(decoding: try JSONText.data(v), as: UTF8.self) }

    @Test func writesRouteValuesWithSortedKeysAndUnescapedSlashes() throws {
        let missing: String? = nil
        let value: [String: Any] = [
            "Names": ["/web"], "Id": "abc", "Created": 1_700_000_000, "Size": Int64(-1), "Running": true,
            "Ports": [[String: Any]](), "Labels": ["a": "b"], "Error": NSNull(), "Absent": missing as Any,
            "CPU": 0.25, "Mem": 3.0, "Big": UInt64.max,
        ]
        #expect(try text(value) == #"{"Absent":null,"Big":18446744073709551615,"CPU":0.25,"Created":1700000000,"Error":null,"# +
            #""Id":"abc","Labels":{"a":"b"},"Mem":3,"Names":["/web"],"Ports":[],"Running":true,"Size":-1}"#)
    }

    /// Values that came out of JSONSerialization (an image's config passed through) keep their
    /// types: a parsed 0 or 1 stays a number, a parsed boolean stays a boolean.
    @Test func keepsParsedNumbersAndBooleansApart() throws {
        let source = #"{"f":1.5,"false":false,"n":null,"neg":-2,"one":1,"true":true,"u":18446744073709551615,"zero":0}"#
        let parsed = try JSONSerialization.jsonObject(with: Data(source.utf8))
        #expect(try text(parsed) == source)
    }

    @Test func escapesQuotesBackslashesAndControlCharacters() throws {
        let s = "a\"b\\c\nd\re\tf\u{1}g/h é 🐳"
        let written = try JSONText.data([s])
        #expect(String(decoding: written, as: UTF8.self) == #"["a\"b\\c\nd\re\tf\u0001g/h é 🐳"]"#)
        #expect(try JSONSerialization.jsonObject(with: written) as? [String] == [s])
    }

    @Test func refusesWhatJSONCannotHold() {
        #expect(throws: JSONText.InvalidValue.self) { try JSONText.data(["x": Double.nan]) }
        #expect(throws: JSONText.InvalidValue.self) { try JSONText.data([Date()]) }
    }
}
