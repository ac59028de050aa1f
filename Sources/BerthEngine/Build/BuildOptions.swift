import BerthOCI
import BerthRegistry
import Foundation

extension Engine {
    /// What `POST /build` (and `berth build`) asks for.
    public struct BuildOptions: Sendable {
        public var tags: [Reference] = []
        /// The Dockerfile's path inside the context.
        public var dockerfile = "Dockerfile"
        /// `--build-arg`: a nil value means "take it from the client's environment" (already resolved by the client).
        public var buildArgs: [String: String?] = [:]
        public var noCache = false
        public var pull = false
        public var quiet = false
        public var labels: [String: String] = [:]
        public var target: String?
        public var squash = false
        /// `rm`: remove a step's container once it succeeded.
        public var removeIntermediate = true
        /// `forcerm`: remove every step's container, a failed step's too (kept by default for inspection).
        public var forceRemove = false
        /// `RUN --mount=type=secret` values by id (berth's `X-Berth-Build-Secrets` header); never
        /// written to a layer, the cache key or the history.
        public var secrets: [String: Data] = [:]
        /// `default`/`bridge`, `none` or `host`.
        public var networkMode = "bridge"
        /// BuildKit's entitlements granted to the Dockerfile (`--allow`): only `network.host`, which
        /// a `RUN --network=host` needs unless the whole build runs on the host network.
        public var entitlements: Set<String> = []
        public var credentials: [String: RegistryCredentials] = [:]
        public init() {}
    }

    /// What a build reports as it goes.
    public enum BuildEvent: Sendable {
        /// Progress text, e.g. "Step 1/3 : FROM busybox\n" or a RUN's output.
        case stream(String)
        /// The image built (Docker's `aux` message).
        case built(Digest)
    }
}

/// A RUN step that exited non-zero: Docker's message and the exit code (`errorDetail.code`).
public struct BuildFailure: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let exitCode: Int32?
    public var description: String { message }
}
