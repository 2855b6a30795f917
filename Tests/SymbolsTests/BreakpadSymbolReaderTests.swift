import ByteReader
import CrashsiftTestSupport
import Foundation
import Testing

@testable import Symbols

@Suite("Breakpad .sym reading and lookup")
struct BreakpadSymbolReaderTests {
  static func testdata() throws -> String {
    "\(try Requirement.corpus.resolve())/minidump/breakpad/src/processor/testdata/symbols"
  }

  @Test("minidump2's stack resolves as breakpad's minidump_stackwalk prints it", .requires(.corpus))
  func minidump2Frames() throws {
    let symbols = try Self.testdata()
    let app = try BreakpadSymbolReader.read(
      path: "\(symbols)/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym")
    #expect(app.debugID == "5A9832E5287241C1838ED98914E9B7FF1")
    #expect(app.cpu == "x86")
    // Frames from minidump2.stackwalk.machine_readable.out: module base 0x400000.
    // Frame 0 is the context frame (exact IP); callers are looked up at return address - 1 and
    // their offset is printed from the return address, as breakpad does.
    let frames:
      [(ip: UInt32, caller: Bool, name: String, file: String, line: UInt32, offset: UInt32)] = [
        (0x429E, false, "`anonymous namespace'::CrashFunction", #"c:\test_app.cc"#, 58, 0x3),
        (0x4200, true, "main", #"c:\test_app.cc"#, 65, 0x5),
        (
          0x53EC, true, "__tmainCRTStartup", #"f:\sp\vctools\crt_bld\self_x86\crt\src\crt0.c"#, 327,
          0x12
        ),
      ]
    for frame in frames {
      let result = try #require(app.lookup(frame.caller ? frame.ip - 1 : frame.ip))
      #expect(result.name == frame.name)
      #expect(result.file == frame.file)
      #expect(result.line == frame.line)
      #expect(result.lineRVA.map { frame.ip - $0 } == frame.offset)
      #expect(!result.isPublic)
    }
    let kernel32 = try BreakpadSymbolReader.read(
      path: "\(symbols)/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym")
    // Frame 3: kernel32.dll base 0x7c800000, return address 0x7c816fd7 → BaseProcessStart + 0x23.
    let publicResult = try #require(kernel32.lookup(0x16FD7 - 1))
    #expect(publicResult.name == "BaseProcessStart")
    #expect(publicResult.isPublic)
    #expect(0x16FD7 - publicResult.symbolRVA == 0x23)
  }

  @Test("CRLF and LF files read alike; every .sym in the corpus parses", .requires(.corpus))
  func corpusFiles() throws {
    let root = try Requirement.corpus.resolve()
    let files = (FileManager.default.subpaths(atPath: root) ?? []).filter { $0.hasSuffix(".sym") }
    #expect(files.count >= 10)
    for file in files {
      let table = try BreakpadSymbolReader.read(path: "\(root)/\(file)")
      #expect(table.debugID != nil, "\(file)")
    }
    let lf = try BreakpadSymbolReader.read(
      text: "MODULE windows x86 ABC1 a.pdb\nFUNC 10 20 0 f\n10 4 7 1\nFILE 1 a.c\nPUBLIC 40 0 g\n")
    let crlf = try BreakpadSymbolReader.read(
      text:
        "MODULE windows x86 ABC1 a.pdb\r\nFUNC 10 20 0 f\r\n10 4 7 1\r\nFILE 1 a.c\r\nPUBLIC 40 0 g\r\n"
    )
    #expect(lf == crlf)
    #expect(lf.lookup(0x12)?.name == "f")
    #expect(lf.lookup(0x12)?.line == 7)
    #expect(lf.lookup(0x45)?.name == "g")
    #expect(lf.lookup(0x05) == nil)
  }

  @Test("malformed records are reported with their line number")
  func malformed() {
    #expect(throws: ParseError.self) {
      try BreakpadSymbolReader.read(text: "MODULE windows x86 A b\n10 4 7 1\n")
    }
    do {
      _ = try BreakpadSymbolReader.read(
        text: "MODULE windows x86 A b\nFUNC zz 4 0 f\n", name: "t.sym")
      Issue.record("expected an error")
    } catch {
      #expect(error.description.contains("t.sym line 2"))
      #expect(error.description.contains("not a hexadecimal number"))
    }
    #expect(throws: ParseError.self) { try BreakpadSymbolReader.read(text: "FILE -5 x\n") }
    #expect(throws: ParseError.self) { try BreakpadSymbolReader.read(text: "GARBAGE\n") }
    // Found by scripts/fuzz.sh sym: a line number past UInt32 trapped instead of failing.
    do {
      _ = try BreakpadSymbolReader.read(text: "FUNC 10 4 0 f\n10 4 99999999999 1\n", name: "t.sym")
      Issue.record("expected an error")
    } catch {
      #expect(error.description.contains("t.sym line 2"))
      #expect(error.description.contains("out of range"))
    }
  }

  @Test("a line record naming a file id past 32 bits is kept without a file, archived, read back")
  func hugeFileID() throws {
    // The archive writes file ids in 32 bits; a .sym's id of 2^36 used to trap there.
    let table = try BreakpadSymbolReader.read(
      text:
        "MODULE windows x86_64 A b.pdb\nFILE 0 a.c\nFUNC 10 8 0 f\n10 4 7 0\n14 4 9 68719476736\n")
    #expect(table.lines.map(\.file) == [0, Int(UInt32.max)])
    let back = try SymbolTableArchive.decode(
      MappedFile(copying: SymbolTableArchive.encode(table)).reader)
    #expect(back == table)
    #expect(back.lookup(0x11)?.file == "a.c")
    #expect(back.lookup(0x15)?.file == nil && back.lookup(0x15)?.line == 9)
  }
}
