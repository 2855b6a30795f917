/* diskmon.sys, the third sample driver, built with frame pointers (-fno-omit-frame-pointer): every
   function sets RBP, as code built for profilers or by some toolchains does. */
typedef unsigned long long u64;
typedef unsigned long u32;
typedef struct REQUEST { u64 Lba; u32 Blocks; u32 Flags; struct QUEUE *Queue; } REQUEST;
typedef struct QUEUE { u32 Depth; u32 Limit; REQUEST *Slots[16]; } QUEUE;

volatile u64 DiskmonCounters[4];

__declspec(noinline) u32 QueueDepth(const QUEUE *queue) {
  DiskmonCounters[0]++;
  return queue->Depth;
}

__declspec(noinline) long TrackRequest(REQUEST *request) {
  volatile u64 trace[24];
  trace[0] = request->Lba;
  u32 depth = QueueDepth(request->Queue);
  trace[23] = depth;
  DiskmonCounters[1] += trace[0] + trace[23];
  return depth > 8 ? 1 : 0;
}

__declspec(noinline) void DiskmonCompletion(void *context) {
  long busy = TrackRequest((REQUEST *)context);
  DiskmonCounters[2] += (u64)busy;
}

/* A DPC that waits for the hardware with a spin loop: with the device hung it never ends
   (DPC_WATCHDOG_VIOLATION). */
volatile long DiskmonHardwareReady;
__declspec(noinline) void DiskmonDpcRoutine(void *dpc, void *context, void *a, void *b) {
  while (!DiskmonHardwareReady) DiskmonCounters[0]++;
  DiskmonCounters[1] += (u64)context;
}

/* A request whose queue pointer is out of range is a corruption: fail fast
   (KERNEL_SECURITY_CHECK_FAILURE). */
__declspec(noinline) long DiskmonValidateRequest(REQUEST *request) {
  if (request->Queue == 0 || request->Queue->Depth > request->Queue->Limit) __fastfail(5);
  return 1;
}

__declspec(noinline) void DiskmonSubmit(void *context) {
  long valid = DiskmonValidateRequest((REQUEST *)context);
  DiskmonCounters[2] += (u64)valid;
}

long DriverEntry(void *driver, void *path) {
  DiskmonCounters[3] = (u64)driver;
  return 0;
}
