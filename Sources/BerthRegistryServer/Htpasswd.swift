import BerthStore
import CCrypt
import Foundation
import Synchronization

/// Users and bcrypt hashes from an htpasswd file (`htpasswd -B`), checked through libxcrypt's `crypt_rn`.
///
/// bcrypt is slow by design (~50-100 ms a check), and `docker push` sends the same Authorization
/// header with every request, so headers that verified once are remembered.
final class Htpasswd: Sendable {
    private let hashes: [String: String]
    private let verified = Mutex(Set<String>())

    /// Reads `path`; lines are `user:$2y$...` (also `$2a$`/`$2b$`). Other hash kinds are refused.
    init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RegistryServerError("cannot read the htpasswd file \(path)")
        }
        var hashes: [String: String] = [:]
        for (number, line) in text.split(separator: "\n").enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let colon = trimmed.firstIndex(of: ":") else {
                throw RegistryServerError("\(path):\(number + 1): expected user:hash")
            }
            let hash = String(trimmed[trimmed.index(after: colon)...])
            guard ["$2y$", "$2b$", "$2a$"].contains(where: hash.hasPrefix) else {
                throw RegistryServerError("\(path):\(number + 1): only bcrypt hashes are supported; create the file with htpasswd -B")
            }
            hashes[String(trimmed[..<colon])] = hash
        }
        self.hashes = hashes
    }

    /// The user an `Authorization: Basic ...` header proves, or nil. bcrypt runs off the
    /// cooperative pool (a burst of wrong passwords must not stall every other request), and
    /// an unknown user costs one bcrypt too, so timing does not tell which users exist.
    func user(authorization: String?) async -> String? {
        guard let authorization, authorization.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        let user = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        if verified.withLock({ $0.contains(authorization) }) { return user }
        guard let anyHash = hashes.values.first else { return nil }
        let hash = hashes[user]
        let matches = (try? await Blocking.run { Self.bcryptMatches(password: password, hash: hash ?? anyHash) }) ?? false
        guard hash != nil, matches else { return nil }
        verified.withLock { _ = $0.insert(authorization) }
        return user
    }

    static func bcryptMatches(password: String, hash: String) -> Bool {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { data.deallocate() }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let result = crypt_rn(password, hash, data, Int32(MemoryLayout<crypt_data>.size)) else { return false }
        let computed = String(cString: result)
        // Constant-time comparison: the hash is secret-derived.
        let a = Array(computed.utf8), b = Array(hash.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
