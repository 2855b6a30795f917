// Coverage source for crashsift's MSVC undecorator (Sources/Symbols/MSVCDemangler.swift).
//
// Every construct here exists to make clang-cl emit one more kind of Microsoft C++ decoration
// into the PDB's publics: arrays and pointers to arrays, function pointers and references,
// member pointers, templates of templates, template template parameters, non-type template
// arguments, lambdas, std::-like containers, every operator, cv/__restrict/__unaligned, rvalue
// references, variadic templates, local statics and their guards, vftables, vbtables, RTTI,
// adjustor and vcall thunks, string literals and each calling convention. The test
// (Tests/SymbolsTests/MSVCDemanglerTests.swift) compares every decorated public of the built PDBs
// with llvm-undname. No Windows SDK or STL: the std:: templates are declared here with the real
// STL's template parameters (std::vector<int> is std::vector<int, std::allocator<int>>), so
// their names mangle as the real ones do. Freestanding: no CRT, nothing runs.
//
// Not here, because clang-cl gives them internal linkage and they never reach the publics:
// anonymous namespaces and the dynamic initializers and atexit destructors of plain globals.
// The test's list of MSVC-only manglings covers those.
//
// Build: scripts/build-undname-coverage.sh (x64 and x86; x86 without thread-safe statics).

#define API __declspec(dllexport)

typedef decltype(sizeof(0)) size_t;
typedef decltype(nullptr) nullptr_t_;

// ---------------------------------------------------------------------------------------------
// The runtime pieces the compiler calls into, defined here because there is no CRT.
extern "C" {
int _fltused = 0;
API void __std_terminate() {}
#if defined(_M_IX86)
API void __stdcall _CxxThrowException(void *, void *) {}
#else
API void _CxxThrowException(void *, void *) {}
#endif
API int __CxxFrameHandler3() { return 0; }
API int __CxxFrameHandler4() { return 0; }
API int _Init_thread_epoch = 0;
API void _Init_thread_header(int *) {}
API void _Init_thread_footer(int *) {}
API void _Init_thread_abort(int *) {}
API int atexit(void (*)(void)) { return 0; }
API void *memset(void *d, int, size_t) { return d; }
API void *memcpy(void *d, const void *, size_t) { return d; }
API unsigned long _tls_index = 0;
#if defined(_M_IX86)
API void __stdcall __dyn_tls_init(void *, unsigned long, void *) {}
API unsigned long _tls_array = 0;
#else
API void __dyn_tls_init(void *, unsigned long, void *) {}
#endif
API int __tlregdtor(void (*)(void)) { return 0; }
API int _purecall() { return 0; }
API void *__RTtypeid(void *) { return nullptr; }
API void *__RTDynamicCast(void *, long, void *, void *, int) { return nullptr; }
}

// RTTI type descriptors point at type_info's vftable, which the CRT defines; clang reserves the
// class, so a stub stands in for it.
extern "C" const void *const coverage_type_info_vftable[2] = {};
#if defined(_M_IX86)
#pragma comment(linker, "/alternatename:??_7type_info@@6B@=_coverage_type_info_vftable")
#else
#pragma comment(linker, "/alternatename:??_7type_info@@6B@=coverage_type_info_vftable")
#endif

namespace std {
enum class align_val_t : size_t {};
struct nothrow_t {};
API extern const nothrow_t nothrow = {};
using nullptr_t = decltype(nullptr);

template <class T> struct allocator {
  API T *allocate(size_t) { return nullptr; }
  API void deallocate(T *, size_t) {}
};
template <class C> struct char_traits {
  API static size_t length(const C *) { return 0; }
};
template <class C, class Tr = char_traits<C>, class A = allocator<C>> class basic_string {
 public:
  API basic_string() {}
  API basic_string(const C *) {}
  API basic_string(const basic_string &) {}
  API basic_string(basic_string &&) noexcept {}
  API ~basic_string() {}
  API basic_string &operator=(const basic_string &) { return *this; }
  API basic_string &operator+=(C) { return *this; }
  API const C *c_str() const noexcept { return buf; }
  API C &operator[](size_t i) { return buf[i]; }
  API size_t size() const { return 0; }
  C buf[16];
};
typedef basic_string<char> string;
typedef basic_string<wchar_t> wstring;
typedef basic_string<char16_t> u16string;
typedef basic_string<char32_t> u32string;
typedef basic_string<char8_t> u8string;

template <class T, class A = allocator<T>> class vector {
 public:
  API void push_back(const T &) {}
  API void push_back(T &&) {}
  API T &operator[](size_t i) { return p[i]; }
  API const T &operator[](size_t i) const { return p[i]; }
  API T *begin() { return p; }
  API size_t size() const { return 0; }
  template <class... Args> API T &emplace_back(Args &&...) { return *p; }
  T *p;
};
template <class A, class B> struct pair {
  A first;
  B second;
  API pair() {}
  API pair(const A &, const B &) {}
};
template <class T> struct less {
  API bool operator()(const T &, const T &) const { return false; }
};
template <class K, class V, class C = less<K>, class A = allocator<pair<const K, V>>> class map {
 public:
  API V &operator[](const K &k) { return v; }
  API V &operator[](K &&k) { return v; }
  struct iterator {
    API pair<const K, V> &operator*() const { return *p; }
    API iterator &operator++() { return *this; }
    API bool operator!=(const iterator &) const { return false; }
    pair<const K, V> *p;
  };
  API iterator find(const K &) { return {}; }
  V v;
};
template <class T> struct default_delete {
  API void operator()(T *) const noexcept {}
};
template <class T> struct default_delete<T[]> {
  API void operator()(T *) const noexcept {}
};
template <class T, class D = default_delete<T>> class unique_ptr {
 public:
  API unique_ptr() noexcept {}
  API ~unique_ptr() {}
  API T *get() const noexcept { return p; }
  API T *operator->() const noexcept { return p; }
  API explicit operator bool() const noexcept { return p != nullptr; }
  T *p;
};
template <class T> class shared_ptr {
 public:
  API T *get() const noexcept { return p; }
  template <class U> API shared_ptr(const shared_ptr<U> &) {}
  API shared_ptr() {}
  T *p;
};
template <class F> class function;
template <class R, class... A> class function<R(A...)> {
 public:
  API R operator()(A...) const { return R(); }
  API function() {}
};
template <class T, size_t N> struct array {
  API T &operator[](size_t i) { return e[i]; }
  API constexpr size_t size() const noexcept { return N; }
  T e[N];
};
template <class T> class initializer_list {
 public:
  API const T *begin() const noexcept { return b; }
  const T *b;
  size_t n;
};
template <class... T> class tuple {
 public:
  API tuple() {}
};
template <class T> struct atomic {
  API T load() const volatile noexcept { return v; }
  API void store(T x) volatile noexcept { v = x; }
  T v;
};
class exception {
 public:
  API exception() noexcept {}
  API exception(const exception &) noexcept {}
  API virtual ~exception() {}
  API virtual const char *what() const { return "Unknown exception"; }
};
class bad_alloc : public exception {
 public:
  API bad_alloc() noexcept {}
  API const char *what() const override { return "bad allocation"; }
};
class _Lockit {
 public:
  API explicit _Lockit(int) {}
  API ~_Lockit() {}
};
[[noreturn]] API void _Xlength_error(const char *) { for (;;) {} }
[[noreturn]] API void _Xout_of_range(const char *) { for (;;) {} }
}  // namespace std

// ---------------------------------------------------------------------------------------------
// Allocation operators: scalar, array, sized, aligned, nothrow, placement.
API void *operator new(size_t) { return nullptr; }
API void *operator new[](size_t) { return nullptr; }
API void *operator new(size_t, std::align_val_t) { return nullptr; }
API void *operator new[](size_t, const std::nothrow_t &) noexcept { return nullptr; }
API void *operator new(size_t, void *p) noexcept { return p; }
API void operator delete(void *) noexcept {}
API void operator delete[](void *) noexcept {}
API void operator delete(void *, size_t) noexcept {}
API void operator delete[](void *, size_t) noexcept {}
API void operator delete(void *, std::align_val_t) noexcept {}
API void operator delete(void *, size_t, std::align_val_t) noexcept {}

// ---------------------------------------------------------------------------------------------
// Fundamental types, one parameter each.
namespace prim {
API void all(bool, char, signed char, unsigned char, short, unsigned short, int, unsigned int,
             long, unsigned long, long long, unsigned long long, float, double, long double) {}
API void chars(wchar_t, char8_t, char16_t, char32_t) {}
API void ints(__int8, unsigned __int8, __int16, unsigned __int16, __int32, unsigned __int32,
              __int64, unsigned __int64) {}
API void nul(std::nullptr_t, nullptr_t_ *) {}
API void ellipsis(int, ...) {}
API void only_ellipsis(...) {}
API bool ret_bool() { return false; }
API const int ret_const_int() { return 0; }
API volatile int &ret_volatile_ref() {
  static volatile int v;
  return v;
}
API const volatile char *const volatile *ret_cv() { return nullptr; }
typedef float m128 __attribute__((__vector_size__(16)));
typedef int v4i __attribute__((__vector_size__(16)));
API void vectors(m128, v4i *) {}
}  // namespace prim

// ---------------------------------------------------------------------------------------------
// Arrays: references and pointers to arrays, multi-dimensional, arrays of pointers, const.
namespace arrays {
API void ref(int (&)[3]) {}
API void const_ref(const char (&)[10]) {}
API void rvalue_ref(int (&&)[2]) {}
API void ptr(int (*)[4]) {}
API void ptr2d(int (*)[4][5]) {}
API void ref3d(double (&)[2][3][4]) {}
API void ptr_const(const int (*)[7]) {}
API void ptr_volatile(volatile long (*)[8]) {}
API void arr_of_ptrs(int *(&)[3]) {}
API void ptr_ptr(int (**)[6]) {}
API void decayed(int[], int[][9]) {}
API void fnptr_array(void (*(&)[2])(int)) {}
API void member_array(int (*)[3][3], unsigned char (&)[256]) {}
API int (*ret_ptr())[3] { return nullptr; }
API const char (&ret_ref())[6] { return "hello"; }
API int (*(*ret_fn_ptr())(int))[4] { return nullptr; }
struct Holder {
  API void take(const Holder (&)[2]) const {}
  API static int table[16];
  API static const char names[4][8];
  API static int (*rows)[3];
  int grid[2][2];
};
int Holder::table[16];
const char Holder::names[4][8] = {"a", "b", "c", "d"};
int (*Holder::rows)[3];
API int global_array[10];
API int global_matrix[2][3];
API const wchar_t global_wide[5] = L"abcd";
API int (*global_ptr_to_array)[5];
API int (&global_ref_to_array)[10] = global_array;
API void (*global_fp_array[3])(void);
template <class T> struct Box {
  API void put(T) {}
};
template struct Box<int[3]>;
template struct Box<int (*)[3]>;
template struct Box<int (&)[3][4]>;
template struct Box<const char[5]>;
}  // namespace arrays

// ---------------------------------------------------------------------------------------------
// Functions: pointers, references, pointers to pointers, returning function pointers, noexcept.
namespace fn {
typedef int (*callback)(long, const char *);
API void take(void (*)(void)) {}
API void take_ref(int (&)(int)) {}
API void take_typedef(callback) {}
API void take_pp(void (**)(int, int)) {}
API void take_noexcept(void (*)() noexcept) {}
API void take_variadic(int (*)(const char *, ...)) {}
API void take_const(void (*const)(int)) {}
API void take_fp_returning_fp(void (*(*)(int))(double)) {}
API void (*ret_fp())(int) { return nullptr; }
API int (&ret_fn_ref())(int) { return *static_cast<int (*)(int)>(nullptr); }
API callback (*ret_fp_fp(int))(bool) { return nullptr; }
API void take_many(void (*)(int), void (*)(int), int (*)(void (*)(int))) {}
#if defined(_M_IX86)
API void take_stdcall(void(__stdcall *)(int)) {}
API void take_fastcall(int(__fastcall *)(int, int)) {}
API void take_thiscall_fn(void(__thiscall *)(void *)) {}
#endif
API void take_vectorcall(float(__vectorcall *)(float)) {}
API void(__cdecl *global_fp)(int);
API int(__cdecl *const global_const_fp)(int) = nullptr;
template <class F> struct Wrap {
  API void call(F) {}
};
template struct Wrap<void (*)(int)>;
template struct Wrap<void (&)()>;
template struct Wrap<int(int, ...)>;
template struct Wrap<void() noexcept>;
}  // namespace fn

// ---------------------------------------------------------------------------------------------
// Calling conventions (x86 decorates each differently; x64 folds most into __cdecl).
namespace cc {
API void __cdecl c_decl(int) {}
API void __stdcall std_call(int) {}
API void __fastcall fast_call(int, int) {}
API void __vectorcall vector_call(double) {}
API int __regcall reg_call(int) { return 0; }
struct Conv {
  API void __cdecl c_member(int) {}
  API void __stdcall std_member(int) {}
  API void __fastcall fast_member(int) {}
  API void __vectorcall vector_member(float) {}
  API void __thiscall this_member(int) {}
  API static void __stdcall std_static(int) {}
};
}  // namespace cc

// ---------------------------------------------------------------------------------------------
// Qualifiers: const, volatile, __restrict, __unaligned, pointer cv, rvalue references.
namespace quals {
API void ptrs(int *, const int *, volatile int *, const volatile int *) {}
API void cptrs(int *const, int *volatile, int *const volatile, const int *const) {}
API void restricts(int *__restrict, const char *__restrict *) {}
API void unaligned(__unaligned int *, __unaligned const char *) {}
API void refs(int &, const int &, volatile int &, int &&, const int &&, volatile int &&) {}
API void pp(int **, const int **, int *const *, const int *const *const *) {}
API void rvalue_class(struct Thing &&, const struct Thing &) {}
struct Thing {
  API void plain() {}
  API void c() const {}
  API void v() volatile {}
  API void cv() const volatile {}
  API void lref() & {}
  API void rref() && {}
  API void clref() const & {}
  API void crref() const && {}
  API void unaligned_this() __unaligned {}
  API void restrict_this() __restrict {}
  API int *__restrict ret_restrict() { return nullptr; }
  API Thing &&move() { return static_cast<Thing &&>(*this); }
};
}  // namespace quals

// ---------------------------------------------------------------------------------------------
// Classes: access, static, virtual, special members, operators, conversions.
namespace cls {
class API Shape {
 public:
  Shape() {}
  Shape(int) {}
  Shape(const Shape &) {}
  Shape(Shape &&) noexcept {}
  virtual ~Shape() {}
  Shape &operator=(const Shape &) { return *this; }
  Shape &operator=(Shape &&) noexcept { return *this; }
  virtual double area() const { return 0; }
  virtual void draw() = 0;
  static int count;
  static const int limit;
  static Shape *make(int, double = 1.0) { return nullptr; }

 protected:
  void grow(double) {}
  static void registry() {}
  virtual void on_change() {}
  int protected_member;
  static int protected_static;

 private:
  void secret() {}
  static void secret_static() {}
  virtual void hidden() {}
  static int private_static;
};
int Shape::count = 0;
const int Shape::limit = 10;
int Shape::protected_static = 0;
int Shape::private_static = 0;

class API Circle : public Shape {
 public:
  Circle() {}
  ~Circle() override {}
  double area() const override { return 3; }
  void draw() override {}
};

// Every overloadable operator, as members and as free functions.
struct API Num {
  int v;
  Num() {}
  Num(int) {}
  Num operator+(const Num &) const { return *this; }
  Num operator-(const Num &) const { return *this; }
  Num operator*(const Num &) const { return *this; }
  Num operator/(const Num &) const { return *this; }
  Num operator%(const Num &) const { return *this; }
  Num operator^(const Num &) const { return *this; }
  Num operator&(const Num &) const { return *this; }
  Num operator|(const Num &) const { return *this; }
  Num operator~() const { return *this; }
  bool operator!() const { return false; }
  Num &operator=(int) { return *this; }
  bool operator<(const Num &) const { return false; }
  bool operator>(const Num &) const { return false; }
  Num &operator+=(const Num &) { return *this; }
  Num &operator-=(const Num &) { return *this; }
  Num &operator*=(const Num &) { return *this; }
  Num &operator/=(const Num &) { return *this; }
  Num &operator%=(const Num &) { return *this; }
  Num &operator^=(const Num &) { return *this; }
  Num &operator&=(const Num &) { return *this; }
  Num &operator|=(const Num &) { return *this; }
  Num operator<<(int) const { return *this; }
  Num operator>>(int) const { return *this; }
  Num &operator<<=(int) { return *this; }
  Num &operator>>=(int) { return *this; }
  bool operator==(const Num &) const { return true; }
  bool operator!=(const Num &) const { return false; }
  bool operator<=(const Num &) const { return true; }
  bool operator>=(const Num &) const { return true; }
  bool operator&&(const Num &) const { return true; }
  bool operator||(const Num &) const { return true; }
  Num &operator++() { return *this; }
  Num operator++(int) { return *this; }
  Num &operator--() { return *this; }
  Num operator--(int) { return *this; }
  Num &operator,(const Num &) { return *this; }
  int operator->*(int Num::*) const { return 0; }
  Num *operator->() { return this; }
  int operator()(int, int) const { return 0; }
  int operator()() { return 0; }
  int &operator[](size_t) { return v; }
  Num operator-() const { return *this; }
  Num operator+() const { return *this; }
  int operator*() const { return v; }
  Num *operator&() { return this; }
  operator int() const { return v; }
  operator const char *() const { return nullptr; }
  explicit operator bool() const { return v != 0; }
  typedef int (*RowPointer)[3];
  typedef void (*Callback)(int);
  operator RowPointer() const { return nullptr; }
  operator Callback() const { return nullptr; }
  template <class T> operator T *() const { return nullptr; }
  static void *operator new(size_t) { return nullptr; }
  static void *operator new[](size_t) { return nullptr; }
  static void operator delete(void *) {}
  static void operator delete[](void *) {}
};
template Num::operator double *() const;
API Num operator+(int, const Num &) { return Num(); }
API bool operator==(int, const Num &) { return false; }
API Num &operator<<(Num &n, const char *) { return n; }
API Num operator""_num(unsigned long long) { return Num(); }
API Num operator""_num(const char *, size_t) { return Num(); }
API double operator""_deg(long double) { return 0; }
template <char...> API int operator""_bits() { return 0; }
API int use_bits() { return 101_bits; }
struct API Cmp {
  int v;
  int operator<=>(const Cmp &) const { return 0; }
};

// Nested classes, unions, enums.
struct API Outer {
  struct Inner {
    API void f(Inner *, Outer *) {}
    enum Mode { A, B };
    enum class Kind : unsigned char { X, Y };
    union Bits {
      int i;
      float f;
    };
    API void g(Mode, Kind, Bits, const Bits *) {}
  };
  void h(Inner::Mode, Inner &) {}
};
enum Color { Red, Green };
enum class Big : long long { Huge = 1LL << 40 };
enum class Small : char { S };
enum class U16 : unsigned short { U };
API void enums(Color, Big, Small, U16, Color *, const Big &) {}
union API Union {
  int i;
  void f() {}
};
API void take_union(Union, Union *) {}

// Multiple and virtual inheritance: vbtables, vftables {for …}, adjustor and vtordisp thunks,
// vbase destructors.
struct API Left {
  virtual ~Left() {}
  virtual void left() {}
  virtual void both() {}
  int l;
};
struct API Right {
  virtual ~Right() {}
  virtual void right() {}
  virtual void both() {}
  int r;
};
struct API Multi : Left, Right {
  ~Multi() override {}
  void right() override {}
  void both() override {}
};
struct API VBase {
  virtual void vb() {}
  virtual ~VBase() {}
  int x;
};
struct API VLeft : virtual VBase {
  void vb() override {}
  int y;
};
struct API VRight : virtual VBase {
  int z;
};
struct API Diamond : VLeft, VRight {
  Diamond() {}
  ~Diamond() override {}
  void vb() override {}
};
#pragma vtordisp(push, 2)
struct API WithVtordisp : virtual VBase {
  WithVtordisp() {}
  ~WithVtordisp() override {}
  void vb() override {}
};
#pragma vtordisp(pop)

// Default ctor and copy ctor closures (exported classes with default arguments).
struct API Closures {
  Closures(int = 3) {}
  Closures(const Closures &, int = 4) {}
  ~Closures() {}
};
API void make_arrays() {
  Closures *c = new Closures[3];
  delete[] c;
  Shape **s = new Shape *[2];
  delete[] s;
}
}  // namespace cls

// ---------------------------------------------------------------------------------------------
// Member pointers: data and function, const, virtual inheritance, as parameters and as
// template arguments.
namespace memptr {
struct S {
  int a;
  double b;
  API void f() {}
  API int g(int) const { return 0; }
  API virtual void v() {}
  API static void st() {}
};
struct __single_inheritance Single;
struct __multiple_inheritance Multiple;
struct __virtual_inheritance Virtual;
struct M1 {
  int m1;
};
struct M2 {
  int m2;
  API void f2() {}
};
struct MI : M1, M2 {
  int mi;
  API void fm() {}
};
struct VI : virtual M1 {
  int vi;
  API void fv() {}
};
struct Unspec;
API void data(int S::*, const double S::*, int S::*const) {}
API void func(void (S::*)(), int (S::*)(int) const, void (S::*const)()) {}
API void ref(int S::*&, void (S::*&)()) {}
API void multi(int MI::*, void (MI::*)()) {}
API void virt(int VI::*, void (VI::*)()) {}
API void unspec(int Unspec::*, void (Unspec::*)()) {}
API int S::*ret_data() { return &S::a; }
API void (S::*ret_func())() { return &S::f; }
API void (S::*(*ret_pp())(int))() { return nullptr; }
template <int S::*P> struct DataArg {
  API static void get() {}
};
template <void (S::*P)()> struct FuncArg {
  API static void get() {}
};
template <void (MI::*P)()> struct MIFuncArg {
  API static void get() {}
};
template <void (VI::*P)()> struct VIFuncArg {
  API static void get() {}
};
template <int MI::*P> struct MIDataArg {
  API static void get() {}
};
template <int VI::*P> struct VIDataArg {
  API static void get() {}
};
template struct DataArg<&S::a>;
template struct DataArg<nullptr>;
template struct FuncArg<&S::f>;
template struct FuncArg<&S::v>;
template struct FuncArg<nullptr>;
template struct MIFuncArg<&MI::fm>;
template struct MIFuncArg<nullptr>;
template struct VIFuncArg<&VI::fv>;
template struct VIFuncArg<nullptr>;
template struct MIDataArg<&MI::mi>;
template struct MIDataArg<nullptr>;
template struct VIDataArg<&VI::vi>;
template struct VIDataArg<nullptr>;
API int S::*global_data_ptr = &S::a;
API void (S::*global_func_ptr)() = &S::f;
}  // namespace memptr

// ---------------------------------------------------------------------------------------------
// Templates: of templates, template template parameters, non-type arguments, variadic packs,
// function templates, explicit specializations, variable templates, backreferences.
namespace tmpl {
template <class T> struct One {
  API void f(T) {}
  API T g(const T &, T *) { return T(); }
};
template <class A, class B> struct Two {
  API void f(A, B, A, B) {}
};
template struct One<int>;
template struct One<One<int>>;
template struct One<One<One<char>>>;
template struct One<Two<One<int>, Two<int, One<int>>>>;
template struct Two<One<int>, One<int>>;
template struct Two<std::string, std::vector<std::string>>;
template struct One<const int *>;
template struct One<volatile int *>;
template struct One<bool>;
template struct One<std::nullptr_t>;

template <template <class> class TT> struct TplTpl {
  API void f(TT<int>) {}
};
template <template <class, class> class TT, class X> struct TplTpl2 {
  API void f(TT<X, X> *) {}
};
template struct TplTpl<One>;
template struct TplTpl2<Two, long>;
template <template <class...> class TT> struct TplVar {
  API void f() {}
};
template struct TplVar<std::tuple>;

template <int N> struct Int {
  API static int get() { return N; }
};
template struct Int<0>;
template struct Int<1>;
template struct Int<10>;
template struct Int<11>;
template struct Int<16>;
template struct Int<-1>;
template struct Int<-17>;
template struct Int<2147483647>;
template struct Int<(-2147483647 - 1)>;
template <unsigned long long N> struct ULL {
  API static void get() {}
};
template struct ULL<18446744073709551615ull>;
template struct ULL<0x100000000ull>;
template <bool B> struct Bool {
  API static void get() {}
};
template struct Bool<true>;
template struct Bool<false>;
template <char C> struct Char {
  API static void get() {}
};
template struct Char<'a'>;
template <cls::Color C> struct EnumArg {
  API static void get() {}
};
template struct EnumArg<cls::Green>;

API int gvar = 0;
API int garr[3];
API void gfunc() {}
struct API GObj {
  int x;
  static int sx;
};
int GObj::sx = 0;
API GObj gobj;
template <int *P> struct Ptr {
  API static void get() {}
};
template struct Ptr<&gvar>;
template struct Ptr<nullptr>;
template struct Ptr<garr>;
template struct Ptr<&GObj::sx>;
template <int &R> struct Ref {
  API static void get() {}
};
template struct Ref<gvar>;
template <void (*F)()> struct Fn {
  API static void get() {}
};
template struct Fn<&gfunc>;
template struct Fn<nullptr>;
template <void (&F)()> struct FnRef {
  API static void get() {}
};
template struct FnRef<gfunc>;
template <const GObj *P> struct ObjPtr {
  API static void get() {}
};
template struct ObjPtr<&gobj>;
template <std::nullptr_t N> struct NullArg {
  API static void get() {}
};
template struct NullArg<nullptr>;
template <auto V> struct Auto {
  API static void get() {}
};
template struct Auto<5>;
template struct Auto<&gvar>;
template <class T, T V> struct Typed {
  API static void get() {}
};
template struct Typed<int, 3>;
template struct Typed<short, -4>;

template <class... Ts> struct Pack {
  API void f(Ts...) {}
  API static void g() {}
};
template struct Pack<>;
template struct Pack<int>;
template struct Pack<int, char, One<int>>;
template <int... Ns> struct IntPack {
  API static void g() {}
};
template struct IntPack<>;
template struct IntPack<1, 2, 3>;
template <class... Ts> API void variadic(Ts...) {}
template API void variadic<>();
template API void variadic<int, double>(int, double);
template API void variadic<const char *, std::string>(const char *, std::string);
template <class T, class... Ts> API T first(T t, Ts &&...) { return t; }
template API int first<int, int &, long>(int, int &, long &&);

template <class T> API T twice(T t) { return t; }
template API int twice<int>(int);
template API std::string twice<std::string>(std::string);
template API One<int> twice<One<int>>(One<int>);
template <class T, int N> API int count(T (&)[N]) { return N; }
template API int count<char, 4>(char (&)[4]);
template API int count<int *, 2>(int *(&)[2]);
template <class R, class... A> API void sig(R (*)(A...)) {}
template API void sig<void, int, int>(void (*)(int, int));
template <class T> API void spec(T) {}
template <> API void spec<double>(double) {}
template <> API void spec<std::vector<int>>(std::vector<int>) {}

template <class T> API T vt = T(1);
template API int vt<int>;
template API double vt<double>;
template <class T> struct Static {
  API static T member;
  API static int arr[4];
};
template <class T> T Static<T>::member;
template <class T> int Static<T>::arr[4];
template struct Static<long>;

// Backreferences: repeated names and types in one signature, and across template scopes.
struct Name {};
namespace Name2 {
struct Name {};
}  // namespace Name2
API void repeat(Name, Name, Name *, Name2::Name, Name2::Name *, One<Name>, One<Name> *,
                Two<Name, Name2::Name>) {}
API void repeat_types(std::string, std::string, const std::string &, std::string *,
                      std::vector<std::string>, std::vector<std::string> &,
                      std::map<std::string, std::vector<int>> *) {}
API void ten_names(struct N0 *, struct N1 *, struct N2 *, struct N3 *, struct N4 *, struct N5 *,
                   struct N6 *, struct N7 *, struct N8 *, struct N9 *, struct N10 *, struct N0 *,
                   struct N10 *) {}
}  // namespace tmpl

// ---------------------------------------------------------------------------------------------
// std:: containers as real code uses them.
template class std::vector<int>;
template class std::vector<std::string>;
template class std::vector<std::pair<int, std::wstring>>;
template class std::vector<std::unique_ptr<cls::Shape>>;
template class std::basic_string<char>;
template class std::basic_string<wchar_t>;
template class std::basic_string<char16_t>;
template class std::basic_string<char32_t>;
template class std::basic_string<char8_t>;
template class std::map<std::string, int>;
template class std::map<int, std::vector<std::string>>;
template class std::unique_ptr<int>;
template class std::unique_ptr<int[], std::default_delete<int[]>>;
template class std::shared_ptr<cls::Shape>;
template std::shared_ptr<cls::Shape>::shared_ptr(const std::shared_ptr<cls::Circle> &);
template class std::function<void(int)>;
template class std::function<int(const std::string &, double)>;
template class std::function<void()>;
template class std::function<std::string(std::vector<int> &&)>;
template class std::array<int, 4>;
template class std::array<std::string, 2>;
template class std::initializer_list<int>;
template class std::tuple<>;
template class std::tuple<int, float, std::string>;
template class std::atomic<int>;
template class std::atomic<long long>;
template class std::atomic<void *>;
template int &std::vector<int>::emplace_back<int>(int &&);
template std::string &std::vector<std::string>::emplace_back<const char (&)[3]>(const char (&)[3]);
template std::string &std::vector<std::string>::emplace_back<>();
namespace stl {
API std::vector<int> make_vector(std::initializer_list<int>) { return {}; }
API void consume(std::vector<std::map<std::string, std::vector<std::wstring>>> &&) {}
API std::unique_ptr<std::vector<int>> take(std::unique_ptr<int[]>, std::shared_ptr<int> &) {
  return {};
}
}  // namespace stl

// ---------------------------------------------------------------------------------------------
// Lambdas, local statics and their guards, local classes, dynamic initializers.
namespace local {
inline int counter() {
  static int calls = 0;
  static thread_local int per_thread = 0;
  return ++calls + ++per_thread;
}
struct Obj {
  Obj() {}
  ~Obj() {}
  int v;
};
inline Obj &singleton() {
  static Obj instance;  // a thread-safe guard (TSS) and an atexit destructor
  return instance;
}
inline Obj &per_thread_object() {
  static thread_local Obj object;  // a thread-local static with a constructor: its own guard
  return object;
}
inline int blocks(int x) {
  if (x) {
    static int first = 1;
    return first;
  } else {
    static int second = 2;
    {
      static int third = 3;
      return second + third;
    }
  }
}
inline auto make_lambda() {
  return [](int x) { return x + 1; };
}
inline int lambdas(int y) {
  auto add = [y](int x) { return x + y; };
  auto gen = [](auto v) { return v; };
  auto nested = [] { return [](char c) { return c; }; };
  static auto stored = [](double d) { return d * 2; };
  return add(1) + gen(2) + (int)gen(3.0) + nested()('a') + (int)stored(1.0) + make_lambda()(4);
}
inline int local_class() {
  struct Local {
    int f() { return 7; }
    virtual int g() { return 8; }
  };
  Local l;
  static Local keep;
  return l.f() + l.g() + keep.g();
}
template <class T> T &tpl_static() {
  static T value;
  return value;
}
inline const char *literals() {
  static const wchar_t *w = L"wide string";
  static const char16_t *u = u"utf-16";
  static const char32_t *U = U"utf-32";
  static const char *s = "narrow \"quoted\" \t\n\x01 string";
  static const char *longer =
      "a string literal that is longer than thirty two bytes, so its mangled name is truncated";
  static const char *u8 = (const char *)u8"utf-8 \u00e9";
  return s + w[0] + u[0] + U[0] + longer[0] + u8[0];
}
API int use_all() {
  return counter() + singleton().v + per_thread_object().v + blocks(1) + lambdas(2) + local_class() + tpl_static<int>() +
         tpl_static<Obj>().v + (int)(size_t)literals();
}
// Globals with dynamic initializers and destructors (`dynamic initializer for', `dynamic atexit
// destructor for').
inline int compute() { return 42; }
API int dynamic_init = compute();
API Obj dynamic_obj;
API inline Obj inline_obj;
thread_local Obj tls_obj;
thread_local int tls_int = compute();
}  // namespace local

// ---------------------------------------------------------------------------------------------
// Exceptions: throw info, catchable types and RTTI for thrown types.
namespace eh {
struct Error : std::exception {
  API const char *what() const override { return "error"; }
};
API void throws(int k) {
  if (k == 1) throw Error();
  if (k == 2) throw 5;
  if (k == 3) throw "text";
  if (k == 4) throw std::bad_alloc();
  if (k == 5) throw (Error *)nullptr;
}
API int catches(void (*f)()) {
  try {
    f();
  } catch (const Error &) {
    return 1;
  } catch (int) {
    return 2;
  } catch (...) {
    return 3;
  }
  return 0;
}
API const void *rtti(cls::Shape *s) { return &typeid(*s); }
}  // namespace eh

// ---------------------------------------------------------------------------------------------
// Names longer than MSVC's 4096-character limit are replaced by their MD5 (`??@…@`).
namespace md5 {
template <class... T> struct L {
  API static void f() {}
};
#define D(x) struct VeryLongStructNameToPushTheDecorationPastTheLimit##x;
#define DD(x) D(x##0) D(x##1) D(x##2) D(x##3) D(x##4) D(x##5) D(x##6) D(x##7) D(x##8) D(x##9)
DD(1) DD(2) DD(3) DD(4) DD(5) DD(6) DD(7) DD(8) DD(9)
#define P(x) VeryLongStructNameToPushTheDecorationPastTheLimit##x *,
#define PP(x) P(x##0) P(x##1) P(x##2) P(x##3) P(x##4) P(x##5) P(x##6) P(x##7) P(x##8) P(x##9)
template struct L<PP(1) PP(2) PP(3) PP(4) PP(5) PP(6) PP(7) PP(8) PP(9) int>;
}  // namespace md5
