// A stand-in Windows kernel whose PDB carries the process and thread structures at the field
// offsets of Windows 10 2004-22H2 (19041-19045) x64, each from docs/kernel-offsets/offsets.json
// (sources there), and the I/O objects a 0x9F's blocked IRP is read through (IRP,
// IO_STACK_LOCATION, DEVICE_OBJECT, DRIVER_OBJECT; x64 offsets, unchanged since Windows 7, from
// docs/kernel-offsets/irp.md), and the handle table with the object header and object type a
// handle leads to (x64 19041 offsets, docs/kernel-offsets/handles.md). Only the fields crashsift
// and the volatility3 cross-check read are named; the rest is padding.
// Built by scripts/build-kernel-types.sh into ntoskrnl.exe + ntkrnlmp.pdb (committed); `crashsift
// forge --processes` makes it the kernel of its memory dumps.
typedef unsigned char UCHAR;
typedef signed char SCHAR;
typedef unsigned long ULONG;
typedef unsigned long long ULONG64;
typedef short CSHORT;
typedef unsigned short USHORT;
typedef char CHAR;
typedef unsigned short WCHAR;
typedef void *PVOID;

typedef struct _UNICODE_STRING {
  USHORT Length;
  USHORT MaximumLength;
  WCHAR *Buffer;
} UNICODE_STRING;

typedef struct _LIST_ENTRY {
  struct _LIST_ENTRY *Flink;
  struct _LIST_ENTRY *Blink;
} LIST_ENTRY;

typedef struct _CLIENT_ID {
  PVOID UniqueProcess;
  PVOID UniqueThread;
} CLIENT_ID;

// The kernel overlays KAPC_STATE with a 0x2B-byte fill (KTHREAD.Priority follows at +0x2B);
// packing it to that size keeps the named fields where the kernel has them.
#pragma pack(push, 1)
typedef struct _KAPC_STATE {
  LIST_ENTRY ApcListHead[2];
  struct _KPROCESS *Process;
  UCHAR Rest[0x2B - 0x28];
} KAPC_STATE;
#pragma pack(pop)

// The head of the session space every process of a session points to (EPROCESS.Session).
typedef struct _MM_SESSION_SPACE {
  long ReferenceCount;
  ULONG u;
  ULONG SessionId;
  ULONG ProcessReferenceToSession;
  LIST_ENTRY ProcessList;
} MM_SESSION_SPACE;

// The handle table an EPROCESS.ObjectTable points to (Windows 8 and later layout).
typedef struct _HANDLE_TABLE {
  ULONG NextHandleNeedingPool;
  long ExtraInfoPages;
  ULONG64 TableCode;
  struct _EPROCESS *QuotaProcess;
  LIST_ENTRY HandleTableList;
  ULONG UniqueProcessId;
  ULONG Flags;
  UCHAR Rest[0x80 - 0x30];
} HANDLE_TABLE;
// One handle: the object header's address >> 4 in bits 20-63 of the first half, the access
// granted in the second. The kernel declares this as a union of views; one view is enough here.
typedef struct _HANDLE_TABLE_ENTRY {
  ULONG64 Unlocked : 1;
  ULONG64 RefCnt : 16;
  ULONG64 Attributes : 3;
  ULONG64 ObjectPointerBits : 44;
  ULONG GrantedAccessBits : 25;
  ULONG NoRightsUpgrade : 1;
  ULONG Spare1 : 6;
  ULONG Spare2;
} HANDLE_TABLE_ENTRY;
typedef struct _QUAD {
  long long UseThisFieldToCopy;
} QUAD;
// What precedes every object: its type, as an index into nt!ObTypeIndexTable encoded with
// nt!ObHeaderCookie and the header's address.
typedef struct _OBJECT_HEADER {
  long long PointerCount;
  long long HandleCount;
  PVOID Lock;
  UCHAR TypeIndex;
  UCHAR TraceFlags;
  UCHAR InfoMask;
  UCHAR Flags;
  ULONG Reserved;
  PVOID ObjectCreateInfo;
  PVOID SecurityDescriptor;
  QUAD Body;
} OBJECT_HEADER;
typedef struct _OBJECT_TYPE {
  LIST_ENTRY TypeList;
  UNICODE_STRING Name;
  PVOID DefaultObject;
  UCHAR Index;
  UCHAR Rest[0xD8 - 0x29];
} OBJECT_TYPE;
typedef struct _KPROCESS {
  UCHAR Header[0x28];
  ULONG64 DirectoryTableBase;
  LIST_ENTRY ThreadListHead;
  UCHAR Rest[0x438 - 0x40];
} KPROCESS;

typedef struct _KTHREAD {
  UCHAR Header[0x28];
  PVOID InitialStack;
  PVOID StackLimit;
  PVOID StackBase;
  UCHAR Pad40[0x58 - 0x40];
  PVOID KernelStack;
  UCHAR Pad60[0x98 - 0x60];
  KAPC_STATE ApcState;
  SCHAR Priority;
  UCHAR PadC4[0xF0 - 0xC4];
  PVOID Teb;
  UCHAR PadF8[0x184 - 0xF8];
  UCHAR State;
  UCHAR Pad185[0x187 - 0x185];
  SCHAR WaitMode;
  UCHAR Pad188[0x283 - 0x188];
  UCHAR WaitReason;
  UCHAR Pad284[0x28C - 0x284];
  ULONG KernelTime;
  UCHAR Pad290[0x2DC - 0x290];
  ULONG UserTime;
  UCHAR Pad2E0[0x2F8 - 0x2E0];
  LIST_ENTRY ThreadListEntry;
  UCHAR Rest[0x430 - 0x308];
} KTHREAD;

typedef struct _ETHREAD {
  KTHREAD Tcb;
  ULONG64 CreateTime;
  UCHAR Pad438[0x450 - 0x438];
  PVOID StartAddress;
  UCHAR Pad458[0x478 - 0x458];
  CLIENT_ID Cid;
  UCHAR Pad488[0x4D0 - 0x488];
  PVOID Win32StartAddress;
  UCHAR Pad4D8[0x4E8 - 0x4D8];
  LIST_ENTRY ThreadListEntry;
  UCHAR Rest[0x898 - 0x4F8];
} ETHREAD;

typedef struct _EPROCESS {
  KPROCESS Pcb;
  UCHAR Pad438[0x440 - 0x438];
  PVOID UniqueProcessId;
  LIST_ENTRY ActiveProcessLinks;
  UCHAR Pad458[0x468 - 0x458];
  ULONG64 CreateTime;
  UCHAR Pad470[0x540 - 0x470];
  PVOID InheritedFromUniqueProcessId;
  UCHAR Pad548[0x550 - 0x548];
  PVOID Peb;
  struct _MM_SESSION_SPACE *Session;
  UCHAR Pad560[0x570 - 0x560];
  struct _HANDLE_TABLE *ObjectTable;
  UCHAR Pad578[0x5A8 - 0x578];
  UCHAR ImageFileName[15];
  UCHAR Pad5B7[0x5E0 - 0x5B7];
  LIST_ENTRY ThreadListHead;
  UCHAR Rest[0xA40 - 0x5F0];
} EPROCESS;

typedef struct _DRIVER_OBJECT {
  CSHORT Type;
  CSHORT Size;
  UCHAR Pad4[0x18 - 0x4];
  PVOID DriverStart;
  ULONG DriverSize;
  UCHAR Pad24[0x38 - 0x24];
  UNICODE_STRING DriverName;
  UCHAR Rest[0x150 - 0x48];
} DRIVER_OBJECT;

typedef struct _DEVICE_OBJECT {
  CSHORT Type;
  USHORT Size;
  UCHAR Pad4[0x8 - 0x4];
  struct _DRIVER_OBJECT *DriverObject;
  struct _DEVICE_OBJECT *NextDevice;
  struct _DEVICE_OBJECT *AttachedDevice;
  UCHAR Rest[0x150 - 0x20];
} DEVICE_OBJECT;

typedef struct _IO_STACK_LOCATION {
  UCHAR MajorFunction;
  UCHAR MinorFunction;
  UCHAR Pad2[0x28 - 0x2];
  struct _DEVICE_OBJECT *DeviceObject;
  UCHAR Rest[0x48 - 0x30];
} IO_STACK_LOCATION;

// IRP.Tail.Overlay, declared at file scope: a type nested inside another gives the field list an
// LF_NESTTYPE record, which volatility3's PDB converter does not read.
typedef struct _IRP_TAIL_OVERLAY {
  UCHAR Pad0[0x40];
  struct _IO_STACK_LOCATION *CurrentStackLocation;
  UCHAR Rest[0x58 - 0x48];
} IRP_TAIL_OVERLAY;

typedef union _IRP_TAIL {
  IRP_TAIL_OVERLAY Overlay;
} IRP_TAIL;

typedef struct _IRP {
  CSHORT Type;
  USHORT Size;
  UCHAR Pad4[0x42 - 0x4];
  CHAR StackCount;
  CHAR CurrentLocation;
  UCHAR Pad44[0x78 - 0x44];
  IRP_TAIL Tail;
} IRP;

#define AT(type, member, offset) \
  _Static_assert(__builtin_offsetof(type, member) == offset, #type "." #member)
AT(KAPC_STATE, Process, 0x20);
AT(KPROCESS, DirectoryTableBase, 0x28);
AT(KPROCESS, ThreadListHead, 0x30);
AT(KTHREAD, InitialStack, 0x28);
AT(KTHREAD, StackLimit, 0x30);
AT(KTHREAD, StackBase, 0x38);
AT(KTHREAD, KernelStack, 0x58);
AT(KTHREAD, ApcState, 0x98);
AT(KTHREAD, Priority, 0xC3);
AT(KTHREAD, Teb, 0xF0);
AT(KTHREAD, State, 0x184);
AT(KTHREAD, WaitMode, 0x187);
AT(KTHREAD, WaitReason, 0x283);
AT(KTHREAD, KernelTime, 0x28C);
AT(KTHREAD, UserTime, 0x2DC);
AT(KTHREAD, ThreadListEntry, 0x2F8);
AT(ETHREAD, CreateTime, 0x430);
AT(ETHREAD, StartAddress, 0x450);
AT(ETHREAD, Cid, 0x478);
AT(ETHREAD, Win32StartAddress, 0x4D0);
AT(ETHREAD, ThreadListEntry, 0x4E8);
AT(EPROCESS, UniqueProcessId, 0x440);
AT(EPROCESS, ActiveProcessLinks, 0x448);
AT(EPROCESS, CreateTime, 0x468);
AT(EPROCESS, InheritedFromUniqueProcessId, 0x540);
AT(EPROCESS, Peb, 0x550);
AT(EPROCESS, Session, 0x558);
AT(EPROCESS, ObjectTable, 0x570);
AT(MM_SESSION_SPACE, SessionId, 0x8);
AT(EPROCESS, ImageFileName, 0x5A8);
AT(EPROCESS, ThreadListHead, 0x5E0);
AT(HANDLE_TABLE, NextHandleNeedingPool, 0x0);
AT(HANDLE_TABLE, TableCode, 0x8);
AT(OBJECT_HEADER, TypeIndex, 0x18);
AT(OBJECT_HEADER, Body, 0x30);
AT(OBJECT_TYPE, Name, 0x10);
_Static_assert(sizeof(HANDLE_TABLE_ENTRY) == 0x10, "HANDLE_TABLE_ENTRY size");
AT(IRP, StackCount, 0x42);
AT(IRP, CurrentLocation, 0x43);
AT(IRP, Tail.Overlay.CurrentStackLocation, 0xB8);
AT(IO_STACK_LOCATION, DeviceObject, 0x28);
AT(DEVICE_OBJECT, DriverObject, 0x8);
AT(DEVICE_OBJECT, AttachedDevice, 0x18);
AT(DRIVER_OBJECT, DriverStart, 0x18);
AT(DRIVER_OBJECT, DriverName, 0x38);
_Static_assert(sizeof(IRP) == 0xD0, "IRP size");
_Static_assert(sizeof(IO_STACK_LOCATION) == 0x48, "IO_STACK_LOCATION size");
_Static_assert(sizeof(KTHREAD) == 0x430, "KTHREAD size");
_Static_assert(sizeof(ETHREAD) == 0x898, "ETHREAD size");
_Static_assert(sizeof(EPROCESS) == 0xA40, "EPROCESS size");

// Objects of each type, so the compiler emits the types' records into the PDB.
EPROCESS PsInitialSystemProcessObject;
ETHREAD PsInitialSystemThreadObject;
MM_SESSION_SPACE MiSampleSession;
IRP IopSampleIrp;
IO_STACK_LOCATION IopSampleStackLocation;
DEVICE_OBJECT IopSampleDevice;
DRIVER_OBJECT IopSampleDriver;
HANDLE_TABLE ObpSampleHandleTable;
HANDLE_TABLE_ENTRY ObpSampleHandleEntry;
OBJECT_HEADER ObpSampleObjectHeader;
OBJECT_TYPE ObpSampleObjectType;

ULONG KiSystemStartup(void) {
  return (ULONG)(sizeof(PsInitialSystemProcessObject) + sizeof(PsInitialSystemThreadObject) +
                 sizeof(IopSampleIrp) + sizeof(IopSampleStackLocation) + sizeof(IopSampleDevice) +
                 sizeof(IopSampleDriver) + sizeof(MiSampleSession) + sizeof(ObpSampleHandleTable) +
                 sizeof(ObpSampleHandleEntry) + sizeof(ObpSampleObjectHeader) +
                 sizeof(ObpSampleObjectType));
}
