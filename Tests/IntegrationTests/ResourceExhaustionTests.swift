import Foundation
import Glibc
import Testing

/// Issue 8's resource exhaustion: pids and memory bombs, log floods, decompression bombs and a
/// full disk, against a private berthd (docs/security-suite.md maps each test to its line).
@Suite(.serialized) struct ResourceExhaustionTests {
    /// Berth's default pids limit (4096; Docker has none) is in force unless lifted, and a
    /// fork bomb under a small limit stops at it while berthd and the host carry on.
    @Test func aDefaultPidsLimitHoldsAForkBomb() throws {
        let d = try Fixtures.daemonWithBusybox()
        let readMax = "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"
        #expect(d.berth("run", "--rm", "--network", "none", "bb", "sh", "-c", readMax).stdout == "4096\n")
        #expect(d.berth("run", "--rm", "--network", "none", "--pids-limit", "-1", "bb", "sh", "-c", readMax).stdout == "max\n")
        #expect(d.berth("run", "--rm", "--network", "none", "--pids-limit", "100", "bb", "sh", "-c", readMax).stdout == "100\n")

        // The forking subshell gives up at its first failed fork; the outer shell no longer needs one.
        let bomb = "(i=0; while [ $i -lt 400 ]; do sleep 1000 & i=$((i+1)); done) 2>/dev/null; echo forked; exec sleep 1000"
        #expect(d.berth("run", "-d", "--name", "bomb", "--network", "none", "--pids-limit", "40", "bb", "sh", "-c", bomb).status == 0)
        let initPid = try #require(Int32(d.berth("inspect", "-f", "{{.State.Pid}}", "bomb").stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        var count = 0
        for _ in 0..<100 {
            count = HostProcess.cgroupProcs(initPid).count
            if d.berth("logs", "bomb").stdout.contains("forked") { break }
            usleep(100_000)
        }
        #expect(d.berth("logs", "bomb").stdout.contains("forked"), "the bomb ran into its limit and went on")
        count = HostProcess.cgroupProcs(initPid).count
        #expect(count > 30 && count <= 40, "processes in the container: \(count)")
        #expect(Run.curl(socket: d.socket, path: "/_ping").stdout.hasPrefix("HTTP/1.1 200"))
        #expect(d.berth("rm", "-f", "bomb").status == 0)
        #expect(!HostProcess.alive(initPid))
    }

    /// A memory bomb under `-m 32m` is OOM-killed and reported (137, State.OOMKilled) while
    /// berthd carries on. berthd asks for oom_score_adj -500 (as dockerd); its shims inherit
    /// it and the container's processes are put back to 0.
    @Test func aMemoryBombIsOOMKilledAndBerthdSurvives() throws {
        let d = try Fixtures.daemonWithBusybox()
        let pid = try #require(d.process?.processIdentifier)
        let adjust = HostProcess.read("/proc/\(pid)/oom_score_adj")
        if HostProcess.hasCapability(24) {  // CAP_SYS_RESOURCE: lowering the score is allowed here
            #expect(adjust == "-500")
        } else {
            #expect(adjust == "0" && d.log.contains("cannot set oom_score_adj to -500"), "without CAP_SYS_RESOURCE berthd says why")
        }
        let r = d.berth("run", "--name", "mb", "--network", "none", "-m", "32m", "bb", "sh", "-c", "cat /proc/self/oom_score_adj; tail /dev/zero")
        #expect(r.status == 137, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout == "0\n", "the container does not inherit berthd's score")
        #expect(d.berth("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "mb").stdout == "true 137\n")
        #expect(d.process?.isRunning == true)
        #expect(HostProcess.read("/proc/\(pid)/oom_score_adj") == adjust)
        #expect(d.berth("run", "--rm", "--network", "none", "bb", "echo", "after").stdout == "after\n")
    }

    /// A container writing as fast as it can, long lines and a line without a newline, stays
    /// inside `--log-opt max-size/max-file`, runs to its end, and the newest lines are kept.
    @Test func aLogFloodStaysWithinItsRotationCaps() throws {
        let d = try Fixtures.daemonWithBusybox()
        let flood = "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 4000000; head -c 300000 /dev/zero | tr '\\0' x; echo; echo done"
        let r = d.berth("run", "--name", "flood", "--network", "none", "--log-opt", "max-size=200k", "--log-opt", "max-file=3",
                        "bb", "sh", "-c", flood)
        #expect(r.status == 0, "the container was never stalled: \(r.stderr)")
        let id = d.berth("inspect", "-f", "{{.Id}}", "flood").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let dir = "\(d.dataRoot)/containers/\(id)"
        let logs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("\(id)-json.log") }
        #expect(logs.count <= 3, "\(logs)")
        for f in logs {
            let size = ((try? FileManager.default.attributesOfItem(atPath: "\(dir)/\(f)"))?[.size] as? NSNumber)?.intValue ?? 0
            // One record may cross the limit before the rotation (a 16 KiB piece, JSON-escaped).
            #expect(size <= 200 * 1024 + 64 * 1024, "\(f): \(size) bytes")
        }
        #expect(d.berth("logs", "--tail", "1", "flood").stdout == "done\n")
    }

    /// Decompression bombs: a layer of 256 MiB of zeros, gzip- and zstd-compressed to a few
    /// hundred KiB, on a 64 MiB data root. Extraction streams until the disk is full, then the
    /// image is refused with the reason, the partial unpack is removed, and berthd goes on.
    @Test func decompressionBombsBiggerThanTheDiskAreRefusedAndLeaveNothing() throws {
        let d = try Fixtures.daemonWithBusybox(dataRootSize: "64m")
        func free() -> Int {
            var fs = statvfs()
            return statvfs(d.dataRoot, &fs) == 0 ? Int(fs.f_bavail) * Int(fs.f_frsize) : -1
        }
        let before = free()
        #expect(before > 0)
        var uts = utsname()
        uname(&uts)
        let machine = withUnsafeBytes(of: uts.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let architecture = ["x86_64": "amd64", "aarch64": "arm64"][machine] ?? machine
        for (name, compressor) in [("gzip", "gzip -1 -c"), ("zstd", "zstd -q -1 -c")] {
            let archive = "\(d.dir)/bomb-\(name).tar"
            let make = Run.run("/usr/bin/python3", ["-c", """
                import hashlib, io, json, os, shutil, subprocess, tarfile
                d = '\(d.dir)/bomb-\(name)'
                os.makedirs(d)
                layer = open(d + '/l2.tar.c', 'wb')
                comp = subprocess.Popen(['sh', '-c', '\(compressor)'], stdin=subprocess.PIPE, stdout=layer)
                sha = hashlib.sha256()
                class Tee:
                    def write(self, b):
                        sha.update(b); comp.stdin.write(b); return len(b)
                class Zeros(io.RawIOBase):
                    def readable(self): return True
                    def readinto(self, b):
                        b[:] = bytes(len(b)); return len(b)
                with tarfile.open(fileobj=Tee(), mode='w|') as t:
                    info = tarfile.TarInfo('bomb'); info.size = 256 << 20
                    t.addfile(info, io.BufferedReader(Zeros(), 1 << 20))
                comp.stdin.close(); comp.wait(); layer.close()
                busy = 'sha256:' + hashlib.sha256(open('\(Fixtures.busyboxTar)', 'rb').read()).hexdigest()
                json.dump({'architecture': '\(architecture)', 'os': 'linux', 'config': {'Cmd': ['sh']},
                           'rootfs': {'type': 'layers', 'diff_ids': [busy, 'sha256:' + sha.hexdigest()]}}, open(d + '/config.json', 'w'))
                json.dump([{'Config': 'config.json', 'RepoTags': ['bomb-\(name):1'], 'Layers': ['l1.tar', 'l2.tar.c']}], open(d + '/manifest.json', 'w'))
                shutil.copy('\(Fixtures.busyboxTar)', d + '/l1.tar')
                subprocess.check_call(['tar', '-C', d, '-cf', '\(archive)', 'manifest.json', 'config.json', 'l1.tar', 'l2.tar.c'])
                print(os.path.getsize(d + '/l2.tar.c'))
                """])
            #expect(make.status == 0, "\(make.stderr)")
            #expect((Int(make.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max) < 2 << 20, "\(name): the bomb is small: \(make.stdout)")
            // Whether the layer unpacks at load or at the first run, the step that hits the
            // full disk fails naming it, and no image runs from half a layer.
            let load = d.berth("load", "-i", archive)
            if load.status == 0 {
                let run = d.berth("run", "--rm", "--network", "none", "bomb-\(name):1", "true")
                #expect(run.status != 0 && run.stderr.lowercased().contains("no space left on device") && run.stderr.contains("free space"), "\(name): \(run.stdout)\(run.stderr)")
                #expect(d.berth("rmi", "bomb-\(name):1").status == 0)
            } else {
                #expect(load.stderr.lowercased().contains("no space left on device") && load.stderr.contains("free space"), "\(name): \(load.stderr)")
            }
            #expect(d.berth("images", "--format", "{{.Repository}}").stdout == "bb\n", "\(name)")
            #expect(free() > before - (4 << 20), "\(name): the partial unpack was removed: \(free()) bytes free, \(before) before")
            #expect(d.berth("run", "--rm", "--network", "none", "bb", "echo", "after-\(name)").stdout == "after-\(name)\n")
        }
        let check = d.berth("system", "check")
        #expect(check.status == 0 && check.stdout.hasSuffix("No problems found\n"), "\(check.stdout)\(check.stderr)")
    }

    /// A container that fills its writable layer gets ENOSPC; berthd's and the shims' own
    /// records still get written (the data root's `reserve` is given up for them): a stop, a
    /// rename and the filler's exit are recorded and survive a restart. Once a second filler
    /// has taken the reserve's space too, a create and a rename fail naming ENOSPC and leave
    /// no container, no temporary file and the old records behind; removing the fillers frees
    /// the disk and brings the reserve back, and the store checks clean.
    @Test func aFullDiskGivesENOSPCInsideWhileBerthdKeepsRecording() throws {
        let d = try Fixtures.daemonWithBusybox(dataRootSize: "64m")
        let reserve = "\(d.dataRoot)/reserve"
        func free() -> Int {
            var fs = statvfs()
            return statvfs(d.dataRoot, &fs) == 0 ? Int(fs.f_bavail) * Int(fs.f_frsize) : -1
        }
        func size(_ path: String) -> Int {
            var st = stat()
            return stat(path, &st) == 0 ? Int(st.st_size) : -1
        }
        #expect(size(reserve) == 2 << 20, "1/32 of the 64 MiB disk is held back")
        #expect(d.berth("run", "-d", "--name", "sleeper", "--network", "none", "bb", "sleep", "1000").status == 0)
        let fill = d.berth("run", "--name", "filler", "--network", "none", "bb", "sh", "-c",
                           "dd if=/dev/zero of=/big bs=64k 2>&1; echo dd-exit=$?; ls -l /big")
        #expect(fill.status == 0, "\(fill.stderr)")
        #expect(fill.stdout.contains("No space left on device") && fill.stdout.contains("dd-exit=1"), "\(fill.stdout)")
        #expect(size(reserve) == -1, "the filler's shim gave up the reserve to record its exit")
        #expect(free() < 4 << 20, "the disk stays nearly full: \(free()) bytes free")
        #expect(d.berth("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "filler").stdout == "exited 0\n")

        #expect(d.berth("inspect", "-f", "{{.State.Running}}", "sleeper").stdout == "true\n")
        #expect(d.berth("stop", "-t", "1", "sleeper").status == 0)
        let renamed = d.berth("rename", "sleeper", "sleeper2")
        #expect(renamed.status == 0, "\(renamed.stderr)")
        #expect(d.berth("inspect", "-f", "{{.Name}} {{.State.Status}} {{.State.ExitCode}}", "sleeper2").stdout == "/sleeper2 exited 137\n")

        // With the reserve spent, a second filler takes the rest: berthd's writes now fail
        // with the reason, leaving nothing half-written, and reads still answer.
        #expect(d.berth("run", "-d", "--name", "filler2", "--network", "none", "bb", "sh", "-c",
                        "dd if=/dev/zero of=/big bs=64k; sleep 1000").status == 0)
        for _ in 0..<300 where free() >= 64 << 10 { usleep(100_000) }
        #expect(free() < 64 << 10, "the second filler took the rest: \(free()) bytes free")
        let late = d.berth("create", "--name", "late", "--network", "none", "bb", "true")
        #expect(late.status != 0 && late.stderr.contains("no space left on device; free space on that filesystem"), "\(late.stdout)\(late.stderr)")
        let refused = d.berth("rename", "sleeper2", "sleeper3")
        #expect(refused.status != 0 && refused.stderr.contains("no space left on device; free space on that filesystem"), "\(refused.stderr)")
        #expect(d.berth("ps", "-a", "--format", "{{.Names}}").stdout.split(separator: "\n").sorted() == ["filler", "filler2", "sleeper2"])
        #expect(d.berth("inspect", "-f", "{{.Name}} {{.State.Status}}", "sleeper2").stdout == "/sleeper2 exited\n")
        let leftovers = Run.sh("find \(d.dataRoot)/containers -name '*.tmp*' -o -name '.tmp-*'").stdout
        #expect(leftovers.isEmpty, "no temporary record files left: \(leftovers)")

        // Freeing the disk brings the reserve back; berthd creates, renames and runs again.
        #expect(d.berth("rm", "-f", "filler2").status == 0)
        #expect(d.berth("rm", "filler").status == 0)
        #expect(size(reserve) == 2 << 20, "the reserve is made again once there is room")
        #expect(d.berth("run", "--rm", "--network", "none", "bb", "echo", "after").stdout == "after\n")
        #expect(d.berth("rename", "sleeper2", "sleeper3").status == 0)
        #expect(d.berth("rename", "sleeper3", "sleeper2").status == 0)
        #expect(d.berth("start", "sleeper2").status == 0)
        #expect(d.berth("inspect", "-f", "{{.State.Running}}", "sleeper2").stdout == "true\n")
        #expect(d.berth("stop", "-t", "1", "sleeper2").status == 0)

        d.stop()
        try d.start()
        #expect(d.berth("inspect", "-f", "{{.Name}} {{.State.Status}} {{.State.ExitCode}}", "sleeper2").stdout == "/sleeper2 exited 137\n")
        #expect(d.berth("ps", "-a", "--format", "{{.Names}}").stdout == "sleeper2\n")
        let check = d.berth("system", "check")
        #expect(check.status == 0 && check.stdout.hasSuffix("No problems found\n"), "\(check.stdout)\(check.stderr)")
    }
}
