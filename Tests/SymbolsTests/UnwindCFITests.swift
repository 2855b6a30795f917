import ByteReader
import CrashsiftTestSupport
import Foundation
import PEImage
import Symbols
import Testing

/// CFI derived from x64 unwind info, against symbolic's snapshot and breakpad's coarse records.
@Suite("x64 CFI from .pdata")
struct UnwindCFITests {
  static var windows: String? {
    Corpus.root.map { "\($0)/minidump/symbolic/symbolic-testutils/fixtures/windows" }
  }

  @Test("CrashWithException.exe: every rule equals symbolic's test_cfi__cfi_pe_windows.snap")
  func symbolicSnapshot() throws {
    guard let dir = Self.windows, let root = Corpus.root else {
      #expect(!Tools.isCI, "the fixture corpus is required on CI")
      return
    }
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

  @Test("CrashWithException.exe: the coarse form equals breakpad's CrashWithException.pdb.sym")
  func breakpadCoarse() throws {
    guard let dir = Self.windows else {
      #expect(!Tools.isCI)
      return
    }
    let image = try PEImage(path: "\(dir)/CrashWithException.exe")
    let ours = try BreakpadSymbolWriter.stackCFI(image)
    let expected = try String(contentsOfFile: "\(dir)/CrashWithException.pdb.sym", encoding: .utf8)
      .split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }
      .filter { $0.hasPrefix("STACK CFI") }
    #expect(expected.count == 82)
    #expect(ours == expected, "\(LineDiff.describe(actual: ours, expected: expected))")
  }

  @Test("cfi_chained_loop.exe: a looping unwind chain is refused as too long")
  func chainedLoop() throws {
    guard let dir = Self.windows else {
      #expect(!Tools.isCI)
      return
    }
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
