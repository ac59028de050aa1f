/// The files of one container's bundle directory, as berth-shim reads and writes them.
/// berthd writes `spec.json` before starting the shim and reads the rest with these helpers.
public struct ShimBundle: Sendable, Equatable {
    /// The bundle directory (`<data root>/containers/<id>`).
    public var directory: String
    /// The data root's reserve file, given up when a state write finds the disk full.
    public var diskReserve: String?

    public init(directory: String) {
        self.directory = directory
    }

    /// The `ContainerSpec` berthd writes.
    public var specPath: String { directory + "/spec.json" }
    /// The `ContainerState` the shim keeps current.
    public var statePath: String { directory + "/state.json" }
    /// The shim's own diagnostics (its stderr).
    public var shimLogPath: String { directory + "/shim.log" }
    /// Where exec records live.
    public var execsDirectory: String { directory + "/execs" }

    /// The `ExecState` record of exec `id`.
    public func execStatePath(_ id: String) -> String { execsDirectory + "/\(id).json" }

    /// Reads `spec.json`.
    public func loadSpec() throws(RuntimeError) -> ContainerSpec {
        try JSONLine.decode(ContainerSpec.self, from: Descriptor.readFile(specPath))
    }

    /// Writes `spec.json` atomically (what berthd does before spawning the shim).
    public func writeSpec(_ spec: ContainerSpec) throws(RuntimeError) {
        try AtomicFile.writeJSON(spec, to: specPath)
    }

    /// Reads `state.json`.
    public func loadState() throws(RuntimeError) -> ContainerState {
        try JSONLine.decode(ContainerState.self, from: Descriptor.readFile(statePath))
    }

    /// Reads `execs/<id>.json`.
    public func loadExecState(_ id: String) throws(RuntimeError) -> ExecState {
        try JSONLine.decode(ExecState.self, from: Descriptor.readFile(execStatePath(id)))
    }

    func writeState(_ state: ContainerState) throws(RuntimeError) {
        try AtomicFile.writeJSON(state, to: statePath, reserve: diskReserve)
    }

    func writeExecState(_ state: ExecState, id: String) throws(RuntimeError) {
        try AtomicFile.writeJSON(state, to: execStatePath(id), reserve: diskReserve)
    }
}
