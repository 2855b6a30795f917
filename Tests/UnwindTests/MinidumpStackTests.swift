import Analysis
import ByteReader
import CrashsiftTestSupport
import Foundation
import Minidump
import Symbols
import Testing
import Unwind

/// The crashing thread of breakpad's minidump2.dmp (x86, Windows XP), against breakpad's and
/// rust-minidump's expected stacks.
@Suite("minidump2 stack")
struct MinidumpStackTests {
  static func testdata() throws -> String {
    "\(try Requirement.corpus.resolve())/minidump/breakpad/src/processor/testdata"
  }

  static func stack(symbols: Bool) throws -> ThreadStack? {
    let dir = try testdata()
    let dump = try Minidump(file: MappedFile(path: "\(dir)/minidump2.dmp"))
    let cache = symbols ? SymbolTableCache(path: SymbolPath(parsing: "\(dir)/symbols")) : nil
    return ThreadStack.crashingThread(of: dump, symbols: cache)
  }

  @Test(
    "with symbols: the frames of minidump2.stackwalk.out, function, file, line and offset",
    .requires(.corpus))
  func withSymbols() throws {
    let stack = try #require(try Self.stack(symbols: true))
    let dir = try Self.testdata()
    let expected = try String(
      contentsOfFile: "\(dir)/minidump2.stackwalk.machine_readable.out", encoding: .utf8
    ).split(whereSeparator: \.isNewline).filter { $0.hasPrefix("0|") }.map {
      $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    }
    #expect(expected.count == 4)
    #expect(stack.frames.count == expected.count, "\(stack.text(x64: false))")
    for (frame, row) in zip(stack.frames, expected) {
      let location = frame.location
      let offset = location.line != nil ? location.lineOffset : location.functionOffset
      let ours = [
        "0", "\(frame.index)", location.module ?? "", location.function ?? "", location.file ?? "",
        location.line.map { "\($0)" } ?? "", "0x" + String(offset ?? 0, radix: 16),
      ]
      #expect(ours == row)
    }
    // Registers and trust from the human-readable output.
    let text = try String(contentsOfFile: "\(dir)/minidump2.stackwalk.out", encoding: .utf8)
    let pointers = text.matches(of: /eip = 0x([0-9a-f]{8})   esp = 0x([0-9a-f]{8})/).map {
      (UInt64($0.1, radix: 16) ?? 0, UInt64($0.2, radix: 16) ?? 0)
    }
    let found = text.matches(of: /Found by: (.*)/).map { String($0.1) }
    #expect(pointers.count == 4 && found.count == 4)
    for (frame, (eip, esp)) in zip(stack.frames, pointers) {
      #expect(frame.instruction == eip && frame.stackPointer == esp, "frame \(frame.index)")
    }
    #expect(stack.frames.map(\.trust.breakpadText) == found)
    #expect(!stack.truncated, "\(stack.stopReason)")
  }

  @Test("without symbols: the frames rust-minidump finds by frame pointer", .requires(.corpus))
  func withoutSymbols() throws {
    let stack = try #require(try Self.stack(symbols: false))
    let root = try Requirement.corpus.resolve()
    let snapshot = try String(
      contentsOfFile:
        "\(root)/minidump/rust-minidump/minidump-stackwalk/tests/snapshots/test_minidump_stackwalk__json-pretty.snap",
      encoding: .utf8)
    let json = try #require(snapshot.firstIndex(of: "{").map { String(snapshot[$0...]) })
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    let crashing = try #require(object?["crashing_thread"] as? [String: Any])
    let frames = try #require(crashing["frames"] as? [[String: Any]])
    #expect(frames.count == 4)
    #expect(stack.frames.count == frames.count, "\(stack.text(x64: false))")
    for (frame, theirs) in zip(stack.frames, frames) {
      #expect(frame.location.module == theirs["module"] as? String)
      #expect(frame.trust.rawValue == theirs["trust"] as? String)
      // rust-minidump reports callers at return address − 1; we keep the return address.
      let adjust: UInt64 = frame.index == 0 ? 0 : 1
      let offset = (frame.location.moduleOffset ?? 0) - adjust
      #expect(String(format: "0x%08x", offset) == theirs["module_offset"] as? String)
    }
  }
}
