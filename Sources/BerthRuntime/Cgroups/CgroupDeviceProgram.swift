import CBerthSys
import Glibc

/// An allow-list of devices as an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, the form
/// cgroup v2 takes device rules in (runc's libcontainer/cgroups/devices/ebpf does the same).
///
/// The kernel runs it on every open and mknod of a device node by a process of the cgroup,
/// with a `struct bpf_cgroup_dev_ctx` in r1: `access_type` (access bits << 16 | device type),
/// `major`, `minor`. The program checks the rules in order; the first that covers the device
/// and every access asked for answers 1 (allow); none answers 0 (EPERM).
struct CgroupDeviceProgram: Equatable {
    /// One `devices.allow` line: `c 1:3 rwm`, `b *:* m`.
    struct Rule: Equatable {
        /// BPF_DEVCG_DEV_BLOCK (1) or BPF_DEVCG_DEV_CHAR (2); nil for `a` (any).
        var type: Int32?
        var major: Int32?
        var minor: Int32?
        /// BPF_DEVCG_ACC_MKNOD (1) | READ (2) | WRITE (4).
        var access: Int32

        init(type: Int32?, major: Int32?, minor: Int32?, access: Int32) {
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }

        /// Parses the v1 grammar `TYPE MAJOR:MINOR ACCESS`; nil when malformed.
        init?(parsing line: String) {
            let fields = line.split(separator: " ")
            guard fields.count == 3 else { return nil }
            switch fields[0] {
            case "a": type = nil
            case "b": type = 1
            case "c": type = 2
            default: return nil
            }
            let numbers = fields[1].split(separator: ":", omittingEmptySubsequences: false)
            guard numbers.count == 2 else { return nil }
            func number(_ text: Substring) -> Int32?? { text == "*" ? .some(nil) : Int32(text).map { .some($0) } }
            guard let major = number(numbers[0]), let minor = number(numbers[1]) else { return nil }
            self.major = major
            self.minor = minor
            var access: Int32 = 0
            for letter in fields[2] {
                switch letter {
                case "m": access |= 1
                case "r": access |= 2
                case "w": access |= 4
                default: return nil
                }
            }
            guard access != 0 else { return nil }
            self.access = access
        }
    }

    let rules: [Rule]

    /// The instructions, each a `struct bpf_insn` laid out for a little-endian machine.
    var instructions: [UInt64] {
        var program: [UInt64] = [
            Self.load(into: 2, offset: 0),  // r2 = access_type
            Self.alu32(and: 0xFFFF, register: 2),  // r2 = device type
            Self.load(into: 3, offset: 0),
            Self.alu32(shiftRight: 16, register: 3),  // r3 = access asked for
            Self.load(into: 4, offset: 4),  // r4 = major
            Self.load(into: 5, offset: 8),  // r5 = minor
        ]
        for rule in rules {
            // Each test jumps past the rest of this rule's block when it fails; the jumps are
            // filled in once the block's length is known.
            var block: [UInt64?] = []
            var jumps: [(index: Int, register: UInt8, value: Int32)] = []
            func test(_ register: UInt8, _ value: Int32) {
                jumps.append((block.count, register, value))
                block.append(nil)
            }
            if let type = rule.type { test(2, type) }
            if rule.access != 7 {
                // Asked-for bits outside the rule's: r1 = r3 & ~access must be 0.
                block.append(Self.move(register: 1, from: 3))
                block.append(Self.alu64(and: ~rule.access & 7, register: 1))
                test(1, 0)
            }
            if let major = rule.major { test(4, major) }
            if let minor = rule.minor { test(5, minor) }
            block.append(Self.move(register: 0, value: 1))
            block.append(Self.exit)
            for jump in jumps {
                block[jump.index] = Self.jumpIfNotEqual(register: jump.register, value: jump.value, skip: Int16(block.count - jump.index - 1))
            }
            program += block.map { $0! }
        }
        program.append(Self.move(register: 0, value: 0))
        program.append(Self.exit)
        return program
    }

    /// Loads the program and attaches it to the cgroup v2 directory `dir`.
    func attach(to dir: String) throws(CgroupError) {
        let code = instructions
        var fd = code.withUnsafeBufferPointer { berth_bpf_load_device_program($0.baseAddress, UInt32($0.count), nil, 0) }
        if fd < 0 {
            let err = errno
            var log = [CChar](repeating: 0, count: 1 << 16)
            fd = code.withUnsafeBufferPointer { berth_bpf_load_device_program($0.baseAddress, UInt32($0.count), &log, UInt32(log.count)) }
            if fd >= 0 { close(fd) }
            let verifier = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CgroupError(.io, "load the device filter for \(dir): \(String(cString: strerror(err)))\(verifier.isEmpty ? "" : ": \(verifier)")", errno: err)
        }
        defer { close(fd) }
        let cgroup = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard cgroup >= 0 else { throw .system("open", dir, errno: errno) }
        defer { close(cgroup) }
        guard berth_bpf_attach_device_program(fd, cgroup) == 0 else { throw .system("attach the device filter to", dir, errno: errno) }
    }

    // MARK: Instruction encoding (linux/bpf.h, linux/bpf_common.h)

    private static func instruction(_ code: UInt8, dst: UInt8 = 0, src: UInt8 = 0, offset: Int16 = 0, immediate: Int32 = 0) -> UInt64 {
        UInt64(code) | UInt64(dst & 0xF | (src & 0xF) << 4) << 8 | UInt64(UInt16(bitPattern: offset)) << 16
            | UInt64(UInt32(bitPattern: immediate)) << 32
    }

    /// BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(r1 + offset).
    static func load(into register: UInt8, offset: Int16) -> UInt64 { instruction(0x61, dst: register, src: 1, offset: offset) }
    /// BPF_ALU | BPF_AND | BPF_K.
    static func alu32(and mask: Int32, register: UInt8) -> UInt64 { instruction(0x54, dst: register, immediate: mask) }
    /// BPF_ALU | BPF_RSH | BPF_K.
    static func alu32(shiftRight bits: Int32, register: UInt8) -> UInt64 { instruction(0x74, dst: register, immediate: bits) }
    /// BPF_ALU64 | BPF_AND | BPF_K.
    static func alu64(and mask: Int32, register: UInt8) -> UInt64 { instruction(0x57, dst: register, immediate: mask) }
    /// BPF_ALU64 | BPF_MOV | BPF_X.
    static func move(register: UInt8, from source: UInt8) -> UInt64 { instruction(0xBF, dst: register, src: source) }
    /// BPF_ALU64 | BPF_MOV | BPF_K.
    static func move(register: UInt8, value: Int32) -> UInt64 { instruction(0xB7, dst: register, immediate: value) }
    /// BPF_JMP | BPF_JNE | BPF_K: skip `skip` instructions when register != value.
    static func jumpIfNotEqual(register: UInt8, value: Int32, skip: Int16) -> UInt64 { instruction(0x55, dst: register, offset: skip, immediate: value) }
    /// BPF_JMP | BPF_EXIT.
    static let exit = instruction(0x95)
}
