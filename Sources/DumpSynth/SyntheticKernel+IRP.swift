extension SyntheticKernel {
  /// A device object (IO_TYPE_DEVICE 3) whose driver object (IO_TYPE_DRIVER 4) has `name`,
  /// DriverStart and DriverSize, attached below `attached` (0 for none). 64-bit layout (WDK
  /// wdm.h; docs/kernel-offsets/irp.md): DEVICE_OBJECT DriverObject 0x8, AttachedDevice 0x18,
  /// size 0x150; DRIVER_OBJECT DeviceObject 0x8, DriverStart 0x18, DriverSize 0x20,
  /// DriverName 0x38, size 0x150.
  public func writeDevice(
    _ device: UInt64, driver: UInt64, name: String, start: UInt64, size: UInt32,
    attached: UInt64 = 0
  ) {
    write(virtual: device, [UInt8](repeating: 0, count: 0x150))
    write16(virtual: device, 3)
    write16(virtual: device + 2, 0x150)
    write64(virtual: device + 0x8, driver)
    write64(virtual: device + 0x18, attached)
    write(virtual: driver, [UInt8](repeating: 0, count: 0x150))
    write16(virtual: driver, 4)
    write16(virtual: driver + 2, 0x150)
    write64(virtual: driver + 0x8, device)
    write64(virtual: driver + 0x18, start)
    write32(virtual: driver + 0x20, size)
    writeUnicodeString(virtual: driver + 0x38, name, buffer: driver + 0x100)
  }

  /// An IRP (IO_TYPE_IRP 6) with `stackCount` IO_STACK_LOCATIONs after it, the current one
  /// (1-based `current`) naming `device`. 64-bit layout: IRP StackCount 0x42, CurrentLocation
  /// 0x43, Tail.Overlay.CurrentStackLocation 0xB8, size 0xD0; IO_STACK_LOCATION 0x48 bytes with
  /// DeviceObject at 0x28 (docs/kernel-offsets/irp.md).
  public func writeIRP(_ irp: UInt64, stackCount: UInt8, current: UInt8, device: UInt64) {
    let irpSize: UInt64 = 0xD0
    let locationSize: UInt64 = 0x48
    let total = irpSize + UInt64(stackCount) * locationSize
    write(virtual: irp, [UInt8](repeating: 0, count: Int(total)))
    write16(virtual: irp, 6)
    write16(virtual: irp + 2, UInt16(total))
    write(virtual: irp + 0x42, [stackCount, current])
    let location = irp + irpSize + UInt64(current - 1) * locationSize
    write64(virtual: irp + 0xB8, location)
    write64(virtual: location + 0x28, device)
  }
}
