import Foundation

/// What a client gave to authenticate with a registry: a user name and password, or an
/// identity token from an earlier login (Docker's `AuthConfig`).
public struct RegistryCredentials: Sendable, Hashable {
    public var username: String
    public var password: String
    /// An OAuth2 refresh token, sent to the token service instead of the password.
    public var identityToken: String?

    public init(username: String, password: String, identityToken: String? = nil) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
    }

    /// `Authorization: Basic …` for these credentials.
    var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// Decodes Docker's `X-Registry-Auth` header: base64 (URL-safe or standard) of a JSON
    /// `AuthConfig`. `e30=` (`{}`) and an absent header mean anonymous: nil.
    public static func decode(header: String?) throws(RegistryError) -> RegistryCredentials? {
        guard let header, !header.isEmpty else { return nil }
        var b64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64) else {
            throw RegistryError(.invalid, "X-Registry-Auth is not base64-encoded JSON")
        }
        return try decode(json: data)
    }

    /// Decodes an `AuthConfig` JSON object (the body of `POST /auth`, or a decoded X-Registry-Auth).
    public static func decode(json data: Data) throws(RegistryError) -> RegistryCredentials? {
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RegistryError(.invalid, "registry credentials are not a JSON object like {\"username\":…,\"password\":…}")
        }
        var user = obj["username"] as? String ?? ""
        var password = obj["password"] as? String ?? ""
        // `auth` is base64 of user:password, as config.json stores it.
        if user.isEmpty, let auth = obj["auth"] as? String, let raw = Data(base64Encoded: auth),
            let pair = String(data: raw, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        {
            user = String(pair[..<colon])
            password = String(pair[pair.index(after: colon)...])
        }
        let token = (obj["identitytoken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        if user.isEmpty, password.isEmpty, token == nil { return nil }
        return RegistryCredentials(username: user, password: password, identityToken: token)
    }
}
