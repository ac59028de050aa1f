import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension RepositorySession {
    /// The token scope: this repository with the session's actions, and `pull` on the
    /// repositories a mount reads from.
    var scopes: [String] {
        guard !repository.isEmpty else { return actions == ["catalog"] ? ["registry:catalog:*"] : [] }
        let sources = state.withLock { $0.mountSources }.sorted()
        return ["repository:\(repository):\(actions.joined(separator: ","))"] + sources.map { "repository:\($0):pull" }
    }

    /// Adds `repository` to the scope, so a token also allows reading it (cross-repo mount).
    func addMountSource(_ repository: String) {
        state.withLock { _ = $0.mountSources.insert(repository) }
    }

    /// The Authorization header for the registry's challenge: nil when it asked for none (or
    /// asked for basic auth and there are no credentials), `Basic …`, or `Bearer <token>`.
    func authorization() async throws -> String? {
        let (challenge, tokens) = state.withLock { ($0.challenge, $0.tokens) }
        guard let challenge else { return nil }
        switch challenge.scheme {
        case .basic:
            return credentials?.basicAuthorization
        case .bearer:
            let key = scopes.joined(separator: " ")
            if let t = tokens[key] { return "Bearer \(t)" }
            let token = try await fetchToken(challenge, scopes: scopes)
            state.withLock { $0.tokens[key] = token }
            return "Bearer \(token)"
        }
    }

    /// Asks the challenge's realm for a token (distribution's token spec): GET with basic
    /// credentials, or the OAuth2 refresh-token POST when the login gave an identity token.
    func fetchToken(_ challenge: AuthChallenge, scopes: [String]) async throws -> String {
        guard let realm = challenge.realm, var components = URLComponents(string: realm), components.scheme != nil else {
            throw RegistryError(.invalid, "\(endpoint.host) asked for a bearer token without a usable realm (\(challenge.realm ?? "none"))")
        }
        var req: HTTPClientRequest
        if let refresh = credentials?.identityToken {
            req = HTTPClientRequest(url: realm)
            req.method = .POST
            var form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "berth")]
            if let s = challenge.service { form.append(("service", s)) }
            form.append(contentsOf: scopes.map { ("scope", $0) })
            req.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            req.body = .bytes(ByteBuffer(string: Self.formEncode(form)))
        } else {
            var items = components.queryItems ?? []
            if let s = challenge.service { items.append(URLQueryItem(name: "service", value: s)) }
            items.append(contentsOf: scopes.map { URLQueryItem(name: "scope", value: $0) })
            if let c = credentials, !c.username.isEmpty { items.append(URLQueryItem(name: "account", value: c.username)) }
            components.queryItems = items
            // URLComponents leaves `+` and `:` alone; scope values must keep their colons but a `+` must not read as a space.
            req = HTTPClientRequest(url: components.string?.replacingOccurrences(of: "+", with: "%2B") ?? realm)
            if let c = credentials, c.identityToken == nil { req.headers.add(name: "Authorization", value: c.basicAuthorization) }
        }
        // A token service co-hosted with an insecure registry gets the same leniency.
        req.tlsConfiguration = tlsConfiguration
        let resp: HTTPClientResponse
        do { resp = try await execute(req) } catch let e as RegistryError { throw e } catch {
            throw RegistryError(.unavailable, "Get \"\(realm)\": \(describe(error))")
        }
        guard resp.status == .ok else {
            if resp.status == .unauthorized || resp.status == .forbidden {
                let text = await errorText(resp)
                throw RegistryError(.unauthorized, "\(credentials == nil ? "unauthorized: authentication required" : "unauthorized: incorrect username or password") (token service \(realm): \(text))")
            }
            throw await failure(resp, "Get \"\(realm)\"")
        }
        let body = try await resp.body.collect(upTo: 1 << 20)
        struct Token: Decodable { var token: String?; var access_token: String? }
        guard let t = try? JSONDecoder().decode(Token.self, from: Data(buffer: body)), let token = t.token ?? t.access_token, !token.isEmpty else {
            throw RegistryError(.invalid, "the token service \(realm) answered without a token")
        }
        return token
    }

    static func formEncode(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { k, v in
            "\(k.addingPercentEncoding(withAllowedCharacters: allowed) ?? k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)"
        }.joined(separator: "&")
    }
}

extension RepositorySession {
    /// Checks the session's credentials against the registry, as `docker login` does: basic
    /// auth on `/v2/`, or a token from the realm for a bearer challenge.
    public func login() async throws {
        let origin = try await base()
        let challenge = state.withLock { $0.challenge }
        guard let challenge else { return }
        if challenge.scheme == .bearer {
            _ = try await authorization()
            return
        }
        var req = HTTPClientRequest(url: origin + "/v2/")
        req.tlsConfiguration = tlsConfiguration
        if let c = credentials { req.headers.add(name: "Authorization", value: c.basicAuthorization) }
        let resp = try await execute(req)
        _ = try? await resp.body.collect(upTo: 1 << 16)
        guard resp.status == .ok else {
            throw RegistryError(.unauthorized, "login attempt to \(origin)/v2/ failed with status: \(resp.status.code) \(resp.status.reasonPhrase)")
        }
    }
}
