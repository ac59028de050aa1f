import BerthArchive
import BerthCompose
import BerthDockerfile
import BerthOCI
import Foundation
import Glibc

/// Fuzz targets over Berth's parsers of untrusted input: any input may be refused, none may
/// crash, hang or escape. Built with `-sanitize=fuzzer -DFUZZING` by `scripts/fuzz` (libFuzzer
/// drives `LLVMFuzzerTestOneInput`); built plainly it replays files:
/// `BERTH_FUZZ_TARGET=tar berth-fuzz fuzz/corpus/tar`.
enum FuzzTarget: String, CaseIterable {
    /// `Reference(parsing:)`: what parses prints back to a spelling that parses to the same value.
    case reference
    /// `ImageDocument.decode` and `ImageConfig.decode`: a decoded manifest encodes and decodes back.
    case document
    /// The layer reader (`LayerExtractor`: decompression, tar, whiteouts) into a scratch directory.
    case tar
    /// `Dockerfile.parse`, `.dockerignore` patterns and the variable expander over the same text.
    case dockerfile
    /// A compose file loaded as `berth compose config` loads it (YAML with the alias budget,
    /// interpolation, decoding, normalisation); what it prints must be YAML that reads back.
    case compose

    func run(_ data: Data) {
        switch self {
        case .reference:
            guard let text = String(data: data, encoding: .utf8), let ref = try? Reference(parsing: text) else { return }
            guard let again = try? Reference(parsing: ref.description), again == ref else {
                fatalError("\(text.debugDescription) parses to \(ref), which does not parse back to itself")
            }
        case .document:
            _ = try? ImageConfig.decode(data)
            guard case .manifest(let m)? = try? ImageDocument.decode(data) else { return }
            guard let encoded = try? JSONEncoder().encode(m), case .manifest(let back)? = try? ImageDocument.decode(encoded), back == m else {
                fatalError("a decoded manifest does not survive encoding")
            }
        case .tar:
            Scratch.shared.extract(data)
        case .dockerfile:
            let text = String(decoding: data, as: UTF8.self)
            _ = try? Dockerfile.parse(text)
            _ = DockerIgnore(text).isExcluded("a/b/c")
            _ = try? VariableExpander(variables: ["a": "1", "HOME": "/root"]).expandWords(text)
        case .compose:
            Scratch.shared.compose(data)
        }
    }
}

/// One scratch directory per process; each input is written to a file and extracted into a
/// fresh `root/` inside it, then removed.
final class Scratch: @unchecked Sendable {
    // Used by one fuzzing thread.
    static let shared = Scratch()
    let dir: String

    init() {
        var template = Array("/dev/shm/berth-fuzz-XXXXXX".utf8CString)
        dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        atexit { _ = try? FileManager.default.removeItem(atPath: Scratch.shared.dir) }
    }

    func extract(_ data: Data) {
        let layer = "\(dir)/layer", root = "\(dir)/root"
        _ = FileManager.default.createFile(atPath: layer, contents: data)
        mkdir(root, 0o755)
        _ = try? LayerExtractor.extract(layerPath: layer, into: root)
        let outside = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted() ?? []
        guard outside == ["layer", "root"] else { fatalError("extraction wrote beside its root: \(outside)") }
        _ = try? FileManager.default.removeItem(atPath: root)
    }
}

extension Scratch {
    func compose(_ data: Data) {
        var options = ProjectOptions(environment: ["A": "1", "EMPTY": "", "HOME": "/root"], workingDirectory: dir)
        options.files = ["-"]
        options.projectName = "fuzz"
        options.standardInput = { [UInt8](data) }
        let text = String(decoding: data, as: UTF8.self)
        _ = try? DotEnv.parse(text, path: ".env", lookup: ["A": "1"])
        guard let project = try? ProjectLoader.load(options) else { return }
        let printed = project.configYAML()
        do {
            _ = try YAMLReader.read(Data(printed.utf8), file: "printed")
        } catch {
            fatalError("config output is not YAML that reads back (\(error)):\n\(printed)")
        }
    }
}

let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["BERTH_FUZZ_TARGET"] ?? ""
    guard let t = FuzzTarget(rawValue: name) else {
        fatalError("set BERTH_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))")
    }
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    target.run(Data(bytes: bytes, count: count))
    return 0
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzer(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt
#endif

/// With libFuzzer (`-DFUZZING`): its driver, with libFuzzer's flags. Without: runs every file (or
/// every file in each directory) given, as a replay of a corpus.
@main struct Harness {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(runFuzzer(&argc, &argv, fuzzOne))
        #else
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            let files = isDir.boolValue ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).map { "\(path)/\($0)" } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                target.run(data)
                count += 1
            }
        }
        print("\(target.rawValue): \(count) inputs replayed")
        #endif
    }
}
