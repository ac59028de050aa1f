/// Where an instruction starts: the file's name as the user gave it and a 1-based line.
public struct SourceLocation: Sendable, Equatable, Hashable {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
}

/// A Dockerfile, `.dockerignore`, expansion or recipe problem. `description` reads like
/// `Dockerfile:12: COPY: <problem>. <what to do>`.
public struct DockerfileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var location: SourceLocation?
    /// The upper-case keyword, e.g. "COPY".
    public var instruction: String?
    public var message: String

    public init(location: SourceLocation? = nil, instruction: String? = nil, message: String) {
        self.location = location
        self.instruction = instruction
        self.message = message
    }

    public var description: String {
        var prefix = ""
        if let location { prefix += "\(location.file):\(location.line): " }
        if let instruction { prefix += "\(instruction): " }
        return prefix + message
    }

    /// The same error placed at `location` under `instruction`, keeping any place it already had.
    public func located(at location: SourceLocation, instruction: String?) -> DockerfileError {
        var copy = self
        if copy.location == nil { copy.location = location }
        if copy.instruction == nil { copy.instruction = instruction }
        return copy
    }
}
