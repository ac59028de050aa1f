import Foundation

/// Docker's (go-units) ways of printing sizes and durations, shared by berthd's answers and the CLI.
public enum HumanUnits {
    /// HumanSizeWithPrecision: decimal units, `precision` significant digits ("4.26MB").
    public static func size(_ bytes: Int64, precision: Int = 3) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes)
        var i = 0
        while value >= 1000 && i < units.count - 1 {
            value /= 1000
            i += 1
        }
        return String(format: "%.\(precision)g", value) + units[i]
    }

    /// HumanDuration: "Less than a second", "About a minute", "3 weeks".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 1 { return "Less than a second" }
        if s == 1 { return "1 second" }
        if s < 60 { return "\(s) seconds" }
        let m = s / 60
        if m == 1 { return "About a minute" }
        if m < 60 { return "\(m) minutes" }
        let h = Int(seconds / 3600 + 0.5)
        if h == 1 { return "About an hour" }
        if h < 48 { return "\(h) hours" }
        if h < 24 * 7 * 2 { return "\(h / 24) days" }
        if h < 24 * 30 * 2 { return "\(h / 24 / 7) weeks" }
        if h < 24 * 365 * 2 { return "\(h / 24 / 30) months" }
        return "\(Int(seconds / 3600 / 24 / 365)) years"
    }
}
