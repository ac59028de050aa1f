import Glibc

/// The IMF-fixdate form of the `Date` header (`Mon, 02 Jan 2006 15:04:05 GMT`).
enum HTTPDate {
    /// The current time, formatted for a `Date` header.
    static func now() -> String {
        format(time(nil))
    }

    static func format(_ seconds: time_t) -> String {
        var clock = seconds
        var parts = tm()
        gmtime_r(&clock, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
