/* The few kernel types the sample kernel and drivers share (freestanding: no WDK headers). */
typedef unsigned long long u64;
typedef unsigned long u32;
typedef struct DEVICE_OBJECT DEVICE_OBJECT;
typedef struct IRP IRP;
typedef long (*DRIVER_DISPATCH)(DEVICE_OBJECT *, IRP *);
typedef struct DRIVER_OBJECT { DRIVER_DISPATCH MajorFunction[28]; } DRIVER_OBJECT;
struct DEVICE_OBJECT { DRIVER_OBJECT *DriverObject; void *Extension; };
struct IRP { int MajorFunction; u32 IoControlCode; void *SystemBuffer; u32 Length; long Status; };
