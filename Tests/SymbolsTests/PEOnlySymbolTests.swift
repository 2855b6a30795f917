import ByteReader
import CrashsiftTestSupport
import Foundation
import PEImage
import Testing

@testable import Symbols

/// Breakpad's dump_syms output for x64 images, reproduced from the PE alone.
@Suite("PE-only .sym export")
struct PEOnlySymbolTests {
  static func breakpad() throws -> String {
    "\(try Requirement.corpus.resolve())/pdb/breakpad"
  }

  @Test("pe_only_symbol_test.dll: our .sym equals breakpad's, line for line", .requires(.corpus))
  func peOnly() throws {
    let dir = try Self.breakpad()
    let image = try PEImage(path: "\(dir)/pe_only_symbol_test.dll")
    let ours = try BreakpadSymbolWriter.peOnly(image, fileName: "pe_only_symbol_test.dll")
    let expected = try String(contentsOfFile: "\(dir)/pe_only_symbol_test.sym", encoding: .utf8)
    let oursLines = ours.split(separator: "\n").map(String.init)
    let expectedLines = expected.split(whereSeparator: \.isNewline).map {
      String($0).trimmingCharacters(in: .whitespaces)
    }
    #expect(oursLines.count == expectedLines.count)
    for (index, (mine, theirs)) in zip(oursLines, expectedLines).enumerated() where mine != theirs {
      Issue.record("line \(index + 1): expected \(theirs), got \(mine)")
      break
    }
  }

  @Test(
    "dump_syms_regtest64.exe: the STACK CFI records equal those in breakpad's .sym (made from the same exe)",
    .requires(.corpus))
  func regtest64CFI() throws {
    let dir = try Self.breakpad()
    let image = try PEImage(path: "\(dir)/dump_syms_regtest64.exe")
    let ours = try BreakpadSymbolWriter.stackCFI(image)
    let expected = try String(contentsOfFile: "\(dir)/dump_syms_regtest64.sym", encoding: .utf8)
      .split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }
      .filter { $0.hasPrefix("STACK CFI") }
    #expect(expected.count > 10)
    #expect(ours == expected, "\(LineDiff.describe(actual: ours, expected: expected))")
    let module = try String(contentsOfFile: "\(dir)/dump_syms_regtest64.sym", encoding: .utf8)
      .split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingCharacters(
        in: .whitespacesAndNewlines)
    let codeView = try #require(try image.codeView())
    #expect(
      module
        == "MODULE windows x86_64 \(codeView.debugIdentifier?.uppercased() ?? "") dump_syms_regtest64.pdb"
    )
  }
}
