/* The sample kernel's C routines: names and call shapes of the real ntoskrnl paths that crash
   dumps show (bug check, I/O dispatch, worker threads, system calls). Freestanding: no headers. */
#include "sample_nt.h"
typedef struct WORK_ITEM { void (*Routine)(void *); void *Parameter; struct WORK_ITEM *Next; } WORK_ITEM;

volatile u64 KiBugCheckData[5];
volatile long KiHardwareTrigger;
WORK_ITEM *volatile ExpWorkQueue;

__declspec(noinline) void KeBugCheck2(u32 code, u64 p1, u64 p2, u64 p3, u64 p4, void *trap) {
  KiBugCheckData[0] = code;
  KiBugCheckData[1] = p1;
  KiBugCheckData[2] = p2;
  KiBugCheckData[3] = p3;
  KiBugCheckData[4] = p4;
  for (;;) { KiHardwareTrigger++; }
}

__declspec(noinline) void KeBugCheckEx(u32 code, u64 p1, u64 p2, u64 p3, u64 p4) {
  volatile u64 saved[8];
  saved[0] = code;
  saved[7] = p4;
  KeBugCheck2(code, p1, p2, p3, saved[7], 0);
}

typedef struct EXCEPTION_RECORD { u32 Code; u32 Flags; u64 Address; u64 Parameters[4]; } EXCEPTION_RECORD;
typedef long (*EXCEPTION_HANDLER)(EXCEPTION_RECORD *, void *, void *);
typedef long (*EXCEPTION_FILTER)(EXCEPTION_RECORD *);
volatile long MmFaultsAreExceptions;
EXCEPTION_HANDLER volatile KiCurrentHandler;
EXCEPTION_FILTER volatile KiCurrentFilter;

/* The x64 KTRAP_FRAME's saved RIP (ntddk.h: 0x168 into the 0x190-byte frame). */
#define TRAP_FRAME_RIP(trap) (*(volatile u64 *)((unsigned char *)(trap) + 0x168))
volatile u64 MmSystemRangeStart = 0xFFFF800000000000;
volatile u64 MiPteBase;

/* A fault on a system address: the page-table walk finds no valid PTE for it, so the reference is
   fatal (PAGE_FAULT_IN_NONPAGED_AREA: P1 the address, P2 whether it was a write, P3 the faulting
   instruction from the trap frame, P4 the fault type). */
__declspec(noinline) long MiSystemFault(u32 faultStatus, u64 address, void *trap) {
  volatile u64 pte[4];
  pte[0] = MiPteBase + ((address >> 9) & 0x7FFFFFFFF8);
  pte[3] = faultStatus;
  if (!(pte[0] & 1)) KeBugCheckEx(0x50, address, faultStatus & 2 ? 1 : 0, TRAP_FRAME_RIP(trap), 2);
  return (long)pte[3];
}

__declspec(noinline) long MmAccessFault(u64 address, void *trap) {
  if (MmFaultsAreExceptions) return (long)0xC0000005;
  if (address >= MmSystemRangeStart) {
    long status = MiSystemFault(2, address, trap);
    KiHardwareTrigger += status;
    return status;
  }
  if (address < 0x10000) KeBugCheckEx(0x50, address, 0, (u64)trap, 2);
  return 0;
}

/* A system thread's exception filter: an exception nobody handled is fatal. */
__declspec(noinline) long PspUnhandledExceptionInSystemThread(EXCEPTION_RECORD *record) {
  KeBugCheckEx(0x1000007E, (u64)(long)record->Code, record->Address, (u64)record, 0);
  return 0;
}

/* The handler of system-service dispatch: an exception in a system call is fatal. */
__declspec(noinline) long KiSystemServiceHandler(EXCEPTION_RECORD *record, void *frame, void *context) {
  KeBugCheckEx(0x3B, record->Code, record->Address, (u64)context, 0);
  return 0;
}

/* The C language handler: runs the scope's filter. */
__declspec(noinline) long __C_specific_handler(EXCEPTION_RECORD *record, void *frame, void *context) {
  long verdict = KiCurrentFilter(record);
  KiHardwareTrigger += verdict;
  return verdict;
}

__declspec(noinline) long RtlpExecuteHandlerForException(EXCEPTION_RECORD *record, void *frame, void *context) {
  long disposition = KiCurrentHandler(record, frame, context);
  KiHardwareTrigger += disposition;
  return disposition;
}

__declspec(noinline) long RtlDispatchException(EXCEPTION_RECORD *record, void *context) {
  volatile u64 dispatcherContext[12];
  dispatcherContext[0] = (u64)record;
  long disposition = RtlpExecuteHandlerForException(record, (void *)dispatcherContext, context);
  dispatcherContext[11] = (u64)disposition;
  return disposition == 0;
}

__declspec(noinline) void KiDispatchException(EXCEPTION_RECORD *record, void *exceptionFrame, void *trapFrame, int previousMode) {
  volatile u64 context[154];
  context[0] = (u64)trapFrame;
  context[153] = (u64)exceptionFrame;
  long handled = RtlDispatchException(record, (void *)context);
  KiHardwareTrigger += handled + previousMode;
}

__declspec(noinline) long IofCallDriver(DEVICE_OBJECT *device, IRP *irp) {
  irp->Status = 0x103;
  long status = device->DriverObject->MajorFunction[irp->MajorFunction](device, irp);
  KiHardwareTrigger += status;
  return status;
}

__declspec(noinline) long NtDeviceIoControlFile(DEVICE_OBJECT *device, u32 code, void *buffer, u32 length) {
  IRP irp;
  irp.MajorFunction = 14;
  irp.IoControlCode = code;
  irp.SystemBuffer = buffer;
  irp.Length = length;
  irp.Status = 0;
  return IofCallDriver(device, &irp);
}

__declspec(noinline) void ExpWorkerThread(void *context) {
  for (;;) {
    WORK_ITEM *item = ExpWorkQueue;
    if (!item) continue;
    ExpWorkQueue = item->Next;
    item->Routine(item->Parameter);
  }
}

__declspec(noinline) void PspSystemThreadStartup(void (*start)(void *), void *context) {
  KiHardwareTrigger = 0;
  start(context);
  KeBugCheckEx(0x1E, 0, 0, 0, 0);
}

long KiSystemStartup(void *loader) {
  ExpWorkerThread(loader);
  return 0;
}

/* The clock interrupt's accounting: a DPC that ran too long is fatal (DPC_WATCHDOG_VIOLATION). */
typedef struct KDPC { void (*Routine)(struct KDPC *, void *, void *, void *); void *Context; struct KDPC *Next; } KDPC;
KDPC *volatile KiDpcQueue;
volatile u64 KiDpcWatchdogCount;

__declspec(noinline) void KeAccumulateTicks(void *trap) {
  KiDpcWatchdogCount++;
  if (KiDpcWatchdogCount > 0x1e00) KeBugCheckEx(0x133, 1, 0x1e00, 0, (u64)trap);
}

__declspec(noinline) void KeClockInterruptNotify(void *trap) {
  KeAccumulateTicks(trap);
  KiHardwareTrigger++;
}

__declspec(noinline) void KiCallInterruptServiceRoutine(void *trap) {
  KeClockInterruptNotify(trap);
  KiHardwareTrigger++;
}

__declspec(noinline) void KiExecuteAllDpcs(void) {
  for (KDPC *dpc = KiDpcQueue; dpc; dpc = dpc->Next) {
    dpc->Routine(dpc, dpc->Context, 0, 0);
    KiHardwareTrigger++;
  }
}

__declspec(noinline) void KiRetireDpcList(void) {
  KiExecuteAllDpcs();
  KiHardwareTrigger++;
}
