import ArgumentParser
import BerthOCI
import Foundation
import Glibc

/// The `berth` command: Docker's grammar, talking to berthd's Engine API.
public struct Berth: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "A container engine with Docker's grammar. Global option: -H/--host unix:///path (or BERTH_HOST).",
        subcommands: [Run.self, Create.self, Start.self, Attach.self, Port.self, PS.self, Exec.self, Logs.self, Stop.self, Restart.self, Kill.self, Rm.self,
                      Wait.self, Rename.self, Pause.self, Unpause.self, Stats.self, Top.self, Update.self, Cp.self, Diff.self, Export.self, Commit.self,
                      Images.self, Import.self, Inspect.self, History.self, Tag.self, Rmi.self,
                      Save.self, Load.self, Pull.self, Push.self, Build.self, BuilderGroup.self, Search.self, Login.self, Logout.self, RegistryGroup.self, ContainerGroup.self, ImageGroup.self, VolumeGroup.self, NetworkGroup.self, SystemGroup.self, Events.self, Version.self, Info.self,
                      ComposeGroup.self])

    public init() {}

    /// Runs the CLI: takes a leading `-H/--host` like docker, then dispatches.
    public static func main(arguments: [String]) -> Never {
        var args = arguments
        var i = 0
        while i < args.count, args[i].hasPrefix("-") {
            if args[i] == "-H" || args[i] == "--host", i + 1 < args.count {
                setenv("BERTH_HOST", args[i + 1], 1)
                args.removeSubrange(i...(i + 1))
            } else if args[i].hasPrefix("--host=") {
                setenv("BERTH_HOST", String(args[i].dropFirst(7)), 1)
                args.remove(at: i)
            } else {
                i += 1
            }
        }
        do {
            args = try ComposeGroup.normalise(args)
            var command = try Berth.parseAsRoot(args)
            try command.run()
            Glibc.exit(0)
        } catch let e as CLIError {
            FileHandle.standardError.write(Data((e.message + "\n").utf8))
            Glibc.exit(e.exitCode)
        } catch let e as OCIError {
            FileHandle.standardError.write(Data((e.message + "\n").utf8))
            Glibc.exit(1)
        } catch {
            Berth.exit(withError: error)
        }
    }
}

/// `berth image …`.
struct ImageGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "image", abstract: "Manage images",
        subcommands: [Images.self, Import.self, Inspect.self, History.self, Tag.self, Rmi.self, ImagePrune.self, Save.self, Load.self, Pull.self, Push.self, Build.self, ImageAudit.self])
}

/// `berth system …`.
struct SystemGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "system", abstract: "Manage berth",
        subcommands: [SystemDF.self, Info.self, Events.self, SystemCheck.self])
}
