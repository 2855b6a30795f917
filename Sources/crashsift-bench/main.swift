import ByteReader
import Foundation
import Minidump

// Benchmark driver for scripts/bench-minidump.sh (not a user command). For every file,
// `iterations` times: map it and read every stream the way skelsec's parser does eagerly
// (`parse`), or additionally build the analyze report with its formatted strings (`report`).
// Prints one JSON line with the rate.
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3, ["minidump-parse", "minidump-report"].contains(arguments[0]),
  let iterations = Int(arguments[1])
else {
  FileHandle.standardError.write(
    Data("usage: crashsift-bench minidump-parse|minidump-report ITERATIONS FILE...\n".utf8))
  exit(2)
}
let report = arguments[0] == "minidump-report"
let files = Array(arguments.dropFirst(2))

/// Reads every stream; returns a number derived from the results so nothing is optimised away.
func parseAll(_ dump: Minidump) -> Int {
  var sum = 0
  sum &+= (try? dump.systemInfo())?.numberOfProcessors.hashValue ?? 0
  sum &+= (try? dump.threads())?.count ?? 0
  sum &+= (try? dump.modules())?.count ?? 0
  sum &+= (try? dump.unloadedModules())?.count ?? 0
  sum &+= (try? dump.exception()).map { Int($0?.code ?? 0) } ?? 0
  sum &+= (try? dump.memory())?.ranges.count ?? 0
  sum &+= (try? dump.miscInfo())?.map { Int($0.sizeOfInfo) } ?? 0
  sum &+= (try? dump.memoryInfo())?.count ?? 0
  sum &+= (try? dump.handles())?.count ?? 0
  sum &+= (try? dump.threadInfo())?.count ?? 0
  return sum
}

let start = Date()
var parsed = 0
var checksum = 0
for _ in 0..<iterations {
  for path in files {
    guard let dump = try? Minidump(path: path) else { continue }
    if report {
      let value = MinidumpReport(dump, name: path)
      checksum &+= value.modules.count &+ value.threads.count
    } else {
      checksum &+= parseAll(dump)
    }
    parsed += 1
  }
}
let seconds = Date().timeIntervalSince(start)
print(
  "{\"tool\": \"crashsift (\(report ? "report" : "parse"))\", \"parses\": \(parsed), \"seconds\": \(seconds), \"per_second\": \(Double(parsed) / seconds), \"checksum\": \(checksum)}"
)
