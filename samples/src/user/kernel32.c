/* The sample kernel32.dll: the thread-start thunk every Windows thread begins in. */
typedef int (*THREAD_START)(void *);
volatile int Kernel32Exits;

__declspec(dllexport) __declspec(noinline) int BaseThreadInitThunk(unsigned flags, THREAD_START start, void *parameter) {
  int code = start(parameter);
  Kernel32Exits += code + (int)flags;
  return code;
}
