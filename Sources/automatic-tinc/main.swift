import AutomaticTinc
#if canImport(Glibc)
import Glibc
#endif

exit(AutomaticTinc.main(Array(CommandLine.arguments.dropFirst())))
