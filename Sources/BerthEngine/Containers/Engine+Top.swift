import BerthNetwork
import BerthRuntime
import Foundation

extension Engine {
    /// `GET /containers/{id}/top?ps_args=`: runs the host's `ps` (`-ef` unless told otherwise)
    /// and keeps the rows of the processes in the container's cgroup, as Docker does.
    public func top(_ ref: String, psArgs: String?) async throws -> ProcessList {
        let args = (psArgs ?? "").isEmpty ? "-ef" : (psArgs ?? "-ef")
        try Self.validatePSArgs(args)
        let r = try await containers.find(ref)
        try await requireRunning(r)
        let cgroup = try openCgroup(r.id)
        let pids: [Int32]
        do { pids = try cgroup.pids() } catch { throw Self.cgroupError(error, "Cannot list the processes of container \(r.id)") }
        let split = args.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let output = try await Blocking.run { () throws -> String in
            // `-q` lists just these pids; some options (such as f) refuse it, so retry without.
            let quick = try HostCommand.run("ps", split + ["-q" + pids.map(String.init).joined(separator: ",")])
            if quick.succeeded { return quick.stdout }
            let all = try HostCommand.run("ps", split)
            guard all.succeeded else {
                let reason = all.stderr.split(separator: "\n").first.map(String.init) ?? "exit status \(all.status.map(String.init) ?? "unknown")"
                throw EngineError(.internalError, "ps: \(reason)")
            }
            return all.stdout
        }
        return try Self.parsePS(output, pids: Set(pids))
    }

    /// Docker refuses `ps_args` that rename the PID column (it needs it to filter).
    static func validatePSArgs(_ args: String) throws(EngineError) {
        let words = args.split(whereSeparator: { $0 == " " || $0 == "\t" })
        for (i, word) in words.enumerated() where i > 0 {
            guard let eq = word.firstIndex(of: "=") else { continue }
            let key = word[..<eq]
            var value = String(word[word.index(after: eq)...])
            if value.isEmpty, i + 1 < words.count { value = String(words[i + 1]) }
            if value.hasPrefix("PID") && key != "pid" {
                throw EngineError(.invalid, "specifying \"\(key)=\(value)\" is not allowed")
            }
        }
    }

    /// Docker's `parsePSOutput`: titles from the first line; the rows whose PID is in the
    /// container (and thread rows, PID `-`, that follow one); the last column keeps its spaces.
    static func parsePS(_ output: String, pids: Set<Int32>) throws(EngineError) -> ProcessList {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        let fields = { (line: Substring) in line.split(whereSeparator: { " \t\r\u{0C}".contains($0) }).map(String.init) }
        let titles = lines.first.map(fields) ?? []
        guard let pidIndex = titles.firstIndex(of: "PID") else { throw EngineError(.internalError, "Couldn't find PID field in ps output") }
        var list = ProcessList(titles: titles, processes: [])
        var inContainer = false
        for line in lines.dropFirst() where !line.isEmpty {
            let f = fields(line)
            guard f.count > pidIndex else { continue }
            if f[pidIndex] == "-" {
                if inContainer { list.processes.append(row(f, columns: titles.count)) }
                continue
            }
            guard let pid = Int32(f[pidIndex]) else { throw EngineError(.internalError, "Unexpected pid '\(f[pidIndex])'") }
            inContainer = pids.contains(pid)
            if inContainer { list.processes.append(row(f, columns: titles.count)) }
        }
        return list
    }

    private static func row(_ fields: [String], columns: Int) -> [String] {
        guard columns > 0, fields.count >= columns else { return fields }
        return Array(fields[..<(columns - 1)]) + [fields[(columns - 1)...].joined(separator: " ")]
    }
}
