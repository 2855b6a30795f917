import ByteReader
import Foundation

@testable import Minidump

/// Prints our parse of a minidump in the shape of breakpad's `minidump_dump`, one normalised line
/// per printed line (`key=value` with the padding removed), so a conformance test can compare
/// every field breakpad prints with ours, in breakpad's order.
enum BreakpadDumpText {
  /// Normalises a line of real `minidump_dump` output the same way.
  static func normalize(_ line: Substring) -> String {
    if let range = line.range(of: " = ") {
      let key = line[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
      let value = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
      return "\(key)=\(value)"
    }
    return line.trimmingCharacters(in: .whitespaces)
  }

  static func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }

  static func bytesHex(_ bytes: [UInt8]) -> String {
    "0x" + bytes.map { String(format: "%02x", $0) }.joined()
  }

  static func time(_ stamp: UInt32) -> String {
    let formatter = DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return
      "\(hex(stamp)) \(formatter.string(from: Date(timeIntervalSince1970: TimeInterval(stamp))))"
  }

  static func lines(_ dump: Minidump) throws -> [String] {
    var out: [String] = []
    let h = dump.header
    out += [
      "MDRawHeader", "signature=0x504d444d", "version=\(hex(h.version))",
      "stream_count=\(h.streamCount)", "stream_directory_rva=\(hex(h.streamDirectoryRVA))",
      "checksum=\(hex(h.checksum))", "time_date_stamp=\(time(h.timeDateStamp))",
      "flags=\(hex(h.flags))", "",
    ]
    for entry in dump.directory {
      out += [
        "mDirectory[\(entry.index)]", "MDRawDirectory",
        "stream_type=\(hex(entry.type.rawValue)) (\(entry.type.breakpadName))",
        "location.data_size=\(entry.dataSize)", "location.rva=\(hex(entry.rva))", "",
      ]
    }
    out.append("Streams:")
    var lastIndex: [MinidumpStreamType: Int] = [:]
    for entry in dump.directory { lastIndex[entry.type] = entry.index }
    for (type, index) in lastIndex.sorted(by: { $0.key < $1.key }) {
      out.append("stream type \(hex(type.rawValue)) (\(type.breakpadName)) at index \(index)")
    }
    out.append("")
    let file = dump.file.reader
    if let threads = try dump.threads() {
      out += ["MinidumpThreadList", "thread_count=\(threads.count)", ""]
      for (index, thread) in threads.enumerated() {
        out += [
          "thread[\(index)]", "MDRawThread", "thread_id=\(hex(thread.threadID))",
          "suspend_count=\(thread.suspendCount)", "priority_class=\(hex(thread.priorityClass))",
          "priority=\(hex(thread.priority))", "teb=\(hex(thread.teb))",
          "stack.start_of_memory_range=\(hex(thread.stack.start))",
          "stack.memory.data_size=\(hex(thread.stack.size))",
          "stack.memory.rva=\(hex(thread.stack.rva))",
          "thread_context.data_size=\(hex(thread.contextLocation.dataSize))",
          "thread_context.rva=\(hex(thread.contextLocation.rva))", "",
        ]
        out += context(thread.context)
        out.append("Stack")
        out.append(
          bytesHex(
            try file.array(at: Int(thread.stack.rva), count: Int(thread.stack.size), "stack")))
        out.append("")
      }
    }
    if let modules = try dump.modules() {
      out += ["MinidumpModuleList", "module_count=\(modules.count)", ""]
      for (index, module) in modules.enumerated() {
        let v = module.versionInfo
        out += [
          "module[\(index)]", "MDRawModule", "base_of_image=\(hex(module.baseOfImage))",
          "size_of_image=\(hex(module.sizeOfImage))", "checksum=\(hex(module.checksum))",
          "time_date_stamp=\(time(module.timeDateStamp))",
          "module_name_rva=\(hex(module.moduleNameRVA))",
          "version_info.signature=\(hex(v.signature))",
          "version_info.struct_version=\(hex(v.structVersion))",
          "version_info.file_version=\(hex(v.fileVersionHigh)):\(hex(v.fileVersionLow))",
          "version_info.product_version=\(hex(v.productVersionHigh)):\(hex(v.productVersionLow))",
          "version_info.file_flags_mask=\(hex(v.fileFlagsMask))",
          "version_info.file_flags=\(hex(v.fileFlags))", "version_info.file_os=\(hex(v.fileOS))",
          "version_info.file_type=\(hex(v.fileType))",
          "version_info.file_subtype=\(hex(v.fileSubtype))",
          "version_info.file_date=\(hex(v.fileDateHigh)):\(hex(v.fileDateLow))",
          "cv_record.data_size=\(module.cvRecordLocation.dataSize)",
          "cv_record.rva=\(hex(module.cvRecordLocation.rva))",
          "misc_record.data_size=\(module.miscRecordLocation.dataSize)",
          "misc_record.rva=\(hex(module.miscRecordLocation.rva))",
          "(code_file)=\"\(module.name)\"", "(code_identifier)=\"\(module.codeIdentifier)\"",
        ]
        if case .pdb70(let guid, let age, let name) = module.codeView {
          out += [
            "(cv_record).cv_signature=0x53445352", "(cv_record).signature=\(guid.dashed)",
            "(cv_record).age=\(age)", "(cv_record).pdb_file_name=\"\(name)\"",
          ]
        }
        out += [
          "(misc_record)=(null)", "(debug_file)=\"\(module.debugFile ?? "")\"",
          "(debug_identifier)=\"\(module.codeView?.debugIdentifier ?? "")\"",
          "(version)=\"\(v.fileVersion ?? "")\"", "",
        ]
      }
    }
    let memory = try dump.memory()
    if dump.entry(.memoryList) != nil {
      out += ["MinidumpMemoryList", "region_count=\(memory.ranges.count)", ""]
      // breakpad prints in file order; the reader sorts by address, so use the raw list order.
      for (index, range) in try rawMemoryList(dump).enumerated() {
        out += [
          "region[\(index)]", "MDMemoryDescriptor",
          "start_of_memory_range=\(hex(range.start))", "memory.data_size=\(hex(range.size))",
          "memory.rva=\(hex(range.rva))", "Memory",
          bytesHex(try file.array(at: Int(range.rva), count: Int(range.size), "memory")), "",
        ]
      }
    }
    if let exception = try dump.exception() {
      out += [
        "MDException", "thread_id=\(hex(exception.threadID))",
        "exception_record.exception_code=\(hex(exception.code))",
        "exception_record.exception_flags=\(hex(exception.flags))",
        "exception_record.exception_record=\(hex(exception.nestedRecord))",
        "exception_record.exception_address=\(hex(exception.address))",
        "exception_record.number_parameters=\(exception.numberParameters)",
      ]
      for (index, value) in exception.parameters.enumerated() {
        out.append(
          "exception_record.exception_information[\(String(format: "%2d", index))]=\(hex(value))")
      }
      out += [
        "thread_context.data_size=\(exception.contextLocation.dataSize)",
        "thread_context.rva=\(hex(exception.contextLocation.rva))", "",
      ]
      out += context(exception.context)
    }
    if let info = try dump.systemInfo() {
      out += [
        "MDRawSystemInfo",
        "processor_architecture=\(hex(info.processorArchitecture.rawValue)) (\(info.processorArchitecture.name))",
        "processor_level=\(info.processorLevel)",
        "processor_revision=\(hex(info.processorRevision))",
        "number_of_processors=\(info.numberOfProcessors)", "product_type=\(info.productType)",
        "major_version=\(info.majorVersion)", "minor_version=\(info.minorVersion)",
        "build_number=\(info.buildNumber)",
        "platform_id=\(hex(info.platformID)) (\(info.platformID == 2 ? "windows" : "other"))",
        "csd_version_rva=\(hex(info.csdVersionRVA))", "suite_mask=\(hex(info.suiteMask))",
        "cpu.x86_cpu_info (valid):",
        "cpu.x86_cpu_info.vendor_id[0]=\(hex(info.cpuInfo[0]))",
        "cpu.x86_cpu_info.vendor_id[1]=\(hex(info.cpuInfo[1]))",
        "cpu.x86_cpu_info.vendor_id[2]=\(hex(info.cpuInfo[2]))",
        "cpu.x86_cpu_info.version_information=\(hex(info.cpuInfo[3]))",
        "cpu.x86_cpu_info.feature_information=\(hex(info.cpuInfo[4]))",
        "cpu.x86_cpu_info.amd_extended_cpu_features=\(hex(info.cpuInfo[5]))",
        "(csd_version)=\"\(info.csdVersion ?? "")\"", "(cpu_vendor)=\"\(info.cpuVendor ?? "")\"",
        "",
      ]
    }
    if let misc = try dump.miscInfo() {
      out += [
        "MDRawMiscInfo", "size_of_info=\(misc.sizeOfInfo)", "flags1=\(hex(misc.flags1))",
        "process_id=\(misc.processID.map { "\($0)" } ?? "")",
        "process_create_time=\(misc.processCreateTime.map(time) ?? "")",
        "process_user_time=\(misc.processUserTime.map { "\($0)" } ?? "")",
        "process_kernel_time=\(misc.processKernelTime.map { "\($0)" } ?? "")", "",
      ]
    }
    if let breakpad = try dump.breakpadInfo() {
      out += [
        "MDRawBreakpadInfo", "validity=\(hex(breakpad.validity))",
        "dump_thread_id=\(hex(breakpad.dumpThreadID))",
        "requesting_thread_id=\(hex(breakpad.requestingThreadID))", "",
      ]
    }
    return out
  }

  static func rawMemoryList(_ dump: Minidump) throws -> [MinidumpMemoryDescriptor] {
    guard let entry = dump.entry(.memoryList) else { return [] }
    let stream = try dump.data(entry)
    let count = Int(try stream.u32(at: 0))
    let start = stream.count - count * 16 == 8 ? 8 : 4
    return try (0..<count).map { index in
      let o = start + index * 16
      return MinidumpMemoryDescriptor(
        start: try stream.u64(at: o), size: UInt64(try stream.u32(at: o + 8)),
        rva: UInt64(try stream.u32(at: o + 12)))
    }
  }

  static func context(_ context: CPUContext?) -> [String] {
    guard case .x86(let c) = context else { return ["(context not x86)"] }
    return [
      "MDRawContextX86", "context_flags=\(hex(c.contextFlags))", "dr0=\(hex(c.dr0))",
      "dr1=\(hex(c.dr1))", "dr2=\(hex(c.dr2))", "dr3=\(hex(c.dr3))", "dr6=\(hex(c.dr6))",
      "dr7=\(hex(c.dr7))", "float_save.control_word=\(hex(c.floatControlWord))",
      "float_save.status_word=\(hex(c.floatStatusWord))",
      "float_save.tag_word=\(hex(c.floatTagWord))",
      "float_save.error_offset=\(hex(c.floatErrorOffset))",
      "float_save.error_selector=\(hex(c.floatErrorSelector))",
      "float_save.data_offset=\(hex(c.floatDataOffset))",
      "float_save.data_selector=\(hex(c.floatDataSelector))",
      "float_save.register_area[80]=\(bytesHex(c.floatRegisterArea))",
      "float_save.cr0_npx_state=\(hex(c.floatCr0NpxState))", "gs=\(hex(c.gs))", "fs=\(hex(c.fs))",
      "es=\(hex(c.es))", "ds=\(hex(c.ds))", "edi=\(hex(c.edi))", "esi=\(hex(c.esi))",
      "ebx=\(hex(c.ebx))", "edx=\(hex(c.edx))", "ecx=\(hex(c.ecx))", "eax=\(hex(c.eax))",
      "ebp=\(hex(c.ebp))", "eip=\(hex(c.eip))", "cs=\(hex(c.cs))", "eflags=\(hex(c.eflags))",
      "esp=\(hex(c.esp))", "ss=\(hex(c.ss))",
      "extended_registers[512]=\(bytesHex(c.extendedRegisters))", "",
    ]
  }
}
