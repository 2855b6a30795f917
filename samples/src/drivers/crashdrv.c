/* crashdrv.sys, the sample driver with the bug: CopyRecord trusts a length from the request and
   reads through a pointer it never checked. Two builds: BUILD=2 adds a validation helper in front,
   so the same bug sits at different addresses (and a different timestamp). */
#include "sample_nt.h"
typedef struct RECORD { u32 Size; struct RECORD *Next; unsigned char Data[48]; } RECORD;

volatile u64 CrashdrvStats[4];

#if BUILD >= 2
__declspec(noinline) int ValidateRecord(const RECORD *record, u32 length) {
  if (length < sizeof(RECORD)) return 0;
  CrashdrvStats[3]++;
  return record->Size <= length;
}
#endif

__declspec(noinline) u32 CopyRecord(unsigned char *out, const RECORD *record, u32 length) {
  u32 copied = 0;
  const RECORD *next = record->Next;
  while (copied < length && copied < next->Size) {
    out[copied] = next->Data[copied % 48];
    copied++;
  }
  CrashdrvStats[0] += copied;
  return copied;
}

__declspec(noinline) long ProcessBuffer(IRP *irp) {
  unsigned char scratch[256];
  RECORD *record = (RECORD *)irp->SystemBuffer;
#if BUILD >= 2
  if (!ValidateRecord(record, irp->Length)) return (long)0xC000000D;
#endif
  u32 copied = CopyRecord(scratch, record, irp->Length);
  CrashdrvStats[1] += scratch[copied / 2];
  return 0;
}

__declspec(noinline) long CrashdrvDispatchDeviceControl(DEVICE_OBJECT *device, IRP *irp) {
  long status = 0xC0000010;
  if (irp->IoControlCode == 0x222003) status = ProcessBuffer(irp);
  irp->Status = status;
  CrashdrvStats[2]++;
  return status;
}

__declspec(noinline) void CrashdrvWorkRoutine(void *context) {
  IRP *irp = (IRP *)context;
  irp->IoControlCode = 0x222003;
  long status = CrashdrvDispatchDeviceControl(0, irp);
  CrashdrvStats[3] += (u64)status;
}

long DriverEntry(DRIVER_OBJECT *driver, void *path) {
  driver->MajorFunction[14] = CrashdrvDispatchDeviceControl;
  CrashdrvStats[0] = (u64)path;
  return 0;
}
