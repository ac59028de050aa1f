/// The Docker Engine API versions berthd speaks.
public enum APIVersion {
    /// Newest: what docker CLI 28 asks for.
    public static let current = "1.50"
    /// Oldest a current docker daemon accepts.
    public static let minimum = "1.24"
    /// berthd's own version, reported as the engine version.
    public static let engineVersion = "0.1.0"

    /// Compares dotted versions numerically ("1.9" < "1.41").
    public static func compare(_ a: String, _ b: String) -> Int {
        let x = a.split(separator: ".").map { Int($0) ?? 0 }
        let y = b.split(separator: ".").map { Int($0) ?? 0 }
        for i in 0..<max(x.count, y.count) {
            let l = i < x.count ? x[i] : 0, r = i < y.count ? y[i] : 0
            if l != r { return l < r ? -1 : 1 }
        }
        return 0
    }
}
