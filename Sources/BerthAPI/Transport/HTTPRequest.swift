/// One decoded request head, as a handler sees it.
///
/// The path is percent-decoded and stripped of any `/vX.Y` API-version prefix, so routes match
/// `/containers/json` whether the client sent `/v1.41/containers/json` or `/containers/json`.
public struct HTTPRequest: Sendable {
    /// The request method, e.g. `GET`.
    public var method: String
    /// The percent-decoded path without its `/vX.Y` prefix.
    public var path: String
    /// The version from the `/vX.Y` prefix ("1.41"), or nil for an unversioned path.
    public var apiVersion: String?
    /// Query parameters, each key with its values in order of appearance.
    public var query: [String: [String]]
    /// Header fields in the order received.
    public var headers: [(name: String, value: String)]

    /// Builds a request from its method, request target (path and query) and headers.
    public init(method: String, target: String, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.headers = headers
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let decodedPath = PercentEncoding.decode(parts.first ?? "", plusAsSpace: false)
        (self.apiVersion, self.path) = Self.splitVersion(decodedPath)
        self.query = parts.count > 1 ? Self.parseQuery(parts[1]) : [:]
    }

    /// The first value of the header called `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The first value of query parameter `key`, as dockerd's `r.Form.Get` returns it.
    public func queryValue(_ key: String) -> String? {
        query[key]?.first
    }

    /// dockerd's boolean rule: false only when absent, empty, `0`, `no`, `false` or `none` (any case).
    ///
    /// Clients send `1`, `0`, `True` and `False`, so anything else counts as true.
    public func queryBool(_ key: String) -> Bool {
        guard let value = queryValue(key) else { return false }
        switch value.lowercased() {
        case "", "0", "no", "false", "none": return false
        default: return true
        }
    }

    /// Splits `/v1.41/rest` into ("1.41", "/rest"), like dockerd's `/v{version:[0-9.]+}` route prefix.
    static func splitVersion(_ path: String) -> (String?, String) {
        guard path.hasPrefix("/v") else { return (nil, path) }
        let afterV = path.dropFirst(2)
        let version = afterV.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard version.contains(where: \.isNumber) else { return (nil, path) }
        let rest = afterV.dropFirst(version.count)
        guard rest.isEmpty || rest.hasPrefix("/") else { return (nil, path) }
        return (String(version), rest.isEmpty ? "/" : String(rest))
    }

    static func parseQuery(_ text: Substring) -> [String: [String]] {
        var query: [String: [String]] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = PercentEncoding.decode(keyValue[0], plusAsSpace: true)
            let value = keyValue.count > 1 ? PercentEncoding.decode(keyValue[1], plusAsSpace: true) : ""
            query[key, default: []].append(value)
        }
        return query
    }
}
