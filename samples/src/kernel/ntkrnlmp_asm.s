# The trap and thread-start plumbing of the sample kernel, in the shape of the real routines:
# KiPageFault enters through a hardware machine frame with an error code and builds a KTRAP_FRAME
# (0x190 bytes: push rbp + 0x158 allocated below the 0x30-byte machine frame), with RBP as its
# frame register as Windows does; KiBugCheckDispatch and KiSystemServiceCopyEnd call onwards with
# ordinary frames. Unwind info comes from the .seh_* directives (LLVM's COFF SEH syntax).
# Handlers entered without an error code (KiRaiseSecurityCheckFailure, the interrupt) first make
# room for one, as Windows' trap entry does, so their KTRAP_FRAME is laid out like KiPageFault's
# and starts at the handler's stack pointer.
    .text

.macro KTRAP_FRAME_PROLOGUE
    # Completes the 0x190-byte KTRAP_FRAME below the machine frame, RBP at its 0x80 mark.
    pushq %rbp
    .seh_pushreg %rbp
    subq $0x158, %rsp
    .seh_stackalloc 0x158
    leaq 0x80(%rsp), %rbp
    .seh_setframe %rbp, 0x80
    .seh_endprologue
.endm

.macro KTRAP_FRAME_SAVE_VOLATILE
    # RAX, RCX, RDX and R8-R11 into the KTRAP_FRAME (0x30-0x60).
    movq %rax, -0x50(%rbp)
    movq %rcx, -0x48(%rbp)
    movq %rdx, -0x40(%rbp)
    movq %r8, -0x38(%rbp)
    movq %r9, -0x30(%rbp)
    movq %r10, -0x28(%rbp)
    movq %r11, -0x20(%rbp)
.endm

.macro KTRAP_FRAME_PROLOGUE_NO_ERROR_CODE
    # No error code was pushed: its slot (KTRAP_FRAME.ErrorCode, 0x160) is allocated instead.
    subq $8, %rsp
    .seh_stackalloc 8
    KTRAP_FRAME_PROLOGUE
.endm


    .globl KiStartSystemThread
    .def KiStartSystemThread; .scl 2; .type 32; .endef
    .seh_proc KiStartSystemThread
KiStartSystemThread:
    subq $0x28, %rsp
    .seh_stackalloc 0x28
    .seh_endprologue
    movq %rbx, %rcx
    movq %rsi, %rdx
    callq PspSystemThreadStartup
    int3
    .seh_endproc

    .globl KiPageFault
    .def KiPageFault; .scl 2; .type 32; .endef
    .seh_proc KiPageFault
KiPageFault:
    .seh_pushframe @code
    KTRAP_FRAME_PROLOGUE
    KTRAP_FRAME_SAVE_VOLATILE
    movq %cr2, %rcx
    movq %rcx, 0x50(%rbp)
    movq %cr8, %rax
    cmpb $2, %al
    jb 1f
    movl $0xd1, %ecx
    movq 0x50(%rbp), %rdx
    movq %rax, %r8
    movq 0xe0(%rbp), %r9
    callq KiBugCheckDispatch
    nop
1:
    movq 0x50(%rbp), %rcx
    leaq -0x80(%rbp), %rdx
    callq MmAccessFault
    testl %eax, %eax
    jns 2f
    movl %eax, %ecx
    movq 0xe8(%rbp), %rdx
    leaq -0x80(%rbp), %r8
    callq KiExceptionDispatch
    nop
2:
    leaq 0xd8(%rbp), %rsp
    popq %rbp
    addq $8, %rsp
    iretq
    .seh_endproc

    .globl KiBugCheckDispatch
    .def KiBugCheckDispatch; .scl 2; .type 32; .endef
    .seh_proc KiBugCheckDispatch
KiBugCheckDispatch:
    subq $0x138, %rsp
    .seh_stackalloc 0x138
    .seh_endprologue
    movq %rbp, 0x28(%rsp)
    movq %r10, 0x20(%rsp)
    callq KeBugCheckEx
    nop
    .seh_endproc

    .globl KiSystemServiceCopyEnd
    .def KiSystemServiceCopyEnd; .scl 2; .type 32; .endef
    .seh_proc KiSystemServiceCopyEnd
KiSystemServiceCopyEnd:
    pushq %rbp
    .seh_pushreg %rbp
    subq $0x160, %rsp
    .seh_stackalloc 0x160
    .seh_endprologue
    callq *%r10
    nop
    addq $0x160, %rsp
    popq %rbp
    retq
    .seh_endproc

    # Builds the exception record and exception frame below the trap frame and hands them to
    # KiDispatchException, as the real routine does for faults MmAccessFault could not resolve.
    .globl KiExceptionDispatch
    .def KiExceptionDispatch; .scl 2; .type 32; .endef
    .seh_proc KiExceptionDispatch
KiExceptionDispatch:
    subq $0x1d8, %rsp
    .seh_stackalloc 0x1d8
    movq %rbx, 0x1c0(%rsp)
    .seh_savereg %rbx, 0x1c0
    .seh_endprologue
    movl %ecx, 0x80(%rsp)
    movq %rdx, 0x90(%rsp)
    leaq 0x80(%rsp), %rcx
    movq %r8, %r8
    xorl %r9d, %r9d
    callq KiDispatchException
    nop
    movq 0x1c0(%rsp), %rbx
    addq $0x1d8, %rsp
    retq
    .seh_endproc

    # int 0x29 (__fastfail) enters here through a machine frame without an error code, the
    # fast-fail code in RCX; the handler saves it in the KTRAP_FRAME and hands the trap frame to
    # KiFastFailDispatch, which bug-checks with KERNEL_SECURITY_CHECK_FAILURE. KiFastFailDispatch
    # does not return: the direct KiBugCheckDispatch call after it is the shorter path the first
    # fast-fail scenario (139-diskmon-fastfail) is forged through.
    .globl KiRaiseSecurityCheckFailure
    .def KiRaiseSecurityCheckFailure; .scl 2; .type 32; .endef
    .seh_proc KiRaiseSecurityCheckFailure
KiRaiseSecurityCheckFailure:
    .seh_pushframe
    KTRAP_FRAME_PROLOGUE_NO_ERROR_CODE
    KTRAP_FRAME_SAVE_VOLATILE
    leaq -0x80(%rbp), %rcx
    movq -0x48(%rbp), %rdx
    callq KiFastFailDispatch
    nop
    movl $0x139, %ecx
    movq %rcx, %rdx
    leaq -0x80(%rbp), %r8
    xorl %r9d, %r9d
    callq KiBugCheckDispatch
    nop
    .seh_endproc

    # A device interrupt: a machine frame without an error code, then the interrupt object's
    # service routine through KiCallInterruptServiceRoutine.
    .globl KiInterruptDispatchNoLockNoEtw
    .def KiInterruptDispatchNoLockNoEtw; .scl 2; .type 32; .endef
    .seh_proc KiInterruptDispatchNoLockNoEtw
KiInterruptDispatchNoLockNoEtw:
    .seh_pushframe
    KTRAP_FRAME_PROLOGUE_NO_ERROR_CODE
    leaq -0x80(%rbp), %rcx
    callq KiCallInterruptServiceRoutine
    nop
    leaq 0xd8(%rbp), %rsp
    popq %rbp
    addq $8, %rsp
    iretq
    .seh_endproc

    # The idle thread: retires the DPC queue.
    .globl KiIdleLoop
    .def KiIdleLoop; .scl 2; .type 32; .endef
    .seh_proc KiIdleLoop
KiIdleLoop:
    subq $0x38, %rsp
    .seh_stackalloc 0x38
    .seh_endprologue
1:
    callq KiRetireDpcList
    jmp 1b
    .seh_endproc

    # KiFastFailDispatch(TrapFrame, Code): builds the fast fail's EXCEPTION_RECORD in its frame
    # (STATUS_STACK_BUFFER_OVERRUN, non-continuable, at the trapped instruction, the fast-fail
    # code as its one parameter) and bug-checks 0x139 with P1 the code, P2 the KTRAP_FRAME and
    # P3 the exception record, as Windows does.
    .globl KiFastFailDispatch
    .def KiFastFailDispatch; .scl 2; .type 32; .endef
    .seh_proc KiFastFailDispatch
KiFastFailDispatch:
    subq $0x1d8, %rsp
    .seh_stackalloc 0x1d8
    .seh_endprologue
    movl $0xc0000409, 0x138(%rsp)
    movl $1, 0x13c(%rsp)
    movq $0, 0x140(%rsp)
    movq 0x168(%rcx), %rax
    movq %rax, 0x148(%rsp)
    movl $1, 0x150(%rsp)
    movq %rdx, 0x158(%rsp)
    movq %rcx, %r8
    leaq 0x138(%rsp), %r9
    xorl %r10d, %r10d
    movl $0x139, %ecx
    callq KiBugCheckDispatch
    nop
    addq $0x1d8, %rsp
    retq
    .seh_endproc

    # The exception filter of PspSystemThreadStartup's __try, as the compiler emits it: a funclet
    # of its own (name and all) that __C_specific_handler calls with the EXCEPTION_POINTERS and
    # the establisher frame. An exception nobody handled in a system thread is fatal:
    # SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, P1 the code, P2 the address, P3 the exception record,
    # P4 the context record.
    .globl "PspSystemThreadStartup$filt$0"
    .def "PspSystemThreadStartup$filt$0"; .scl 2; .type 32; .endef
    .seh_proc "PspSystemThreadStartup$filt$0"
"PspSystemThreadStartup$filt$0":
    pushq %rbp
    .seh_pushreg %rbp
    subq $0x30, %rsp
    .seh_stackalloc 0x30
    .seh_endprologue
    movq %rdx, %rbp
    movq (%rcx), %rax
    movq 8(%rcx), %r9
    movq %r9, 0x20(%rsp)
    movq %rax, %r9
    movslq (%rax), %rdx
    movq 0x10(%rax), %r8
    movl $0x7e, %ecx
    callq KeBugCheckEx
    nop
    xorl %eax, %eax
    addq $0x30, %rsp
    popq %rbp
    retq
    .seh_endproc
