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

long DriverEntry(void *driver, void *path) {
  DiskmonCounters[3] = (u64)driver;
  return 0;
}
