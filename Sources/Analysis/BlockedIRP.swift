import KernelDump

/// Bug check 0x9F DRIVER_POWER_STATE_FAILURE with Arg1 = 3 ("a device object has been blocking
/// an IRP for too long"; Arg2 the stack's physical device object, Arg4 the blocked IRP), read
/// from dump memory. WinDbg's IMAGE_NAME for it is the driver of the PDO (Arg2); its bucket puts
/// the driver attached directly above the PDO between the code and the image when the IRP is
/// pending above the PDO (`0x9F_3_RtsPer_IMAGE_pci.sys`, `0x9F_3_ACPI_IMAGE_pci.sys` with the IRP
/// at the top of the stack), and nothing when it is pending at the PDO itself
/// (`0x9F_3_IMAGE_UsbHub3.sys`, where `!irp` shows the PDO current although HidUsb is attached
/// above it): published outputs in docs/kernel-offsets/irp.md. That rule is inferred from those
/// few outputs. So: PDO → DRIVER_OBJECT → the module holding DriverStart (the image); the IRP's
/// current stack location's device (`!irp`'s `>` line); and, unless that device is the PDO, the
/// name of the driver of PDO.AttachedDevice (`\Driver\RtsPer` → `RtsPer`). Every object's Type
/// is checked (IO_TYPE_IRP 6, IO_TYPE_DEVICE 3, IO_TYPE_DRIVER 4), so a stale or damaged
/// parameter gives a reason, never a wrong culprit. Layouts: WDK wdm.h structures,
/// docs/kernel-offsets/irp.md.
public struct BlockedIRP: Sendable, Equatable {
  /// The blocked IRP (Arg4).
  public var irp: UInt64
  /// The physical device object (Arg2) and the module holding its driver's code: the culprit.
  public var pdo: UInt64
  public var module: KernelModule
  /// The PDO driver's DRIVER_OBJECT.DriverName, e.g. `\Driver\pci`.
  public var driverName: String?
  /// The service name of the driver attached directly above the PDO (`RtsPer` from
  /// `\Driver\RtsPer`) when the IRP is pending above the PDO: the bucket's qualifier. nil when
  /// the IRP is pending at the PDO, nothing is attached, or the name is not a plain service name.
  public var upperDriver: String?
  /// The device and driver at the IRP's current stack location, when readable.
  public var holderDevice: UInt64?
  public var holderDriverName: String?

  /// Field offsets for one pointer size.
  struct Layout {
    var irpStackCount: Int
    var irpCurrentLocation: Int
    var irpCurrentStackLocation: Int
    var stackLocationDevice: Int
    var deviceDriver: Int
    var deviceAttached: Int
    var driverStart: Int
    var driverName: Int

    /// x64 and ARM64 (8-byte pointers).
    static let wide = Layout(
      irpStackCount: 0x42, irpCurrentLocation: 0x43, irpCurrentStackLocation: 0xB8,
      stackLocationDevice: 0x28, deviceDriver: 0x8, deviceAttached: 0x18, driverStart: 0x18,
      driverName: 0x38)
    /// x86.
    static let narrow = Layout(
      irpStackCount: 0x22, irpCurrentLocation: 0x23, irpCurrentStackLocation: 0x60,
      stackLocationDevice: 0x14, deviceDriver: 0x8, deviceAttached: 0x10, driverStart: 0xC,
      driverName: 0x1C)
  }

  /// The outcome of reading a dump's blocked IRP.
  public enum Reading: Sendable, Equatable {
    case found(BlockedIRP)
    /// Not a 0x9F with Arg1 = 3.
    case notApplicable
    case unreadable(String)
  }

  /// The driver holding the IRP that 0x9F Arg1 = 3 names in `dump`, or why it cannot be told.
  public static func read(from dump: KernelDump) -> Reading {
    let header = dump.header
    let parameters = header.bugCheckParameters
    guard header.bugCheckCode == 0x9F, parameters.count >= 4, parameters[0] == 3 else {
      return .notApplicable
    }
    guard header.dumpType != .triage else {
      return .unreadable(
        "a triage dump does not hold the device objects (Arg2) and the IRP (Arg4); a kernel or full memory dump names the driver"
      )
    }
    let wide = header.is64Bit
    let layout = wide ? Layout.wide : Layout.narrow
    let irp = parameters[3]
    func u8(_ address: UInt64) -> UInt8? { (try? dump.read(virtual: address, count: 1))?.first }
    func u16(_ address: UInt64) -> UInt16? { try? dump.u16(virtual: address) }
    func pointer(_ address: UInt64) -> UInt64? { try? dump.pointer(virtual: address) }
    let hex = { (value: UInt64) in "0x" + String(value, radix: 16) }
    /// The DRIVER_OBJECT of a device, checked by type.
    func driver(of device: UInt64) -> UInt64? {
      guard device != 0, u16(device) == 3,
        let driver = pointer(device &+ UInt64(layout.deviceDriver)),
        driver != 0, u16(driver) == 4
      else { return nil }
      return driver
    }
    func name(of driver: UInt64) -> String? {
      try? dump.unicodeString(virtual: driver &+ UInt64(layout.driverName))
    }
    let pdo = parameters[1]
    guard u16(pdo) != nil else {
      return .unreadable("the physical device object at \(hex(pdo)) (Arg2) is not in the dump")
    }
    guard let pdoDriver = driver(of: pdo) else {
      return .unreadable(
        "Arg2 \(hex(pdo)) is not a device object with a readable DRIVER_OBJECT (IO_TYPE_DEVICE 3)")
    }
    guard let start = pointer(pdoDriver &+ UInt64(layout.driverStart)),
      let module = dump.module(containing: start)
    else {
      return .unreadable(
        "the PDO's driver object \(hex(pdoDriver)) has its code in no loaded module (unloaded, or damaged)"
      )
    }
    var result = BlockedIRP(
      irp: irp, pdo: pdo, module: module, driverName: name(of: pdoDriver), upperDriver: nil)
    // The IRP's current stack location (`!irp`'s `>` line).
    if u16(irp) == 6, let count = u8(irp &+ UInt64(layout.irpStackCount)),
      let current = u8(irp &+ UInt64(layout.irpCurrentLocation)), current >= 1, current <= count,
      let location = pointer(irp &+ UInt64(layout.irpCurrentStackLocation)),
      let device = pointer(location &+ UInt64(layout.stackLocationDevice)),
      let holder = driver(of: device)
    {
      result.holderDevice = device
      result.holderDriverName = name(of: holder)
    }
    if result.holderDevice != pdo, let attached = pointer(pdo &+ UInt64(layout.deviceAttached)),
      let upper = driver(of: attached), let upperName = name(of: upper)
    {
      result.upperDriver = Self.serviceName(upperName)
    }
    return .found(result)
  }

  /// The last component of a driver object's name (`\Driver\RtsPer` → `RtsPer`) when it is a
  /// plain service name (letters, digits, `_`, `-`, `.`; at most 64): it goes into a bucket id.
  public static func serviceName(_ name: String) -> String? {
    guard let last = name.split(separator: "\\").last, !last.isEmpty, last.count <= 64,
      last.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
    else { return nil }
    return String(last)
  }
}
