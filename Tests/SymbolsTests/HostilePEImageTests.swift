import ByteReader
import CrashsiftTestSupport
import Foundation
import PEImage
import Testing

@testable import Symbols

@Suite("Hostile PE images")
struct HostilePEImageTests {
  @Test(
    "symbolic's cfi_chained_loop.exe: the looping unwind chain is refused, not followed forever",
    .requires(.corpus))
  func chainedLoop() throws {
    let root = try Requirement.corpus.resolve()
    let image = try PEImage(
      path: "\(root)/minidump/symbolic/symbolic-testutils/fixtures/windows/cfi_chained_loop.exe")
    var refused = 0
    for function in try image.runtimeFunctions() {
      do {
        _ = try image.unwindChain(function)
      } catch {
        #expect(error.description.contains("longer than 8 entries"))
        refused += 1
      }
    }
    #expect(refused > 0)
    #expect(throws: ParseError.self) { try BreakpadSymbolWriter.stackCFI(image) }
  }

  @Test("fuzz findings (Tests/FuzzFindings/pe): every read of the fuzzer, no trap")
  func fuzzFindings() throws {
    let folder = "\(Corpus.packageRoot)/Tests/FuzzFindings/pe"
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    #expect(!names.isEmpty)
    for name in names {
      let image = try PEImage(path: "\(folder)/\(name)")
      _ = try? image.debugEntries()
      _ = try? image.codeView()
      _ = try? image.exports()
      for function in (try? image.runtimeFunctions()) ?? [] {
        _ = try? image.unwindChain(function)
      }
    }
    // export-ordinal-base-overflow: an ordinal base of 0xFFFFFFFF wraps like the DWORD it is.
    let image = try PEImage(path: "\(folder)/export-ordinal-base-overflow")
    let exports = try image.exports()
    #expect(exports.prefix(4).map(\.ordinal) == [0, 42, 146, 687])
  }

  @Test(
    "truncations and corrupted headers of a real DLL: errors, never a crash", .requires(.corpus))
  func truncations() throws {
    let path = "\(try Requirement.corpus.resolve())/pdb/breakpad/pe_only_symbol_test.dll"
    let data = try #require(FileManager.default.contents(atPath: path), "\(path)")
    let bytes = [UInt8](data)
    for length in stride(from: 0, to: bytes.count, by: 509) {
      let file = MappedFile(copying: bytes[0..<length])
      guard let image = try? PEImage(reader: file.reader, layout: .file) else { continue }
      _ = try? image.debugEntries()
      _ = try? image.exports()
      _ = try? BreakpadSymbolWriter.stackCFI(image)
    }
    var state: UInt64 = 7
    for _ in 0..<300 {
      var copy = bytes
      for _ in 0..<8 {
        state = state &* 6_364_136_223_846_793_005 &+ 1
        let offset = Int((state >> 33) % UInt64(min(copy.count, 0x800)))
        copy[offset] = UInt8(truncatingIfNeeded: state >> 13)
      }
      guard let image = try? PEImage(reader: MappedFile(copying: copy).reader, layout: .file) else {
        continue
      }
      _ = try? image.debugEntries()
      _ = try? image.exports()
      _ = try? BreakpadSymbolWriter.stackCFI(image)
    }
    #expect(throws: ParseError.self) {
      try PEImage(reader: MappedFile(copying: [0x4D, 0x5A]).reader, layout: .file)
    }
  }
}
