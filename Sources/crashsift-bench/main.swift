import Analysis
import ByteReader
import CPosix
import DumpSynth
import Foundation
import KernelDump
import Minidump
import PDB
import Symbols
import Synchronization

// Benchmark driver for scripts/bench-minidump.sh (not a user command). For every file,
// `iterations` times: map it and read every stream the way skelsec's parser does eagerly
// (`parse`), or additionally build the analyze report with its formatted strings (`report`).
// Prints one JSON line with the rate.
// The heap policy of `crashsift` itself (CPosix/shim.h), so measurements match it.
_ = crashsift_return_large_blocks_when_freed()
let arguments = Array(CommandLine.arguments.dropFirst())

// paging-generate DIR: see below.
// kernel-generate PATH MEGABYTES: a sparse bitmap dump whose data pages are mapped at
// 0xfffff80100000000 onwards (one in every 4 PFNs present, so the bitmap and the rank index are
// exercised). kernel-read PATH READS SEED: open, header, module list, READS random 8-byte virtual
// reads inside the mapped region.
// sym-lookup FILE N [CACHE]: load a Breakpad .sym or a PDB, then N lookups at pseudo-random RVAs
// inside its functions' span; prints load time and lookups per second. With CACHE, the lookups
// are answered from the table's mapped archive there, as the symbolize stage answers them.
// sym-resolve FILE: load it, then resolve the hex RVAs on stdin, one `name file:line` per line
// (the same work as llvm-symbolizer reading addresses from stdin).
func loadTable(_ path: String) -> SymbolTable? {
  if path.lowercased().hasSuffix(".pdb") {
    return try? PDBSymbolTable.read(PDBFile(path: path))
  }
  return try? BreakpadSymbolReader.read(path: path)
}
// walk SYMBOL_PATH REPEAT JOBS FILE...: walk and symbolize the crashing thread of every file
// (minidump or kernel dump), REPEAT times, on JOBS threads sharing one symbol-table cache (as the
// symbolize stage does); prints dumps and frames per second.
if arguments.first == "walk", arguments.count >= 5, let repeats = Int(arguments[2]),
  let jobs = Int(arguments[3])
{
  let files = Array(arguments[4...])
  let cache = arguments[1].isEmpty ? nil : SymbolTableCache(path: SymbolPath(parsing: arguments[1]))
  let total = files.count * repeats
  let frames = Mutex<Int>(0)
  let start = DispatchTime.now().uptimeNanoseconds
  DispatchQueue.concurrentPerform(iterations: jobs) { worker in
    var count = 0
    for index in stride(from: worker, to: total, by: jobs) {
      let path = files[index % files.count]
      guard let file = try? MappedFile(path: path) else { continue }
      let stack: ThreadStack?
      if file.bytes.starts(with: Array("PAGE".utf8)) {
        stack = (try? KernelDump(file: file)).flatMap {
          ThreadStack.crashingThread(of: $0, symbols: cache)
        }
      } else {
        stack = (try? Minidump(file: file)).flatMap {
          ThreadStack.crashingThread(of: $0, symbols: cache)
        }
      }
      count += stack?.frames.count ?? 0
    }
    frames.withLock { $0 += count }
  }
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  let walked = frames.withLock { $0 }
  print(
    #"{"mode":"walk","dumps":\#(total),"frames":\#(walked),"jobs":\#(jobs),"seconds":\#(seconds),"#
      + #""dumps_per_s":\#(Double(total) / seconds),"frames_per_s":\#(Double(walked) / seconds)}"#)
  exit(0)
}
// sym-inlines FILE RVA: the inline ranges of the function containing RVA (debugging aid).
if arguments.first == "sym-inlines", arguments.count == 3,
  let rva = UInt32(arguments[2], radix: 16),
  let table = loadTable(arguments[1])
{
  for function in table.functions where function.rva <= rva && rva - function.rva < function.size {
    print(
      "\(function.name) at \(String(function.rva, radix: 16)) size \(String(function.size, radix: 16))"
    )
    for site in table.inlines[
      function.inlinesStart..<(function.inlinesStart + function.inlinesCount)]
    {
      print(
        "  depth \(site.depth) \(Int(site.nameIndex) < table.inlineNames.count ? table.inlineNames[Int(site.nameIndex)] : "") +\(String(site.rva - function.rva, radix: 16)) len \(String(site.size, radix: 16)) line \(site.line)"
      )
    }
  }
  exit(0)
}
if arguments.first == "sym-resolve", arguments.count == 2 || arguments.count == 3 {
  // With a CACHE, the table comes as the symbolize stage gets it: from the derived-table archive,
  // answering from the mapped file.
  let file = arguments[1]
  let table =
    arguments.count == 3
    ? try? DerivedTableStore(cache: arguments[2]).table(for: file) { () throws(ParseError) in
      file.lowercased().hasSuffix(".pdb")
        ? try PDBSymbolTable.read(PDBFile(path: file)) : try BreakpadSymbolReader.read(path: file)
    } : loadTable(file)
  guard let table else { exit(1) }
  var output = ""
  while let line = readLine() {
    let text = line.hasPrefix("0x") ? line.dropFirst(2) : Substring(line)
    guard let rva = UInt32(text, radix: 16) else { continue }
    if let hit = table.lookup(rva) {
      let inlined = hit.inlines.map { "\t\($0.name)\t\($0.file ?? "??"):\($0.line)" }
      output += "\(hit.name)+0x\(String(rva - hit.symbolRVA, radix: 16))"
      output += "\t\(hit.file ?? "??"):\(hit.line ?? 0)" + inlined.joined() + "\n"
    } else {
      output += "??\n"
    }
  }
  print(output, terminator: "")
  exit(0)
}
// sym-store CACHE FILE...: the symbolize stage's path for each symbol file, one thread each (as
// workers meeting several at once) — the table opened from its archive under CACHE/tables, else
// derived, archived and opened (`DerivedTableStore`; large files derive one at a time); run it
// twice for both halves. Prints each table's counts, whether an archive was there already and
// the seconds. Peak memory is measured outside (`/usr/bin/time`).
if arguments.first == "sym-store", arguments.count >= 3 {
  let store = DerivedTableStore(cache: arguments[1])
  let files = Array(arguments.dropFirst(2))
  let start = DispatchTime.now().uptimeNanoseconds
  let lines = Mutex<[String]>(Array(repeating: "", count: files.count))
  DispatchQueue.concurrentPerform(iterations: files.count) { index in
    let file = files[index]
    let archived = store.archivePath(for: file).map { FileManager.default.fileExists(atPath: $0) }
    let table = try? store.table(for: file) { () throws(ParseError) -> SymbolTable in
      file.lowercased().hasSuffix(".pdb")
        ? try PDBSymbolTable.read(PDBFile(path: file)) : try BreakpadSymbolReader.read(path: file)
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let line =
      table.map {
        "{\"functions\": \($0.functionCount), \"lines\": \($0.lineCount), \"inlines\": \($0.inlineCount), \"mapped\": \($0.mapped != nil), \"from_archive\": \(archived ?? false), \"seconds\": \(seconds)}"
      } ?? "{\"file\": \"\(file)\", \"failed\": true}"
    lines.withLock { $0[index] = line }
  }
  let answers = lines.withLock { $0 }
  for line in answers { print(line) }
  exit(answers.contains { $0.contains("\"failed\"") } ? 1 : 0)
}
// sym-derive FILE...: derive every file's table at once, one thread each (as two symbolize workers
// meeting two big PDBs do); prints each table's counts and the seconds. Peak memory is measured
// outside (`/usr/bin/time`).
if arguments.first == "sym-derive", arguments.count >= 2 {
  let files = Array(arguments.dropFirst())
  let start = DispatchTime.now().uptimeNanoseconds
  let counts = Mutex<[String]>(Array(repeating: "", count: files.count))
  DispatchQueue.concurrentPerform(iterations: files.count) { index in
    let line =
      loadTable(files[index]).map {
        "{\"file\": \"\(URL(fileURLWithPath: files[index]).lastPathComponent)\", \"functions\": \($0.functions.count), \"lines\": \($0.lines.count), \"inlines\": \($0.inlines.count), \"publics\": \($0.publics.count)}"
      } ?? "{\"file\": \"\(files[index])\", \"failed\": true}"
    counts.withLock { $0[index] = line }
  }
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  for line in counts.withLock({ $0 }) { print(line) }
  print("{\"seconds\": \(seconds)}")
  exit(0)
}
if arguments.first == "sym-lookup", arguments.count == 3 || arguments.count == 4,
  let count = Int(arguments[2])
{
  let start = Date()
  guard let derived = loadTable(arguments[1]) else { exit(1) }
  // With a CACHE, the same lookups answered from the mapped table archive (`DerivedTableStore`);
  // the span still comes from the derived arrays.
  let file = arguments[1]
  let stored =
    arguments.count == 4
    ? try? DerivedTableStore(cache: arguments[3]).table(for: file) { () throws(ParseError) in
      derived
    } : nil
  let loaded = Date()
  let table = stored ?? derived
  // Stripped PDBs have publics only: spread the lookups over those.
  let span =
    derived.functions.last.map { UInt64($0.rva) + UInt64($0.size) }
    ?? derived.publics.last.map { UInt64($0.rva) + 1 } ?? 1
  var state: UInt64 = 42
  var hits = 0
  for _ in 0..<count {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    if table.lookup(UInt32((state >> 33) % max(span, 1))) != nil { hits += 1 }
  }
  let seconds = Date().timeIntervalSince(loaded)
  print(
    "{\"load_ms\": \(loaded.timeIntervalSince(start) * 1000), \"functions\": \(table.functionCount), \"mapped\": \(table.mapped != nil), \"span\": \(span), \"lookups\": \(count), \"hits\": \(hits), \"lookups_per_second\": \(Double(count) / seconds)}"
  )
  exit(0)
}

// pdb-retag SRC DST DATA1: a copy of the PDB SRC whose GUID's first field is DATA1 (hex): the
// same content under another debug id, so a benchmark can make two workers need two big PDBs.
if arguments.first == "pdb-retag", arguments.count == 4, let data1 = UInt32(arguments[3], radix: 16)
{
  guard let pdb = try? PDBFile(path: arguments[1]), let info = try? pdb.msf.stream(1) else {
    exit(1)
  }
  // The PDB info stream: version, signature, age, then the GUID (reference §2.2).
  let offset = info.base + 12
  try? FileManager.default.removeItem(atPath: arguments[2])
  try FileManager.default.copyItem(atPath: arguments[1], toPath: arguments[2])
  let handle = try FileHandle(forUpdating: URL(fileURLWithPath: arguments[2]))
  try handle.seek(toOffset: UInt64(offset))
  try handle.write(contentsOf: withUnsafeBytes(of: data1.littleEndian) { Data($0) })
  try handle.close()
  print((try? PDBFile(path: arguments[2]))?.debugIdentifier ?? "?")
  exit(0)
}
// pdb-minidumps PDB OUTDIR COUNT: COUNT x64 minidumps crashing in a module whose CodeView record
// names PDB (its GUID and age), at addresses spread over its first MB of code, so the symbolize
// stage needs that PDB for each of them. Prints the PDB's debug id (its symbol-store folder).
if arguments.first == "pdb-minidumps", arguments.count == 4, let count = Int(arguments[3]) {
  guard let pdb = try? PDBFile(path: arguments[1]) else { exit(1) }
  let name = URL(fileURLWithPath: arguments[1]).lastPathComponent
  var codeView = Array("RSDS".utf8)
  withUnsafeBytes(of: pdb.guid.data1.littleEndian) { codeView += $0 }
  withUnsafeBytes(of: pdb.guid.data2.littleEndian) { codeView += $0 }
  withUnsafeBytes(of: pdb.guid.data3.littleEndian) { codeView += $0 }
  codeView += pdb.guid.data4
  withUnsafeBytes(of: pdb.dbiAge.littleEndian) { codeView += $0 }
  codeView += Array(name.utf8) + [0]
  let base: UInt64 = 0x1_8000_0000
  try FileManager.default.createDirectory(
    atPath: arguments[2], withIntermediateDirectories: true)
  for index in 0..<count {
    var writer = MinidumpWriter()
    writer.modules = [
      MinidumpWriter.Module(
        name: "C:\\app\\" + name.replacingOccurrences(of: ".pdb", with: ".dll"), base: base,
        size: 0x1000_0000, checksum: 0, timeDateStamp: 0x6573_9A80, codeView: codeView)
    ]
    writer.rip = base + 0x1000 + UInt64((index * 0x1234) % 0x10_0000)
    writer.stackStart = 0x7FF0_0000
    writer.rsp = writer.stackStart
    var stack = [UInt8](repeating: 0, count: 256)
    let caller = base + 0x2000 + UInt64((index * 0x777) % 0x10_0000)
    for byte in 0..<8 { stack[byte] = UInt8(truncatingIfNeeded: caller >> (8 * UInt64(byte))) }
    writer.stack = stack
    writer.timeDateStamp = 0x6573_9A80 &+ UInt32(index)
    try Data(writer.bytes()).write(
      to: URL(fileURLWithPath: "\(arguments[2])/\(name)-\(index).dmp"))
  }
  print(pdb.debugIdentifier)
  exit(0)
}
let dataBase: UInt64 = 0xFFFF_F801_0000_0000
// table-archive FILE OUT: write the symbol-table archive of a PDB or .sym (fuzzing seeds).
if arguments.first == "table-archive", arguments.count == 3 {
  guard let table = loadTable(arguments[1]) else { exit(1) }
  try Data(SymbolTableArchive.encode(table)).write(to: URL(fileURLWithPath: arguments[2]))
  exit(0)
}
// table-cache FILE...: per PDB or .sym, the time to derive its table (median of 5), the time to
// read it back from a SymbolTableArchive (median of 5) and the archive's size.
if arguments.first == "table-cache", arguments.count >= 2 {
  func milliseconds(_ body: () -> Void) -> Double {
    var samples: [Double] = []
    for _ in 0..<5 {
      let start = DispatchTime.now().uptimeNanoseconds
      body()
      samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return samples.sorted()[2]
  }
  for path in arguments.dropFirst() {
    guard let table = loadTable(path) else { continue }
    let derive = milliseconds { _ = loadTable(path) }
    let bytes = SymbolTableArchive.encode(table)
    let archive = "/tmp/crashsift-bench-\(getpid()).cstab"
    try Data(bytes).write(to: URL(fileURLWithPath: archive))
    let load = milliseconds {
      _ = try? SymbolTableArchive.decode(MappedFile(path: archive).reader)
    }
    try? FileManager.default.removeItem(atPath: archive)
    print(
      "\(URL(fileURLWithPath: path).lastPathComponent)\tderive \(String(format: "%.2f", derive)) ms\tload \(String(format: "%.2f", load)) ms\tarchive \(bytes.count / 1024) KiB\tsource \(((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / 1024) KiB"
    )
  }
  exit(0)
}
// paging-generate DIR: the ARM64, x86 PAE and x86 scenario dumps (full and bitmap) and a 32-bit
// triage dump, as fuzzing seeds.
if arguments.first == "paging-generate", arguments.count == 2 {
  for machine in PagingScenario.machines {
    for (name, layout) in PagingScenario.layouts {
      try PagingScenario.writer(machine, layout).write(
        PagingScenario.kernel(machine), to: "\(arguments[1])/\(machine.name)-\(name).dmp")
    }
  }
  try PagingScenario.triage32().write(to: "\(arguments[1])/triage32.dmp")
  exit(0)
}
// processes-generate PATH PROCESSES THREADS [GIB]: a bitmap dump of the 19041 x64 process
// scenario with PROCESSES processes of THREADS threads each (and 200–3,000 handles each), for timing `crashsift analyze
// --threads`; also a fuzzing seed. With GIB, a full dump instead whose last run adds GIB GiB of
// physical memory the lists never touch, left as a hole in the file (sparse, like the zero pages
// of a real machine's MEMORY.DMP on a filesystem that punches them).
if arguments.first == "processes-generate", arguments.count >= 4, let count = Int(arguments[2]),
  let perProcess = Int(arguments[3]), count > 0, perProcess >= 0
{
  let processes = (0..<count).map { index -> SyntheticProcess in
    let base = 0xFFFF_C08B_0000_0000 + UInt64(index) * 0x40_0000
    var process = SyntheticProcess(
      address: base + 0x80, processID: UInt64(4 + index * 4), parentProcessID: 4,
      name: "proc\(index).exe")
    process.threads = (0..<perProcess).map { number in
      var thread = SyntheticProcess.Thread(
        address: base + 0x2000 + UInt64(number) * 0x1000, threadID: UInt64(0x1000 + number * 4))
      thread.state = 5
      thread.waitReason = 15
      // A switch frame to start each thread's stack from (resuming in the kernel image).
      thread.initialStack = base + 0x20_0000 + UInt64(number + 1) * 0x2000
      thread.kernelStack = thread.initialStack - 0x400
      thread.returnAddress = 0xFFFF_F804_7BA0_0000 + 0x41_7A26
      return thread
    }
    // A handle table as busy as a real machine's: System's about 3,000 handles, the others
    // 200–500, to the process itself and its threads.
    process.objectTable = base + 0x1000
    process.handlePages = base + 0x30_0000
    let targets =
      [
        SyntheticProcess.Handle(
          object: process.address, typeIndex: SyntheticProcess.Handle.processType,
          access: 0x1F_FFFF)
      ]
      + process.threads.map {
        SyntheticProcess.Handle(
          object: $0.address, typeIndex: SyntheticProcess.Handle.threadType, access: 0x1F_03FF)
      }
    process.handles = (0..<(index == 0 ? 3000 : 200 + (index % 7) * 50)).map {
      targets[$0 % targets.count]
    }
    return process
  }
  let gib = arguments.count == 5 ? Int(arguments[4]) ?? 0 : 0
  var bytes = ProcessScenario.bytes(
    gib > 0 ? .full : .bitmap(type: 5, signature: "SDMP"), processes: processes)
  var extraPages: UInt64 = 0
  if gib > 0 {
    // One more run (DUMP_HEADER64: NumberOfRuns 0x88, NumberOfPages 0x90, runs from 0x98 as
    // BasePage, PageCount) above every PFN in use; its pages are the file's tail.
    func get(_ at: Int) -> UInt64 {
      (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }
    func put(_ value: UInt64, _ at: Int) {
      for index in 0..<8 { bytes[at + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }
    let runs = Int(get(0x88) & 0xFFFF_FFFF)
    extraPages = UInt64(gib) << 18
    put(UInt64(runs + 1), 0x88)
    put(get(0x90) + extraPages, 0x90)
    put(0x100_0000, 0x98 + runs * 16)
    put(extraPages, 0xA0 + runs * 16)
  }
  do {
    try Data(bytes).write(to: URL(fileURLWithPath: arguments[1]))
    if extraPages > 0 {
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: arguments[1]))
      try handle.truncate(atOffset: UInt64(bytes.count) + extraPages * 4096)
      try handle.close()
    }
  } catch {
    FileHandle.standardError.write(Data("cannot write: \(error)\n".utf8))
    exit(1)
  }
  print(
    "{\"processes\": \(count), \"threads\": \(count * perProcess), \"bytes\": \(UInt64(bytes.count) + extraPages * 4096)}"
  )
  exit(0)
}
if arguments.first == "kernel-generate", arguments.count == 3, let megabytes = Int(arguments[2]) {
  let kernel = SyntheticKernel()
  let pages = megabytes * 256
  for index in 0..<pages {
    let pfn = UInt64(0x1000 + index * 4)
    var page = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 4096)
    withUnsafeBytes(of: UInt64(index).littleEndian) { page.replaceSubrange(0..<8, with: $0) }
    kernel.setPage(pfn, page)
    kernel.map(virtual: dataBase + UInt64(index) * 0x1000, toPFN: pfn)
  }
  kernel.writeDebuggerData(
    virtual: 0xFFFF_F804_7C60_0B20, kernBase: 0xFFFF_F804_7BA0_0000,
    psLoadedModuleList: 0xFFFF_F804_7C62_A390, kiProcessorBlock: 0xFFFF_F804_7C6F_DC80)
  kernel.writeModuleList(
    head: 0xFFFF_F804_7C62_A390, entries: 0xFFFF_F804_7D00_0000,
    modules: (0..<150).map {
      SyntheticKernel.Module(
        name: "drv\($0).sys", path: #"\SystemRoot\System32\drivers\drv\#($0).sys"#,
        base: 0xFFFF_F804_8000_0000 + UInt64($0) * 0x100_0000, size: 0x10_0000, checksum: 0,
        timeDateStamp: UInt32($0))
    })
  var writer = KernelDumpWriter(layout: .bitmap(type: 5, signature: "SDMP"))
  writer.psLoadedModuleList = 0xFFFF_F804_7C62_A390
  writer.kdDebuggerDataBlock = 0xFFFF_F804_7C60_0B20
  do { try writer.write(kernel, to: arguments[1]) } catch {
    FileHandle.standardError.write(Data("cannot write: \(error)\n".utf8))
    exit(1)
  }
  print("{\"pages\": \(pages), \"data_base\": \"0x\(String(dataBase, radix: 16))\"}")
  exit(0)
}
if arguments.first == "kernel-read", arguments.count == 4, let reads = Int(arguments[2]),
  let seed = UInt64(arguments[3])
{
  let start = Date()
  guard let dump = try? KernelDump(path: arguments[1]) else { exit(1) }
  let opened = Date()
  let pages = UInt64(dump.physicalMemory?.pageCount ?? 1) - 1 - 1  // less the KDBG/module pages
  var state = seed
  var sum: UInt64 = 0
  var missing = 0
  for _ in 0..<reads {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    let index = (state >> 33) % max(pages / 2, 1)
    if let bytes = try? dump.read(virtual: dataBase + index * 0x1000 + 8, count: 8) {
      sum &+= UInt64(bytes[0])
    } else {
      missing += 1
    }
  }
  let end = Date()
  print(
    "{\"tool\": \"crashsift\", \"open_ms\": \(opened.timeIntervalSince(start) * 1000), \"modules\": \(dump.modules.count), \"reads\": \(reads), \"missing\": \(missing), \"total_ms\": \(end.timeIntervalSince(start) * 1000), \"checksum\": \(sum)}"
  )
  exit(0)
}
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
