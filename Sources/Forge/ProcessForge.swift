import DumpSynth
import Foundation

/// `crashsift forge --processes`: kernel memory dumps (full and bitmap) whose kernel is the
/// stand-in `kernel-types/ntoskrnl.exe`, whose PDB carries EPROCESS, KTHREAD, ETHREAD, IRP,
/// IO_STACK_LOCATION, DEVICE_OBJECT and DRIVER_OBJECT at real x64 19041 offsets; in memory,
/// `ProcessScenario`'s five processes (waiting threads with switch frames, running threads on
/// their processors with saved contexts) and a 0x9F DRIVER_POWER_STATE_FAILURE whose blocked IRP
/// waits on a filter above contoso.sys's PDO. Writes each dump's truth (processes, threads, the
/// bucket) and a symbol store with the kernel's image and PDB, so `analyze --processes` reads the
/// offsets from the PDB (docs/forge.md).
public enum ProcessForge {
  /// The dump kinds written, by file-name suffix.
  static let kinds: [(String, KernelDumpWriter.Layout)] = [
    ("full", .full), ("bitmap", .bitmap(type: 5, signature: "SDMP")),
  ]
  /// The scenario's name, the prefix of its files.
  public static let name = "processes-0x9f"
  /// The bucket a correct analysis gives: contoso.sys's PDO, the filter attached above it.
  public static let bucket = "0x9F_3_ContosoFilter_IMAGE_contoso.sys"

  /// What one process looks like in the truth file.
  struct TruthProcess: Encodable {
    var address: String
    var processID: UInt64
    var parentProcessID: UInt64
    var name: String
    var threads: [TruthThread]
  }

  struct TruthThread: Encodable {
    var address: String
    var threadID: UInt64
    var state: UInt8
  }

  struct Truth: Encodable {
    var scenario: String
    var bucket: String
    var blockedIRP: String
    var processes: [TruthProcess]
  }

  /// Writes the dumps, their truths and the store into `output`; `images` is the sample images
  /// folder (holding `kernel-types/`).
  public static func run(images: String, output: String) throws(ForgeError) -> Forge.Output {
    let kernelImage = try ForgeImage(
      name: "ntoskrnl.exe", path: "\(images)/kernel-types/ntoskrnl.exe",
      base: 0xFFFF_F804_7BA0_0000)
    let kernel = SyntheticKernel.Module(
      name: "ntoskrnl.exe", path: #"\SystemRoot\system32\ntoskrnl.exe"#, base: kernelImage.base,
      size: kernelImage.image.sizeOfImage, checksum: 0,
      timeDateStamp: kernelImage.image.timeDateStamp)
    // Waiting threads resume inside the stand-in kernel's code, as real ones do in
    // nt!KiSwapContext.
    let processes = SyntheticProcess.examples().map { process in
      var process = process
      for index in process.threads.indices where process.threads[index].returnAddress != 0 {
        process.threads[index].returnAddress = kernelImage.base + 0x1000 + UInt64(index) * 4
      }
      return process
    }
    let hex = { (value: UInt64) in "0x" + String(value, radix: 16) }
    let truth = Truth(
      scenario: name, bucket: bucket, blockedIRP: hex(ProcessScenario.blockedIRP),
      processes: processes.map { process in
        TruthProcess(
          address: hex(process.address), processID: process.processID,
          parentProcessID: process.parentProcessID, name: String(process.name.prefix(14)),
          threads: process.threads.map {
            TruthThread(address: hex($0.address), threadID: $0.threadID, state: $0.state)
          })
      })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    var dumps: [String] = []
    var truths: [String] = []
    do {
      try FileManager.default.createDirectory(
        atPath: output, withIntermediateDirectories: true)
      let truthBytes = try encoder.encode(truth)
      for (suffix, layout) in kinds {
        let path = "\(output)/\(name)-\(suffix).dmp"
        try Data(ProcessScenario.bytes(layout, processes: processes, kernel: kernel))
          .write(to: URL(fileURLWithPath: path))
        try truthBytes.write(to: URL(fileURLWithPath: path + ".truth.json"))
        dumps.append(path)
        truths.append(path + ".truth.json")
      }
    } catch {
      throw ForgeError("cannot write to \(output): \(error.localizedDescription)")
    }
    let store = "\(output)/store"
    try Forge.writeStore([kernelImage], to: store)
    return Forge.Output(dumps: dumps, truths: truths, store: store)
  }
}
