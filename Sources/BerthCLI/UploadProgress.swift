import BerthAPI
import Foundation
import Glibc

/// "Sending 12.3MB / 1.21GB" on stderr while a big body uploads, only when stderr is a terminal.
final class UploadProgress {
    let total: Int64?
    let label: String
    private var last = Date.distantPast
    private var shown = false

    init(label: String, total: Int64?) {
        self.label = label
        self.total = total
    }

    /// The callback for `RequestBodySource.stream`, or nil when stderr is not a terminal.
    var callback: ((Int64) -> Void)? {
        guard isatty(2) != 0 else { return nil }
        return { [self] sent in
            let now = Date()
            guard now.timeIntervalSince(last) > 0.1 || sent == total else { return }
            last = now
            shown = true
            let of = total.map { " / \(HumanUnits.size($0))" } ?? ""
            FileHandle.standardError.write(Data("\r\(label) \(HumanUnits.size(sent))\(of)\u{1b}[K".utf8))
        }
    }

    /// Ends the progress line.
    func finish() {
        if shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func size(of path: String) -> Int64? {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int64(st.st_size) : nil
    }
}
