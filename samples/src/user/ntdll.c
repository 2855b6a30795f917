/* The sample ntdll.dll: RtlUserThreadStart, the first frame of every user thread, calling
   kernel32's thunk through its import. */
typedef int (*THREAD_START)(void *);
__declspec(dllimport) int BaseThreadInitThunk(unsigned flags, THREAD_START start, void *parameter);
volatile int NtdllExits;

__declspec(dllexport) __declspec(noinline) void RtlUserThreadStart(THREAD_START start, void *parameter) {
  int code = BaseThreadInitThunk(0, start, parameter);
  NtdllExits = code;
}
