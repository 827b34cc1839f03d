// e07a3c5b9d1f42a8c6e0b3d7f5a19c2e4b8d06f3a7c1e5b9d2f48a0c6e3b7d15

void
emit_shim(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 55                            pushq   %rbp
    // 1: 41 57                         pushq   %r15
    // 3: 41 56                         pushq   %r14
    // 5: 41 55                         pushq   %r13
    // 7: 41 54                         pushq   %r12
    // 9: 53                            pushq   %rbx
    // a: 50                            pushq   %rax
    // b: 49 89 fc                      movq    %rdi, %r12
    // e: 49 89 f5                      movq    %rsi, %r13
    // 11: 49 89 d6                      movq    %rdx, %r14
    // 14: e8 00 00 00 00                callq   0x19 <_JIT_ENTRY+0x19>
    // 0000000000000015:  R_X86_64_PLT32       _JIT_CONTINUE-0x4
    // 19: 48 83 c4 08                   addq    $0x8, %rsp
    // 1d: 5b                            popq    %rbx
    // 1e: 41 5c                         popq    %r12
    // 20: 41 5d                         popq    %r13
    // 22: 41 5e                         popq    %r14
    // 24: 41 5f                         popq    %r15
    // 26: 5d                            popq    %rbp
    // 27: c3                            retq
    const unsigned char code_body[40] = {
        0x55, 0x41, 0x57, 0x41, 0x56, 0x41, 0x55, 0x41,
        0x54, 0x53, 0x50, 0x49, 0x89, 0xfc, 0x49, 0x89,
        0xf5, 0x49, 0x89, 0xd6, 0xe8, 0x00, 0x00, 0x00,
        0x00, 0x48, 0x83, 0xc4, 0x08, 0x5b, 0x41, 0x5c,
        0x41, 0x5d, 0x41, 0x5e, 0x41, 0x5f, 0x5d, 0xc3,
    };
    memcpy(code, code_body, sizeof(code_body));
    patch_32r(code + 0x15, (uintptr_t)code + sizeof(code_body) + -0x4);
}

void
emit__BINARY_OP_ADD_INT(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 49 8b 7d f0                   movq    -0x10(%r13), %rdi
    // 4: 49 8b 75 f8                   movq    -0x8(%r13), %rsi
    // 8: ff 15 00 00 00 00             callq   *(%rip)                 # 0xe <_JIT_ENTRY+0xe>
    // 000000000000000a:  R_X86_64_GOTPCRELX   _PyCompactLong_Add-0x4
    // e: 48 85 c0                      testq   %rax, %rax
    // 11: 0f 84 00 00 00 00             je      0x17 <_JIT_ENTRY+0x17>
    // 0000000000000013:  R_X86_64_PLT32       _JIT_ERROR_TARGET-0x4
    // 17: 49 89 45 f0                   movq    %rax, -0x10(%r13)
    // 1b: 49 83 c5 f8                   addq    $-0x8, %r13
    const unsigned char code_body[31] = {
        0x49, 0x8b, 0x7d, 0xf0, 0x49, 0x8b, 0x75, 0xf8,
        0xff, 0x15, 0x00, 0x00, 0x00, 0x00, 0x48, 0x85,
        0xc0, 0x0f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x89, 0x45, 0xf0, 0x49, 0x83, 0xc5, 0xf8,
    };
    // 0: &_PyCompactLong_Add+0x0
    patch_64(data + 0x0, (uintptr_t)&_PyCompactLong_Add);
    memcpy(code, code_body, sizeof(code_body));
    patch_x86_64_32rx(code + 0xa, (uintptr_t)data + -0x4);
    patch_32r(code + 0x13, state->instruction_starts[instruction->error_target] + -0x4);
}

void
emit__GUARD_TOS_INT(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 49 8b 45 f8                   movq    -0x8(%r13), %rax
    // 4: 48 b9 00 00 00 00 00 00 00 00 movabsq $0x0, %rcx
    // 0000000000000006:  R_X86_64_64  PyLong_Type
    // e: 48 39 48 08                   cmpq    %rcx, 0x8(%rax)
    // 12: 0f 85 00 00 00 00             jne     0x18 <_JIT_ENTRY+0x18>
    // 0000000000000014:  R_X86_64_PLT32       _JIT_JUMP_TARGET-0x4
    const unsigned char code_body[24] = {
        0x49, 0x8b, 0x45, 0xf8, 0x48, 0xb9, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x39,
        0x48, 0x08, 0x0f, 0x85,
    };
    memcpy(code, code_body, sizeof(code_body));
    patch_64(code + 0x6, (uintptr_t)&PyLong_Type);
    patch_32r(code + 0x14, state->instruction_starts[instruction->jump_target] + -0x4);
}

void
emit__START_EXECUTOR(
    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
    const _PyUOpInstruction *instruction, jit_state *state)
{
    // 0: 48 b8 00 00 00 00 00 00 00 00 movabsq $0x0, %rax
    // 0000000000000002:  R_X86_64_64  _JIT_EXECUTOR
    // a: 49 89 86 30 01 00 00          movq    %rax, 0x130(%r14)
    const unsigned char code_body[17] = {
        0x48, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x89, 0x86, 0x30, 0x01,
    };
    memcpy(code, code_body, sizeof(code_body));
    patch_64(code + 0x2, (uintptr_t)executor);
}

static_assert(SYMBOL_MASK_WORDS >= 1, "SYMBOL_MASK_WORDS too small");

typedef struct {
    void (*emit)(
        unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
        const _PyUOpInstruction *instruction, jit_state *state);
    size_t code_size;
    size_t data_size;
    symbol_mask trampoline_mask;
} StencilGroup;

static const StencilGroup shim = {emit_shim, 40, 0, {0}};

static const StencilGroup stencil_groups[MAX_UOP_ID + 1] = {
    [_BINARY_OP_ADD_INT] = {emit__BINARY_OP_ADD_INT, 31, 8, {0}},
    [_GUARD_TOS_INT] = {emit__GUARD_TOS_INT, 24, 0, {0}},
    [_START_EXECUTOR] = {emit__START_EXECUTOR, 17, 0, {0}},
};

static const void * const symbols_map[1] = {
    0
};
