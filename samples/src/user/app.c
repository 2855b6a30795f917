/* contoso-app.exe, the sample user-mode program: a NULL read in ReadSetting, an unbounded
   recursion (stack overflow) and a failed invariant that fails fast. Freestanding: no CRT. */
volatile int AppState;
volatile int AppCounters[8];

__declspec(noinline) int ReadSetting(int *table) { return table[3] + AppState; }

__declspec(noinline) int LoadConfig(int **tables) {
  int value = ReadSetting(tables[AppState]);
  AppCounters[0] += value;
  return value + 1;
}

__declspec(noinline) int Recurse(int depth) {
  volatile char pad[200];
  pad[0] = (char)depth;
  int below = Recurse(depth + 1);
  return below + pad[0];
}

__declspec(noinline) void CheckInvariant(int *value) {
  if (!value || *value < 0) __fastfail(7);
  AppCounters[1]++;
}

__declspec(noinline) int AppMain(void) {
  int *tables[2] = {0, 0};
  if (AppState == 1) return Recurse(0) + 1;
  if (AppState == 2) CheckInvariant(tables[0]);
  int result = LoadConfig(tables);
  AppCounters[2] += result;
  return result;
}

int mainCRTStartup(void *parameter) {
  int code = AppMain();
  AppCounters[3] = code;
  return code;
}
