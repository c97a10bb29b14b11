import Glibc
import TincDaemon

exit(Tincd.main(Array(CommandLine.arguments.dropFirst())))
