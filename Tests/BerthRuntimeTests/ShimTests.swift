import Testing

/// The integration tests drive the real berth-shim binary as root; they run one at a time so
/// timing-sensitive ones (drain, signals) do not compete on a small machine.
@Suite(.serialized) struct ShimTests {}
