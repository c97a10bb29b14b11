#if canImport(Glibc)
import Glibc
#endif
import TincBase

extension Daemon {
    /// NETNAME, DEVICE, INTERFACE and NAME, which every script gets.
    func baseEnvironment() -> [String: String] {
        [
            "NETNAME": options.netname ?? "",
            "DEVICE": device.deviceName == "dummy" ? "" : device.deviceName,
            "INTERFACE": device.interfaceName,
            "NAME": myself.name,
        ]
    }

    /// Runs subnet-up or subnet-down once per subnet, with SUBNET and WEIGHT split as tincd does.
    func runSubnetScripts(owner: Node, subnets: [Subnet], up: Bool) {
        for subnet in subnets {
            var environment = baseEnvironment()
            environment["NODE"] = owner.name
            if owner !== myself {
                environment["REMOTEADDRESS"] = owner.udpAddress?.host ?? "unknown"
                environment["REMOTEPORT"] = owner.udpAddress.map { String($0.port) } ?? "unknown"
            }
            let text = subnet.protocolString
            let parts = text.split(separator: "#", maxSplits: 1)
            environment["SUBNET"] = String(parts[0])
            environment["WEIGHT"] = parts.count > 1 ? String(parts[1]) : ""
            runScript(up ? "subnet-up" : "subnet-down", environment: environment)
        }
    }

    /// Runs CONFBASE/NAME if it exists, waits for it and logs a failure (tinc's execute_script).
    /// The script inherits our environment plus `environment`.
    func runScript(_ name: String, environment: [String: String]) {
        let path = options.configDirectory.path + "/" + name
        guard access(path, F_OK) == 0 else { return }
        Log.debug(.status, .info, "Executing script \(name)")

        var merged: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                merged[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        for (key, value) in environment { merged[key] = value }

        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }

        var pid: pid_t = 0
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child must not inherit our blocked signal mask (signalfd needs the signals blocked).
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGPIPE, SIGHUP, SIGTERM, SIGINT, SIGALRM, SIGUSR1, SIGUSR2, SIGCHLD] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let spawned = posix_spawn(&pid, path, nil, &attributes, argv, envp)
        if spawned != 0 {
            Log.error("Could not execute script \(path): \(String(cString: strerror(spawned)))")
            return
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        if exited {
            let code = (status >> 8) & 0xff
            if code != 0 {
                Log.error("Script \(name) exited with non-zero status \(code)")
            }
        } else {
            Log.error("Script \(name) was killed by signal \(status & 0x7f) (\(String(cString: strsignal(status & 0x7f))))")
        }
    }
}
