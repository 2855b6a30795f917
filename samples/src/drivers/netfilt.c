/* netfilt.sys, a second sample driver with other code shapes: a large frame that saves eight
   non-volatile registers, and a leaf function without unwind info that faults. */
typedef unsigned long long u64;
typedef unsigned long u32;
typedef struct PACKET { u32 Length; u32 Flags; unsigned char *Payload; struct PACKET *Next; } PACKET;

volatile u64 NetfiltCounters[8];

/* A leaf: no stack use, so the compiler emits no .pdata entry for it. */
__declspec(noinline) u32 ReadHeaderWord(const unsigned char *payload) {
  return payload[0] | (payload[1] << 8) | (payload[2] << 16) | ((u32)payload[3] << 24);
}

__declspec(noinline) u32 ClassifyPacket(PACKET *packet) {
  u32 word = ReadHeaderWord(packet->Payload);
  NetfiltCounters[word & 7]++;
  return word;
}

__declspec(noinline) u64 FilterChain(PACKET *head, u32 limit) {
  volatile unsigned char history[1536];
  u64 a = 1, b = 2, c = 3, d = 5, e = 8;
  u32 count = 0;
  for (PACKET *p = head; p && count < limit; p = p->Next, count++) {
    u32 kind = ClassifyPacket(p);
    history[count % sizeof(history)] = (unsigned char)kind;
    a += kind; b ^= a; c += b * 3; d ^= c; e += d;
  }
  NetfiltCounters[7] = a + b + c + d + e + history[0];
  return count;
}

__declspec(noinline) void NetfiltWorkRoutine(void *context) {
  u64 count = FilterChain((PACKET *)context, 64);
  NetfiltCounters[6] += count;
}

long DriverEntry(void *driver, void *path) {
  NetfiltCounters[0] = (u64)driver;
  return 0;
}
