import ByteReader
import CrashsiftTestSupport
import Foundation
import PEImage
import Symbols
import Testing

/// CFI derived from x64 unwind info, against symbolic's snapshot and breakpad's coarse records.
@Suite("x64 CFI from .pdata")
struct UnwindCFITests {
  static func windows() throws -> String {
    "\(try Requirement.corpus.resolve())/minidump/symbolic/symbolic-testutils/fixtures/windows"
  }

  @Test(
    "CrashWithException.exe: every rule equals symbolic's test_cfi__cfi_pe_windows.snap",
    .requires(.corpus))
  func symbolicSnapshot() throws {
    let dir = try Self.windows()
    let root = try Requirement.corpus.resolve()
    let image = try PEImage(path: "\(dir)/CrashWithException.exe")
    let ours = try UnwindCFIWriter.detailedStackCFI(image)
    let snapshot = try String(
      contentsOfFile:
        "\(root)/minidump/symbolic/symbolic-cfi/tests/snapshots/test_cfi__cfi_pe_windows.snap",
      encoding: .utf8)
    let expected = snapshot.split(whereSeparator: \.isNewline).map(String.init).filter {
      $0.hasPrefix("STACK CFI")
    }
    #expect(expected.count == 41)
    #expect(ours == expected, "\(LineDiff.describe(actual: ours, expected: expected))")
  }

  @Test(
    "CrashWithException.exe: the coarse form equals breakpad's CrashWithException.pdb.sym",
    .requires(.corpus))
  func breakpadCoarse() throws {
    let dir = try Self.windows()
    let image = try PEImage(path: "\(dir)/CrashWithException.exe")
    let ours = try BreakpadSymbolWriter.stackCFI(image)
    let expected = try String(contentsOfFile: "\(dir)/CrashWithException.pdb.sym", encoding: .utf8)
      .split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }
      .filter { $0.hasPrefix("STACK CFI") }
    #expect(expected.count == 82)
    #expect(ours == expected, "\(LineDiff.describe(actual: ours, expected: expected))")
  }

  @Test("cfi_chained_loop.exe: a looping unwind chain is refused as too long", .requires(.corpus))
  func chainedLoop() throws {
    let dir = try Self.windows()
    let image = try PEImage(path: "\(dir)/cfi_chained_loop.exe")
    do {
      _ = try UnwindCFIWriter.detailedStackCFI(image)
      Issue.record("the looping chain was accepted")
    } catch {
      #expect(error.description.contains("unwind chain"), "\(error.description)")
      #expect(error.description.contains("longer than 8"), "\(error.description)")
    }
  }
}
