import Analysis
import ByteReader
import CrashsiftTestSupport
import Forge
import Foundation
import Minidump
import Symbols
import Testing

/// Dump-derived numbers the bucketer and the stack builder used to convert or add with a trap:
/// each comes from a dump that says something a real Windows never writes.
@Suite("numeric traps: analysis")
struct NumericTrapTests {
  @Test("an access violation's access type is compared whole: 2^63 and up no longer trap")
  func accessTypeBeyondInt() {
    let cases: [(UInt64, UInt64, String)] = [
      (0, 0x10, "NULL_POINTER_READ_c0000005"),
      (1, 0x10, "NULL_POINTER_WRITE_c0000005"),
      (8, 0x1_0000, "INVALID_POINTER_EXECUTE_c0000005"),
      // Not an access type Windows writes: as before, anything else is a write.
      (2, 0x10, "NULL_POINTER_WRITE_c0000005"),
      (0x8000_0000_0000_0000, 0x10, "NULL_POINTER_WRITE_c0000005"),
      (UInt64.max, 0xFFFF_FFFF_FFFF_FFFF, "INVALID_POINTER_WRITE_c0000005"),
    ]
    for (access, address, prefix) in cases {
      let bucket = Bucketer.bucket(
        .user(code: 0xC000_0005, parameters: [access, address]), frames: [], rules: .defaults)
      #expect(bucket.prefix == prefix, "access type 0x\(String(access, radix: 16))")
      #expect(bucket.parameters.first == "0x" + String(access, radix: 16))
    }
  }

  @Test("a forged minidump whose first exception parameter is 2^63 buckets as a write")
  func forgedAccessTypeBeyondInt() throws {
    let dir = TemporaryDirectory()
    var scenario = try Forge.load(
      scenario: "\(Corpus.packageRoot)/samples/scenarios/user-av-contoso-app.json")
    scenario.parameters[0] = "0x8000000000000000"
    let output = try Forge.run(
      scenario, images: "\(Corpus.packageRoot)/samples/images", output: dir.path)
    let path = try #require(output.dumps.first { $0.hasSuffix("-minidump.dmp") })
    let dump = try Minidump(file: MappedFile(path: path))
    #expect(try dump.exception()?.parameters.first == 0x8000_0000_0000_0000)
    let stack = ThreadStack.crashingThread(
      of: dump, symbols: SymbolTableCache(path: SymbolPath(parsing: "srv*\(output.store)")))
    let bucket = Bucketer.bucket(
      try #require(Bucketer.crash(of: dump)), frames: stack.map(Bucketer.frames) ?? [],
      rules: .defaults)
    #expect(bucket.failureBucketID == "NULL_POINTER_WRITE_c0000005_contoso-app.exe!ReadSetting")
  }
}
